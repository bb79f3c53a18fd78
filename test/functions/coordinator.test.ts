/**
 * The coordinator Lambda with real events: function URL events carrying LB1-signed bodies and
 * EventBridge scheduled events, against dynalite (real DynamoDBClient), the loopback Route 53
 * (real Route53Client) and the loopback SSM (real SSMClient).
 */
import { statesWithVotes } from '../support/stored-votes.ts';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyAction } from '#core/coordinator/coordinator.ts';
import { ROUTE53_CLIENT_DEFAULTS } from '#core/dns/route53.ts';
import { jsonLogger } from '#core/log.ts';
import { createCoordinatorHandler, TICK_EVENT, type CoordinatorHandler } from '../../functions/coordinator.ts';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { SsmSecretSource } from '../../functions/secrets.ts';
import { Route53Fixture } from '../fixtures/route53-server.ts';
import { startDynalite, type Dynalite } from './dynamo/dynalite.ts';
import {
  batchBody, functionUrlEvent, OPERATOR_KEY, PROBE_KEY, scheduledEvent, SERVICE, signedEvent, testConfig, ZONE_ID,
} from './helpers.ts';
import { SsmFixture } from './ssm-fixture.ts';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
let db: Dynalite;
const r53 = new Route53Fixture();
const ssm = new SsmFixture().put(`/lifeboat/keys/${PROBE_KEY.id}`, PROBE_KEY.hex).put(`/lifeboat/keys/${OPERATOR_KEY.id}`, OPERATOR_KEY.hex);
let r53Endpoint = '';
let ssmEndpoint = '';

beforeAll(async () => {
  [db, r53Endpoint, ssmEndpoint] = await Promise.all([startDynalite(), r53.start(), ssm.start()]);
});
afterAll(async () => { await Promise.all([db.stop(), r53.stop(), ssm.stop()]); });

interface Rig {
  handler: CoordinatorHandler;
  store: DynamoStateStore;
  clock: { t: number; now(): number };
  metrics: string[];
  notes: NotifyAction[];
  logs: string[];
  /** Every DynamoDB command this handler sent, by name. */
  dynamoCalls: string[];
}

/** A fresh table and zone; `instances` handlers share them, like concurrent Lambda containers. */
async function rigs(instances: number, options: { config?: Parameters<typeof testConfig>[0]; deps?: Partial<Parameters<typeof createCoordinatorHandler>[0]>; notify?: boolean } = {}): Promise<Rig[]> {
  const tableName = await db.table();
  r53.addZone(ZONE_ID, 'example.com');
  r53.seed(ZONE_ID, [{ name: SERVICE, type: 'A', ttl: 60, values: ['198.51.100.10'] }]);
  const clock = { t: T0, now() { return this.t; } };
  return Array.from({ length: instances }, () => {
    const metrics: string[] = [];
    const notes: NotifyAction[] = [];
    const logs: string[] = [];
    const dynamoCalls: string[] = [];
    const handler = createCoordinatorHandler({
      config: () => testConfig(options.config),
      dynamo: () => {
        const client = db.client();
        const send = client.send.bind(client);
        client.send = ((command: { constructor: { name: string } }, ...rest: unknown[]) => {
          dynamoCalls.push(command.constructor.name);
          return (send as (...a: unknown[]) => unknown)(command, ...rest);
        }) as typeof client.send;
        return client;
      },
      route53: () => new Route53Client({ region: 'us-east-1', endpoint: r53Endpoint, credentials: creds, ...ROUTE53_CLIENT_DEFAULTS }),
      secrets: () => new SsmSecretSource(new SSMClient({ region: 'us-east-1', endpoint: ssmEndpoint, credentials: creds, maxAttempts: 1 })),
      tableName,
      keyParameterPrefix: '/lifeboat/keys/',
      clock,
      logger: jsonLogger((l) => logs.push(l), {}, 'debug'),
      writeMetric: (l) => metrics.push(l),
      ...(options.notify === false ? {} : { notifier: { async send(n: NotifyAction) { notes.push(n); } } }),
      ...options.deps,
    });
    return { handler, store: new DynamoStateStore({ client: db.client(), tableName }), clock, metrics, notes, logs, dynamoCalls };
  });
}

