/**
 * The Lambda's verdict pages answer from memory even on a cold start (issue 16): the data-plane
 * secret is in the environment and the verdict needs only the state read, so a GET on a verdict
 * path never waits on the secret store (SSM), which may be slow or hang when it matters most.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { verdictIds } from '#core/dns/data-plane.ts';
import { initialServiceState } from '#core/engine/state.ts';
import { jsonLogger } from '#core/log.ts';
import type { SecretSource } from '#core/ports.ts';
import { createCoordinatorHandler } from '../../functions/coordinator.ts';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { startDynalite, type Dynalite } from './dynamo/dynalite.ts';
import { functionUrlEvent, SERVICE, testConfigInput } from './helpers.ts';
import { loadConfig } from '#core/config/validate.ts';

const SECRET_HEX = 'ab'.repeat(32);
let db: Dynalite;
beforeAll(async () => { db = await startDynalite(); });
afterAll(async () => { await db.stop(); });
afterEach(() => { vi.unstubAllEnvs(); });

const config = () => {
  const input = testConfigInput();
  // A webhook URL from SSM: composing the full coordinator reads the secret store at cold start.
  return loadConfig({ ...input, services: input.services.map((s) => ({ ...s, mode: 'data-plane' })), notifications: { webhooks: [{ urlFromEnv: 'LIFEBOAT_SLACK_URL' }] } });
};

async function coldHandler() {
  const tableName = await db.table();
  const secretReads: string[] = [];
  // The secret store of a bad day: every read hangs.
  const hanging: SecretSource = { get: (name) => { secretReads.push(name); return new Promise<string>(() => {}); } };
  const handler = createCoordinatorHandler({
    config, dynamo: () => db.client(), route53: () => new Route53Client({ region: 'us-east-1' }),
    secrets: () => hanging, tableName, keyParameterPrefix: '/lifeboat/keys/', webhookParameterPrefix: '/lifeboat/webhooks/',
    logger: jsonLogger(() => {}, {}, 'error'), writeMetric: () => {},
  });
  return { handler, secretReads, store: new DynamoStateStore({ client: db.client(), tableName }) };
}

const get = async (h: Awaited<ReturnType<typeof coldHandler>>['handler'], path: string) => {
  const answer = h(functionUrlEvent('GET', path, {})) as Promise<APIGatewayProxyStructuredResultV2>;
  const late = new Promise<'no answer in 2 s'>((resolve) => setTimeout(() => resolve('no answer in 2 s'), 2_000));
  return Promise.race([answer, late]);
};

describe('verdict pages on a cold Lambda whose secret store hangs', () => {
  it('answers "stay" within 2 s, then "fail over <token>" once the state says secondary, without reading a secret', async () => {
    vi.stubEnv('LIFEBOAT_DATA_PLANE_SECRET', SECRET_HEX);
    const ids = await verdictIds(new Uint8Array(Buffer.from(SECRET_HEX, 'hex')), SERVICE);
    const { handler, secretReads, store } = await coldHandler();

    const t0 = Date.now();
    expect(await get(handler, ids.path)).toMatchObject({ statusCode: 200, body: 'stay\n' });
    expect(Date.now() - t0).toBeLessThan(2_000);

    await store.put(initialServiceState(SERVICE, 'secondary', 1), null);
    expect(await get(handler, ids.path)).toMatchObject({ statusCode: 200, body: `fail over ${ids.token}\n`, headers: expect.objectContaining({ 'cache-control': 'no-store' }) });
    expect(secretReads).toEqual([]);
  });

  it('any other path still goes through the full coordinator (which waits on the secret store)', async () => {
    vi.stubEnv('LIFEBOAT_DATA_PLANE_SECRET', SECRET_HEX);
    const { handler, secretReads } = await coldHandler();
    expect(await get(handler, `/v1/verdict/${'0'.repeat(64)}`)).toBe('no answer in 2 s');
    expect(secretReads.length).toBeGreaterThan(0);
  });
});
