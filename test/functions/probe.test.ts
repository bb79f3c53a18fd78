/**
 * The probe Lambda against loopback targets and loopback coordinators: one that verifies the
 * LB1 signature of every post, and one that never answers. The signing key comes from the
 * loopback SSM through the real SSMClient; the chain's queue is a loopback SQS (real SQSClient,
 * AWS JSON 1.0) and its slot claims live in dynalite (real DynamoDBClient).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger } from '#core/log.ts';
import { decodeChainMessage, roundStartAt } from '#core/probe/chain.ts';
import { slotOf } from '#core/probe/schedule.ts';
import type { ObservationBatch } from '#core/model.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { verifyRequest } from '#core/signing/lb1.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { DynamoSlotClaims } from '../../functions/chain-claims.ts';
import { SqsChainQueue } from '../../functions/chain-sqs.ts';
import { createProbeHandler, WATCHDOG_EVENT, type ProbeHandler, type ProbeHandlerDeps } from '../../functions/probe.ts';
import { SsmSecretSource } from '../../functions/secrets.ts';
import { startDynalite, type Dynalite } from './dynamo/dynalite.ts';
import { PROBE_KEY, SERVICE, testConfig } from './helpers.ts';
import { SqsFixture, sqsEvent } from './probe-sqs-fixture.ts';
import { SsmFixture } from './ssm-fixture.ts';

const servers: Server[] = [];
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Received { readonly at: number; readonly batch: ObservationBatch; readonly verified: boolean }
const received: Received[] = [];
const keys = staticKeyResolver([{ id: PROBE_KEY.id, scope: 'probe', secret: new Uint8Array(Buffer.from(PROBE_KEY.hex, 'hex')) }]);
const nonces = new MemoryNonceStore();
const ssm = new SsmFixture().put(`/lifeboat/keys/${PROBE_KEY.id}`, PROBE_KEY.hex);
let primary = '';
let secondary = '';
let fast = '';
let slow = '';
let ssmEndpoint = '';
let dynalite: Dynalite;
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

beforeAll(async () => {
  primary = await serve((_req, res) => { res.writeHead(503); res.end('down'); });
  secondary = await serve((_req, res) => { res.writeHead(200); res.end('ok'); });
  fast = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
      void verifyRequest({ method: req.method!, path: req.url!, headers, body }, { keys, nonces, now: Date.now(), requiredScope: 'probe' }).then((v) => {
        received.push({ at: Date.now(), batch: JSON.parse(Buffer.from(body).toString('utf8')) as ObservationBatch, verified: v.ok });
        res.writeHead(v.ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
  });
  // Accepts the connection and never answers.
  slow = await serve(() => {});
  ssmEndpoint = await ssm.start();
  dynalite = await startDynalite();
});

afterAll(async () => {
  for (const s of servers) { s.closeAllConnections(); await new Promise<void>((r) => s.close(() => r())); }
  await ssm.stop();
  await dynalite.stop();
});

/** A virtual clock the chain schedules by; probes and posts still run in real time on loopback. */
class StepClock { constructor(public t: number) {} now = () => this.t; }

interface Rig { readonly handler: ProbeHandler; readonly sqs: SqsFixture; readonly clock: StepClock; readonly claims: DynamoSlotClaims }