const rig = async (): Promise<Rig> => (await rigs(1))[0]!;

const http = async (h: CoordinatorHandler, event: Parameters<CoordinatorHandler>[0]) => (await h(event)) as APIGatewayProxyStructuredResultV2;
const json = (r: APIGatewayProxyStructuredResultV2) => JSON.parse(r.body ?? 'null') as Record<string, unknown>;
const aRecord = () => r53.get(ZONE_ID, SERVICE, 'A')?.values;

/**
 * One round an interval before T0, so that T0's batch is decisive: a coordinator makes no
 * automatic decision in its first interval of observations (cold start).
 */
async function warmUp(handler: Rig['handler'], clock: Rig['clock']): Promise<void> {
  const before = T0 - 10_000;
  clock.t = before;
  const res = await http(handler, await signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:us-east-1', 'unhealthy', 'healthy', before), before));
  expect(json(res).decisions).toEqual([]);
  clock.t = T0;
}

describe('coordinator handler: function URL events', () => {
  it('answers /healthz unauthenticated', async () => {
    const { handler } = await rig();
    const res = await http(handler, functionUrlEvent('GET', '/healthz', {}));
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ ok: true });
  });

  it('accepts a signed observation batch (base64 body), stores the votes and emits the EMF metric', async () => {
    const { handler, store, metrics } = await rig();
    const res = await http(handler, await signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:us-east-1', 'healthy', 'healthy', T0), T0));
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ accepted: 2, ignored: 0 });
    const state = (await statesWithVotes(store)).find((s) => s.value.service === SERVICE);
    expect(state?.value.votes.find((v) => v.vantagePoint === 'aws:us-east-1')?.primary?.verdict).toBe('healthy');
    expect(metrics.map((m) => JSON.parse(m) as Record<string, unknown>)).toEqual([expect.objectContaining({ ObservationBatches: 1, Coordinator: 'aws', VantagePoint: 'aws:us-east-1' })]);
  });

  it('accepts a plain-text body too (the URL service passes JSON unencoded)', async () => {
    const { handler } = await rig();
    const res = await http(handler, await signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:eu-west-1', 'healthy', 'healthy', T0), T0, false));
    expect(res.statusCode).toBe(200);
  });

  it('fails over on the decisive batch: DNS flipped at Route 53, failover notified once', async () => {
    const { handler, store, notes, clock } = await rig();
    await warmUp(handler, clock);
    const res = await http(handler, await signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:us-east-1', 'unhealthy', 'healthy', T0), T0));
    expect(res.statusCode).toBe(200);
    expect(json(res).decisions).toEqual([expect.objectContaining({ service: SERVICE, to: 'secondary', epoch: 1 })]);
    expect(aRecord()).toEqual(['198.51.100.20']);
    const state = (await store.get(SERVICE))!.value;
    expect(state).toMatchObject({ active: 'secondary', epoch: 1, pendingFlip: null });
    expect(notes.filter((n) => n.event === 'failover')).toHaveLength(1);
  });

  it('refuses forged, tampered and replayed requests with 401 before touching storage, counts them, writes nothing', async () => {
    const { handler, store, metrics, dynamoCalls } = await rig();
    const body = batchBody('aws:us-east-1', 'unhealthy', 'healthy', T0);
    const good = await signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:us-east-1', 'healthy', 'healthy', T0), T0);
    expect((await http(handler, good)).statusCode).toBe(200);
    const before = await store.get(SERVICE);
    const writesBefore = r53.writes().length;

    const forged = await signedEvent({ id: PROBE_KEY.id, hex: '33'.repeat(32) }, 'POST', '/v1/observations', body, T0);
    const tampered = await signedEvent(PROBE_KEY, 'POST', '/v1/observations', body, T0);
    tampered.body = Buffer.from(body.replace('"healthy"', '"unhealthy"')).toString('base64');
    const operatorOnly = await signedEvent(OPERATOR_KEY, 'POST', '/v1/observations', body, T0);
    const stale = await signedEvent(PROBE_KEY, 'POST', '/v1/observations', body, T0 - 301_000);

    const auditBefore = await store.audit({ limit: 50 });
    dynamoCalls.length = 0;
    for (const [event, error] of [[forged, 'bad_signature'], [tampered, 'bad_signature'], [operatorOnly, 'wrong_scope'], [stale, 'stale_timestamp']] as const) {
      const res = await http(handler, event);
      expect(res.statusCode).toBe(401);
      expect(json(res).error).toBe(error);
    }
    // Not one DynamoDB call: neither the nonce store nor the audit log sees a request that failed verification.
    expect(dynamoCalls).toEqual([]);
    const replay = await http(handler, good);
    expect(json(replay).error).toBe('replayed_nonce');
    // Only after the signature verified: the ledger read, whose heartbeat refuses the replay (no nonce item, no write).
    expect(dynamoCalls).toEqual(['QueryCommand']);
    expect(await store.get(SERVICE)).toEqual(before);
    expect(r53.writes().length).toBe(writesBefore);
    expect(await store.audit({ limit: 50 })).toEqual(auditBefore);
    const refused = metrics.map((m) => JSON.parse(m) as Record<string, unknown>).filter((m) => m.RefusedRequests === 1);
    expect(refused.map((m) => m.Reason)).toEqual(['bad_signature', 'bad_signature', 'wrong_scope', 'stale_timestamp', 'replayed_nonce']);
  });

  it('serves signed operator calls: override and status', async () => {
    const { handler } = await rig();
    const body = JSON.stringify({ service: SERVICE, action: 'force-secondary', reason: 'drill' });
    const res = await http(handler, await signedEvent(OPERATOR_KEY, 'POST', '/v1/override', body, T0));
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ coordinator: 'aws', active: 'secondary', dns: [{ provider: 'route53', outcome: 'applied' }] });
    expect(aRecord()).toEqual(['198.51.100.20']);
    const status = await http(handler, await signedEvent(OPERATOR_KEY, 'GET', '/v1/status', undefined, T0));
    expect(status.statusCode).toBe(200);
    expect(status.headers?.['content-type']).toMatch(/json/);
  });
});

