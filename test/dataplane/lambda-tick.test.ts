/**
 * The Lambda's tick publishes the data-plane memory (functions/coordinator.ts publishVerdicts):
 * one EMF line per data-plane service with its saved verdict under Coordinator=aws, and nothing
 * for the Cloudflare coordinator when it was not read (here: no peer watch configured), except
 * "stay" once this coordinator failed back without reading it (its failback supersedes).
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import { initialServiceState } from '#core/engine/state.ts';
import { jsonLogger } from '#core/log.ts';
import { mapSecretSource } from '#core/ports.ts';
import { createCoordinatorHandler } from '../../functions/coordinator.ts';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { startDynalite, type Dynalite } from '../functions/dynamo/dynalite.ts';
import { OPERATOR_KEY, PROBE_KEY, scheduledEvent, SERVICE, testConfigInput } from '../functions/helpers.ts';

let db: Dynalite;
beforeAll(async () => { db = await startDynalite(); });
afterAll(async () => { await db.stop(); });
afterEach(() => { vi.unstubAllEnvs(); });

describe('the Lambda tick publishes remembered verdicts', () => {
  it('FailoverVerdict 1 while the saved decision is the secondary, 0 for both after its own failback', async () => {
    vi.stubEnv('LIFEBOAT_DATA_PLANE_SECRET', 'ab'.repeat(32));
    const input = testConfigInput();
    const config = loadConfig({ ...input, services: input.services.map((s) => ({ ...s, mode: 'data-plane' })) });
    const tableName = await db.table();
    const lines: string[] = [];
    const handler = createCoordinatorHandler({
      config: () => config, dynamo: () => db.client(), route53: () => new Route53Client({ region: 'us-east-1' }),
      secrets: () => mapSecretSource({ [`/lifeboat/keys/${PROBE_KEY.id}`]: PROBE_KEY.hex, [`/lifeboat/keys/${OPERATOR_KEY.id}`]: OPERATOR_KEY.hex }),
      tableName, keyParameterPrefix: '/lifeboat/keys/', logger: jsonLogger(() => {}, {}, 'error'), writeMetric: (l) => lines.push(l),
    });
    const store = new DynamoStateStore({ client: db.client(), tableName });
    const verdicts = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'FailoverVerdict' in l);

    await store.put(initialServiceState(SERVICE, 'secondary', 1), null);
    expect(await handler(scheduledEvent())).toMatchObject({ ticked: true });
    expect(verdicts()).toEqual([expect.objectContaining({ Service: SERVICE, Coordinator: 'aws', FailoverVerdict: 1 })]);
    expect(verdicts()[0]!._aws).toMatchObject({ CloudWatchMetrics: [{ Namespace: 'Lifeboat', Dimensions: [['Service', 'Coordinator']], Metrics: [{ Name: 'FailoverVerdict', Unit: 'None' }] }] });

    lines.length = 0;
    const saved = (await store.get(SERVICE))!;
    await store.put({ ...saved.value, active: 'primary', epoch: 2 }, saved.version);
    await handler(scheduledEvent());
    expect(verdicts()).toEqual([
      expect.objectContaining({ Service: SERVICE, Coordinator: 'aws', FailoverVerdict: 0 }),
      expect.objectContaining({ Service: SERVICE, Coordinator: 'cloudflare', FailoverVerdict: 0 }),
    ]);
  });
});