async function rig(extra: Partial<ProbeHandlerDeps> = {}): Promise<Rig> {
  const clock = new StepClock(Date.now());
  const sqs = new SqsFixture(clock.now);
  const sqsEndpoint = await sqs.start();
  const claims = new DynamoSlotClaims(dynalite.client(), await dynalite.table());
  const sqsClient = new SQSClient({ region: 'ap-northeast-2', endpoint: sqsEndpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  const handler = createProbeHandler(deps({ clock, queue: () => new SqsChainQueue(sqsClient, `${sqsEndpoint}/123456789012/lifeboat-probe-chain`), claims: () => claims, ...extra }));
  return { handler, sqs, clock, claims };
}

/** Lambda's SQS poller: delivers the next due message(s), each to its own invocation, at their time. */
async function deliverNext(r: Rig) {
  const at = r.sqs.nextVisibleAt();
  if (at === undefined) throw new Error('chain queue is empty');
  r.clock.t = Math.max(r.clock.t, at);
  return Promise.all(r.sqs.due(r.clock.t).map((m) => r.handler(sqsEvent([m]))));
}

function deps(extra: Partial<ProbeHandlerDeps> = {}): ProbeHandlerDeps {
  const config = testConfig({
    services: [{
      name: SERVICE,
      primary: { url: primary, a: ['198.51.100.10'] },
      secondary: { url: secondary, a: ['198.51.100.20'] },
      healthCheck: { type: 'http', path: '/healthz', timeoutMs: 1_000 },
      dns: [{ provider: 'route53', hostedZoneId: 'ZTESTZONE0001' }],
    }],
    probing: { intervalSeconds: 10, recheckDelayMs: 50, controlUrls: [] },
    coordinators: { aws: { url: fast }, cloudflare: { url: slow } },
  });
  return {
    config: () => config,
    region: 'ap-northeast-2',
    keyId: PROBE_KEY.id,
    keyParameterPrefix: '/lifeboat/keys/',
    secrets: () => new SsmSecretSource(new SSMClient({ region: 'ap-northeast-2', endpoint: ssmEndpoint, credentials: CREDENTIALS, maxAttempts: 1 })),
    logger: jsonLogger(() => {}),
    postTimeoutMs: 1_000,
    queue: () => { throw new Error('this test sends no chain message'); },
    claims: () => { throw new Error('this test claims no slot'); },
    random: () => 0.5,
    ...extra,
  };
}

const VP = 'aws:ap-northeast-2';
const INTERVAL = 10_000;

describe('probe handler: the chain', () => {
  it('starts from the watchdog, then probes once per message, each enqueueing the next slot with the delay that keeps the interval', async () => {
    received.length = 0;
    const r = await rig();
    const start = await r.handler(WATCHDOG_EVENT);
    expect(start.outcomes[0]).toMatchObject({ kind: 'watchdog', outcome: { kind: 'restarted', newest: undefined } });
    expect(r.sqs.sent).toHaveLength(1);
    for (let i = 0; i < 4; i++) await deliverNext(r);
    // Four rounds, four posts to the verifying coordinator, all signed; the slots follow each other.
    expect(received).toHaveLength(4);
    expect(received.every((x) => x.verified)).toBe(true);
    const slots = received.map((x) => x.batch.round);
    const first = decodeChainMessage(r.sqs.sent[0]!.body).slot;
    expect(slots).toEqual([first, first + 1, first + 2, first + 3]);
    expect(received[0]!.batch).toMatchObject({ vantagePoint: VP, ranIn: 'ap-northeast-2', controlOk: true });
    expect(received[0]!.batch.results).toEqual(expect.arrayContaining([
      expect.objectContaining({ service: SERVICE, target: 'primary', verdict: 'unhealthy', failure: 'status' }),
      expect.objectContaining({ service: SERVICE, target: 'secondary', verdict: 'healthy' }),
    ]));
    // Every message arrives within half a second of its slot's round time: the interval is kept.
    for (const m of r.sqs.sent) {
      const slot = decodeChainMessage(m.body).slot;
      expect(Math.abs(m.visibleAt - roundStartAt(slot, INTERVAL, VP, () => 0.5))).toBeLessThanOrEqual(500);
    }
    // One SendMessage per hop plus the watchdog's, and nothing else asked of SQS.
    expect(r.sqs.count('SendMessage')).toBe(5);
    expect([...r.sqs.requests.keys()]).toEqual(['SendMessage']);
    expect(await r.claims.newest(VP)).toBe(first + 3);
    await r.sqs.stop();
  });

  it('sends the next message before probing, so a coordinator that never answers delays nothing and breaks nothing', async () => {
    const r = await rig();
    await r.handler(WATCHDOG_EVENT);
    const [summary] = await deliverNext(r);
    const outcome = summary!.outcomes[0]!;
    expect(outcome.kind).toBe('round');
    if (outcome.kind !== 'round') return;
    const silent = outcome.posts.filter((p) => p.coordinator === 'cloudflare');
    expect(silent).toHaveLength(1);
    expect(silent[0]!.ok).toBe(false);
    expect(silent[0]!.error).toMatch(/timeout|abort/i);
    expect(r.sqs.depth).toBe(1);
    expect(decodeChainMessage(r.sqs.sent[1]!.body).slot).toBe(outcome.slot + 1);
    await r.sqs.stop();
  });

  it('never doubles a chain: the watchdog leaves a running one alone, and of two messages for one slot one probes and the other stops', async () => {
    received.length = 0;
    const r = await rig();
    // Two watchdogs at once with no chain running: both start one, for the same slot.
    await Promise.all([r.handler(WATCHDOG_EVENT), r.handler(WATCHDOG_EVENT)]);
    expect(r.sqs.sent).toHaveLength(2);
    const both = (await deliverNext(r)).flatMap((s) => s.outcomes.map((o) => o.kind)).sort();
    expect(both).toEqual(['duplicate', 'round']);
    expect(received).toHaveLength(1);
    expect(r.sqs.depth).toBe(1);
    // A running chain: the watchdog sends nothing.
    await deliverNext(r);
    expect(r.sqs.sent).toHaveLength(4);
    const alive = await r.handler(WATCHDOG_EVENT);
    expect(alive.outcomes[0]).toMatchObject({ kind: 'watchdog', outcome: { kind: 'alive' } });
    expect(r.sqs.sent).toHaveLength(4);
    // A redelivered message (Lambda retried it) is a duplicate too: it probes nothing and sends nothing.
    const again = await r.handler(sqsEvent([r.sqs.sent[2]!]));
    expect(again.outcomes).toEqual([{ kind: 'duplicate', slot: decodeChainMessage(r.sqs.sent[2]!.body).slot }]);
    expect(r.sqs.sent).toHaveLength(4);
    expect(received).toHaveLength(2);
    await r.sqs.stop();
  });

  it('the watchdog restarts a broken chain within a minute plus the grace, skipping the rounds it missed', async () => {
    const r = await rig();
    await r.handler(WATCHDOG_EVENT);
    await deliverNext(r);
    // The chain's next message is lost (say, SQS dropped it after a failed invocation's retries).
    r.sqs.due(Infinity);
    const lastClaimed = await r.claims.newest(VP);
    r.clock.t += 20_000;
    expect((await r.handler(WATCHDOG_EVENT)).outcomes[0]).toMatchObject({ outcome: { kind: 'alive' } });
    r.clock.t += 40_000;
    const restarted = (await r.handler(WATCHDOG_EVENT)).outcomes[0]!;
    expect(restarted).toMatchObject({ kind: 'watchdog', outcome: { kind: 'restarted', newest: lastClaimed } });
    expect(decodeChainMessage(r.sqs.sent.at(-1)!.body).slot).toBe(slotOf(r.clock.t, INTERVAL) + 1);
    await r.sqs.stop();
  });

  it('refuses an event that is neither the watchdog nor an SQS batch, and a message no chain sent, naming the field', async () => {
    const r = await rig();
    await expect(r.handler({ lifeboat: 'tick' } as never)).rejects.toThrow('"Records"');
    await expect(r.handler(sqsEvent([{ id: 'x', body: '{"v":1,"slot":"7"}', delaySeconds: 0, sentAt: 0, visibleAt: 0 }]))).rejects.toThrow('field "slot"');
    expect(r.sqs.sent).toHaveLength(0);
    await r.sqs.stop();
  });

  it('fails the invocation when its signing key is missing, naming the parameter', async () => {
    // A configured key for this provider whose SSM parameter was never put.
    const r0 = deps({ keyId: 'probe-missing' });
    const config = r0.config();
    const withKey = { ...config, keys: [...config.keys, { id: 'probe-missing', scope: 'probe' as const, speaksFor: ['aws'] }] };
    const r = await rig({ keyId: 'probe-missing', config: () => withKey });
    await r.handler(WATCHDOG_EVENT);
    await expect(deliverNext(r)).rejects.toThrow('/lifeboat/keys/probe-missing');
    // The next hop was enqueued before probing: a bad key fails rounds, not the chain.
    expect(r.sqs.depth).toBe(1);
    await r.sqs.stop();
  });

  it('fails the invocation when LIFEBOAT_PROBE_KEY_ID names a key the config does not have', async () => {
    const r = await rig({ keyId: 'probe-nowhere' });
    await r.handler(WATCHDOG_EVENT);
    await expect(deliverNext(r)).rejects.toThrow('probe key "probe-nowhere" is not in the config');
    await r.sqs.stop();
  });
});