describe('coordinator handler: scheduled tick', () => {
  it('expires an override on the one-minute schedule', async () => {
    const { handler, store, clock } = await rig();
    const body = JSON.stringify({ service: SERVICE, action: 'freeze', reason: 'maintenance', until: T0 + 30_000 });
    expect((await http(handler, await signedEvent(OPERATOR_KEY, 'POST', '/v1/override', body, T0))).statusCode).toBe(200);
    expect((await store.get(SERVICE))!.value.override?.action).toBe('freeze');
    clock.t = T0 + 60_000;
    expect(await handler(scheduledEvent())).toEqual({ ticked: true, decisions: 0 });
    expect((await store.get(SERVICE))!.value.override).toBeNull();
    expect((await store.audit({ service: SERVICE })).map((e) => e.kind)).toContain('override-expired');
  });

  it('ticks on the EventBridge Scheduler input the control stack gives its schedule; a function URL request is no tick', async () => {
    const { handler, store, clock } = await rig();
    const body = JSON.stringify({ service: SERVICE, action: 'freeze', reason: 'maintenance', until: T0 + 30_000 });
    expect((await http(handler, await signedEvent(OPERATOR_KEY, 'POST', '/v1/override', body, T0))).statusCode).toBe(200);
    clock.t = T0 + 60_000;
    // Scheduler delivers its Input verbatim (no EventBridge envelope): exactly this object.
    expect(await handler(JSON.parse(JSON.stringify(TICK_EVENT)) as typeof TICK_EVENT)).toEqual({ ticked: true, decisions: 0 });
    expect((await store.get(SERVICE))!.value.override).toBeNull();
    // An HTTP request, even one whose body claims the tick's detail-type, is served as a request.
    const http404 = await handler(functionUrlEvent('POST', '/v1/tick', { 'content-type': 'application/json' }, JSON.stringify(TICK_EVENT)));
    expect(http404).not.toHaveProperty('ticked');
    expect((http404 as { statusCode: number }).statusCode).toBeGreaterThanOrEqual(400);
  });

  it('refuses events it does not know', async () => {
    const { handler } = await rig();
    await expect(handler({ source: 'aws.s3' } as never)).rejects.toThrow(/function URL|scheduled/);
  });
});

