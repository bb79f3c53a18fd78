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
import { chainKey, decodeChainMessage, encodeChainMessage, roundStartAt } from '#core/probe/chain.ts';
import { lambdaShardCount } from '#core/probe/shard.ts';
import { slotOf } from '#core/probe/schedule.ts';
import type { ObservationBatch } from '#core/model.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { verifyRequest } from '#core/signing/lb1.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { DynamoSlotClaims } from '../../functions/chain-claims.ts';
import { SqsChainQueue } from '../../functions/chain-sqs.ts';
import { createProbeHandler, WATCHDOG_EVENT, type ProbeHandler, type ProbeHandlerDeps } from '../../functions/probe.ts';
import { lambdaMemoryMb } from '../../functions/probe-deps.ts';
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
/** Every target path the recording target was asked for. */
const recorded: string[] = [];
let recording = '';
let secondary = '';
let fast = '';
let slow = '';
let ssmEndpoint = '';
let dynalite: Dynalite;
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

beforeAll(async () => {
  primary = await serve((_req, res) => { res.writeHead(503); res.end('down'); });
  secondary = await serve((_req, res) => { res.writeHead(200); res.end('ok'); });
  recording = await serve((req, res) => { recorded.push(req.url!); res.writeHead(200); res.end('ok'); });
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

/** Six services on the recording target; `memoryMb` 2 gives 3 shards of 2 (a real Lambda has 128 MB or more: fewer services would need no shards). */
function shardedDeps(extra: Partial<ProbeHandlerDeps> = {}): Partial<ProbeHandlerDeps> {
  const base = deps();
  const config = { ...base.config(), services: Array.from({ length: 6 }, (_, i) => ({
    ...base.config().services[0]!, name: `s${i}.example.com`,
    primary: { url: `${recording}/s${i}/primary`, a: ['198.51.100.10'] },
    secondary: { url: `${recording}/s${i}/secondary`, a: ['198.51.100.20'] },
  })) };
  return { config: () => config, memoryMb: 2, ...extra };
}

describe('probe handler: a round sharded across chains', () => {
  it('plans the shards from the function memory: 1,000 services need 4 chains at 320 MB, 1 at a full vCPU (1,769 MB)', () => {
    const base = deps().config();
    const many = { ...base, services: Array.from({ length: 1_000 }, (_, i) => ({ ...base.services[0]!, name: `s${i}.example.com` })) };
    // 10 s interval less the 3 s posts' timeout: 7 s x (320 / 1,769) of a core / (2 targets x 2 ms) = 316 services a chain.
    expect(lambdaShardCount(many, 320, 3_000)).toBe(4);
    expect(lambdaShardCount(many, 1_769, 3_000)).toBe(1);
    expect(lambdaShardCount(base, 192, 3_000)).toBe(1);
    expect(lambdaShardCount(many, undefined, 3_000)).toBe(1);
    expect(lambdaShardCount(shardedDeps().config!(), 2, 1_000)).toBe(3);
  });

  it('reads the memory size Lambda sets, refusing anything but a whole number of MB, naming the variable', () => {
    expect(lambdaMemoryMb({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '320' })).toBe(320);
    expect(lambdaMemoryMb({})).toBeUndefined();
    expect(() => lambdaMemoryMb({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '320MB' })).toThrow('AWS_LAMBDA_FUNCTION_MEMORY_SIZE');
    expect(() => lambdaMemoryMb({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '0' })).toThrow('AWS_LAMBDA_FUNCTION_MEMORY_SIZE');
  });

  it('probes every service exactly once per slot across the shards, each shard posting its own batch', async () => {
    received.length = 0;
    recorded.length = 0;
    const r = await rig(shardedDeps());
    const start = await r.handler(WATCHDOG_EVENT);
    expect(start.outcomes.map((o) => o.kind === 'watchdog' && o.outcome.kind)).toEqual(['restarted', 'restarted', 'restarted']);
    expect(r.sqs.sent.map((m) => decodeChainMessage(m.body).shard)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));
    const slot0 = decodeChainMessage(r.sqs.sent[0]!.body).slot;
    // Three rounds: each delivery hands the three shards' messages of one slot to three invocations.
    for (let i = 0; i < 3; i++) expect((await deliverNext(r)).flatMap((s) => s.outcomes.map((o) => o.kind))).toEqual(['round', 'round', 'round']);
    const targets = Array.from({ length: 6 }, (_, i) => [`/s${i}/primary/healthz`, `/s${i}/secondary/healthz`]).flat();
    expect([...recorded].sort()).toEqual([...targets, ...targets, ...targets].sort());
    for (const slot of [slot0, slot0 + 1, slot0 + 2]) {
      const batches = received.filter((x) => x.batch.round === slot);
      expect(batches).toHaveLength(3);
      expect(batches.every((x) => x.verified)).toBe(true);
      const services = batches.flatMap((x) => x.batch.results.map((res) => `${res.service}/${res.target}`)).sort();
      expect(services).toEqual(Array.from({ length: 6 }, (_, i) => [`s${i}.example.com/primary`, `s${i}.example.com/secondary`]).flat().sort());
    }
    for (let index = 0; index < 3; index++) expect(await r.claims.newest(chainKey(VP, { index, count: 3 }))).toBe(slot0 + 2);
    await r.sqs.stop();
  });

  it('never doubles a shard: two watchdogs start each shard twice, one message per shard and slot probes; a running plan gets nothing from the watchdog', async () => {
    received.length = 0;
    recorded.length = 0;
    const r = await rig(shardedDeps());
    await Promise.all([r.handler(WATCHDOG_EVENT), r.handler(WATCHDOG_EVENT)]);
    expect(r.sqs.sent).toHaveLength(6);
    const kinds = (await deliverNext(r)).flatMap((s) => s.outcomes.map((o) => o.kind)).sort();
    expect(kinds).toEqual(['duplicate', 'duplicate', 'duplicate', 'round', 'round', 'round']);
    expect(recorded).toHaveLength(12);
    expect(r.sqs.depth).toBe(3);
    const alive = await r.handler(WATCHDOG_EVENT);
    expect(alive.outcomes.map((o) => o.kind === 'watchdog' && o.outcome.kind)).toEqual(['alive', 'alive', 'alive']);
    expect(r.sqs.sent).toHaveLength(9);
    // Shard 2's chain breaks (its message is lost); shards 1 and 3 keep probing for five more slots.
    const pending = r.sqs.due(Infinity);
    r.clock.t = Math.max(r.clock.t, ...pending.map((m) => m.visibleAt));
    for (const m of pending.filter((m) => decodeChainMessage(m.body).shard?.index !== 1)) await r.handler(sqsEvent([m]));
    for (let i = 0; i < 5; i++) await deliverNext(r);
    const sentBefore = r.sqs.sent.length;
    const partly = await r.handler(WATCHDOG_EVENT);
    expect(partly.outcomes.map((o) => o.kind === 'watchdog' && o.outcome.kind)).toEqual(['alive', 'restarted', 'alive']);
    expect(r.sqs.sent.slice(sentBefore).map((m) => decodeChainMessage(m.body).shard)).toEqual([{ index: 1, count: 3 }]);
    await r.sqs.stop();
  });

  it('ends a chain planned for another shard count (an unsharded message after the plan grew): nothing probed, nothing sent', async () => {
    recorded.length = 0;
    const r = await rig(shardedDeps());
    const now = r.clock.now();
    const old = { id: 'old', body: encodeChainMessage(Math.floor(now / INTERVAL)), delaySeconds: 0, sentAt: now, visibleAt: now };
    const summary = await r.handler(sqsEvent([old]));
    expect(summary.outcomes).toEqual([{ kind: 'stale-shard', slot: Math.floor(now / INTERVAL), shards: 3 }]);
    expect(r.sqs.sent).toHaveLength(0);
    expect(recorded).toHaveLength(0);
    await r.sqs.stop();
  });
});