describe('coordinator handler: concurrency', () => {
  it('two containers racing on the decisive batch: one consistent state, exactly one DNS change, one notification', async () => {
    const [a, b] = await rigs(2);
    await warmUp(a!.handler, a!.clock);
    const writesBefore = r53.writes().length;
    // Two vantage points' batches, each decisive on its own (one batch signed twice is a replay since 0.3).
    const [ea, eb] = await Promise.all([
      signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:us-east-1', 'unhealthy', 'healthy', T0), T0),
      signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:eu-west-1', 'unhealthy', 'healthy', T0), T0),
    ]);
    const [ra, rb] = await Promise.all([http(a!.handler, ea), http(b!.handler, eb)]);
    expect([ra.statusCode, rb.statusCode]).toEqual([200, 200]);

    const state = (await a!.store.get(SERVICE))!.value;
    expect(state).toMatchObject({ active: 'secondary', epoch: 1, pendingFlip: null });
    expect(aRecord()).toEqual(['198.51.100.20']);
    expect(r53.get(ZONE_ID, `_lifeboat.${SERVICE}`, 'TXT')?.values[0]).toMatch(/active=secondary epoch=1/);
    const dnsAudit = (await a!.store.audit({ service: SERVICE })).filter((e) => e.kind === 'dns');
    const applied = dnsAudit.flatMap((e) => (e.data?.outcomes as { outcome: string }[])).filter((o) => o.outcome === 'applied');
    expect(applied).toHaveLength(1);
    // At most one losing write reached Route 53, and it was refused by the TXT compare-and-swap.
    expect(r53.writes().length - writesBefore).toBeGreaterThanOrEqual(1);
    expect(r53.writes().length - writesBefore).toBeLessThanOrEqual(2);
    expect([...a!.notes, ...b!.notes].filter((n) => n.event === 'failover')).toHaveLength(1);
  });
});

describe('coordinator handler: missing secrets and key binding', () => {
  it('refuses a key whose SSM parameter is missing alone, degrades on a missing webhook URL, and counts a 403', async () => {
    const [r] = await rigs(1, {
      config: { keys: [{ id: PROBE_KEY.id, scope: 'probe', speaksFor: ['aws'] }, { id: OPERATOR_KEY.id, scope: 'operator' }, { id: 'ops-missing', scope: 'operator' }], notifications: { webhooks: [{ urlFromEnv: 'LIFEBOAT_SLACK_URL' }] } },
      deps: { webhookParameterPrefix: '/lifeboat/webhooks/' },
      notify: false,
    });
    const { handler, metrics, logs } = r!;
    expect((await http(handler, functionUrlEvent('GET', '/healthz', {}))).statusCode).toBe(200);
    expect((await http(handler, await signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:us-east-1', 'healthy', 'healthy', T0), T0))).statusCode).toBe(200);

    const missing = await http(handler, await signedEvent({ id: 'ops-missing', hex: '33'.repeat(32) }, 'GET', '/v1/status', undefined, T0));
    expect(missing.statusCode).toBe(401);
    expect(json(missing)).toMatchObject({ error: 'unknown_key' });
    const status = await http(handler, await signedEvent(OPERATOR_KEY, 'GET', '/v1/status', undefined, T0));
    expect(status.statusCode).toBe(200);
    expect(json(status)).toMatchObject({ degraded: [{ what: 'notifications.webhooks[0]', secret: '/lifeboat/webhooks/LIFEBOAT_SLACK_URL' }] });
    expect(logs.join('\n')).toContain('/lifeboat/keys/ops-missing');

    const before = metrics.filter((m) => m.includes('RefusedRequests')).length;
    const elsewhere = await http(handler, await signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:sa-east-1', 'unhealthy', 'healthy', T0), T0));
    expect(elsewhere.statusCode).toBe(403);
    expect(json(elsewhere)).toMatchObject({ error: 'vantage_point_not_allowed', field: 'vantagePoint' });
    expect(metrics.filter((m) => m.includes('RefusedRequests')).length).toBe(before + 1);
  });
});
