/**
 * The data-plane truth table (docs/data-plane.md), row by row: real coordinators (the AWS one on
 * DynamoDB over dynalite, the other on the memory store) serve their verdict pages on loopback;
 * each minute the AWS coordinator's tick (while it is up) reads its peer with the real peer watch
 * and publishes the remembered verdicts as EMF lines with the Lambda's own publishVerdicts; the
 * Route 53 model (test/support/route53-health-model.ts) sends every checker's request with Route
 * 53's limits, evaluates the alarms over those lines, inverts, combines and answers the failover
 * records; the answer is then read back with dig from the embedded DNS server, as resolvers would
 * from the zone's name servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { createCoordinatorApp } from '#core/coordinator/compose.ts';
import { MemoryStateStore, type StateStore } from '#core/coordinator/store.ts';
import { verdictIds, type VerdictIds } from '#core/dns/data-plane.ts';
import { MemoryZone } from '#core/dns/memory.ts';
import { silentLogger } from '#core/ports.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { startDnsServer, type RunningDnsServer } from '../../cli/local/dns-server.ts';
import { startDynalite, type Dynalite } from '../functions/dynamo/dynalite.ts';
import { batch, keyBytes, OPERATOR, PRIMARY_IP, PROBE, SECONDARY_IP, SERVICE, TestClock } from '../support/coordinators.ts';
import { serveFetch, type Served } from '../support/serve-fetch.ts';
import { ModelCloudWatch, Route53Model, type FailoverRecord } from '../support/route53-health-model.ts';
import { PeerWatch } from '#core/coordinator/peer.ts';
import { VerdictMemory } from '#core/dns/data-plane-memory.ts';
import { publishVerdicts } from '../../functions/coordinator.ts';
import { verdictEmfLine } from '../../functions/emf.ts';
import { ALARM, CHECKERS, dataPlaneInput, dataPlaneModel, failoverRecords, MINUTE, READER, SECRET_HEX, servedAnswer, VPS } from './shape.ts';

const SECRET = keyBytes(SECRET_HEX);
const config: LifeboatConfig = loadConfig(dataPlaneInput());
const { PRIMARY, SECONDARY } = failoverRecords(config);

/** What sits in front of a coordinator for one row: itself, or a fault. */
type Front = 'ok' | 'slow' | 'redirect' | 'stray-200' | 'down';

interface Coord {
  readonly name: string;
  readonly store: StateStore;
  readonly app: ReturnType<typeof createCoordinatorApp>;
  front: Front;
  served: Served;
}

let dynalite: Dynalite;
let dns: RunningDnsServer;
const zone = new MemoryZone('example.com');
let ids: VerdictIds;

beforeAll(async () => {
  dynalite = await startDynalite();
  dns = await startDnsServer({ zone, apex: 'example.com', port: 0, host: '127.0.0.1', ttl: 1 });
  ids = await verdictIds(SECRET, SERVICE);
});
afterAll(async () => {
  await dns?.close();
  await dynalite?.stop();
});

async function coordinator(name: string, store: StateStore, clock: TestClock): Promise<Coord> {
  const app = createCoordinatorApp({
    name, config, store, nonces: new MemoryNonceStore(), clock, logger: silentLogger,
    keys: staticKeyResolver([
      { id: PROBE.id, scope: 'probe', secret: keyBytes(PROBE.hex) },
      { id: OPERATOR.id, scope: 'operator', secret: keyBytes(OPERATOR.hex) },
      { id: READER.id, scope: 'read', secret: keyBytes(READER.hex) },
    ]),
    // Data-plane mode never builds a Route 53 provider: no control-plane call can happen.
    dnsProvider: (record) => { throw new Error(`a DNS provider was built for ${record.provider}: data-plane mode must not call Route 53`); },
    dataPlaneSecret: SECRET,
  });
  const c: Coord = { name, store, app, front: 'ok', served: undefined as unknown as Served };
  await up(c);
  return c;
}

/** (Re)starts serving: what sits in front applies to every route, the peer watch's reads too. */
async function up(c: Coord) {
  c.front = 'ok';
  c.served = await serveFetch(async (req) => {
    if (c.front === 'redirect') return new Response(null, { status: 302, headers: { location: 'https://example.net/' } });
    if (c.front === 'stray-200') return new Response('<html>Welcome! (a default page answering every path)</html>', { status: 200 });
    if (c.front === 'slow') await new Promise((r) => setTimeout(r, 2_600));
    return c.app.app.fetch(req);
  });
}

interface World {
  readonly clock: TestClock;
  readonly aws: Coord;
  readonly cf: Coord;
  /** Checkers that reach each coordinator (default: all). */
  readonly reach: Map<string, Set<string>>;
  /** What the AWS coordinator published (EMF), and Route 53 over it, kept across ticks. */
  readonly cloudWatch: ModelCloudWatch;
  readonly model: Route53Model;
  /** The AWS coordinator's tick: the peer watch and the remembered verdicts (lives in the Lambda instance). */
  readonly peer: PeerWatch;
  readonly memory: VerdictMemory;
  close(): Promise<void>;
}

async function world(): Promise<World> {
  const clock = new TestClock();
  const aws = await coordinator('aws', new DynamoStateStore({ client: dynalite.client(), tableName: await dynalite.table() }), clock);
  const cf = await coordinator('cloudflare', new MemoryStateStore(), clock);
  const reach = new Map<string, Set<string>>();
  const { cloudWatch, model } = dataPlaneModel({
    now: () => clock.now(),
    reaches: (checker, url) => {
      const owner = [aws, cf].find((c) => new URL(c.served.url).port === url.port);
      return owner ? (reach.get(owner.name)?.has(checker) ?? true) : true;
    },
  });
  const peer = new PeerWatch({
    self: 'aws', peer: { name: 'cloudflare', url: 'http://cloudflare.invalid/' }, key: { id: READER.id, secret: keyBytes(READER.hex) },
    // The Cloudflare coordinator wherever it is served now; refused while it is down.
    fetch: (url, init) => fetch(new URL(new URL(String(url)).pathname, cf.served.url), { ...init, redirect: 'manual' }),
    clock, logger: silentLogger, timeoutMs: 5_000,
    ownActive: async () => new Map((await aws.app.coordinator.states()).map(({ state }) => [state.service, state.active] as const)),
  });
  return {
    clock, aws, cf, reach, cloudWatch, model, peer, memory: new VerdictMemory('aws', 'cloudflare'),
    close: async () => { for (const c of [aws, cf]) if (c.front !== 'down') await c.served.close(); },
  };
}

/**
 * One minute: the AWS coordinator's tick while it is up (peer read, verdicts published as EMF,
 * exactly as the Lambda's tick does), then Route 53's evaluation at that moment.
 */
async function tick(w: World) {
  if (w.aws.front !== 'down') {
    await w.peer.check();
    await publishVerdicts({ config: () => config, writeMetric: (line) => w.cloudWatch.putEmf(line) }, w.memory, w.aws.app.coordinator, w.peer, w.clock);
  }
  for (const c of [w.aws, w.cf]) w.model.add({ kind: 'endpoint', id: c.name, url: `${c.served.url}${ids.path}`, searchString: ids.token, inverted: true });
  await w.model.evaluate();
}

/** Minutes pass with ticks (and Route 53 evaluating) each minute. */
async function minutes(w: World, n: number) {
  for (let i = 0; i < n; i++) {
    w.clock.advance(MINUTE);
    await tick(w);
  }
}

async function down(c: Coord) {
  await c.served.close();
  c.front = 'down';
}

/** Votes until the coordinator decides to fail over (the engine's own rules, unchanged). */
async function decideFailover(w: World, c: Coord) {
  for (let round = 0; round < 3; round++) {
    for (const vp of VPS) await c.app.coordinator.ingest(batch(vp, w.clock.at, 'unhealthy'), PROBE.id);
    w.clock.advance(config.probing.intervalSeconds * 1000);
  }
  expect((await c.store.get(SERVICE))?.value.active).toBe('secondary');
}

/** Votes that have started a failover streak but not finished it: "deciding". */
async function deciding(w: World, c: Coord) {
  for (const vp of VPS) await c.app.coordinator.ingest(batch(vp, w.clock.at, 'unhealthy'), PROBE.id);
  expect((await c.store.get(SERVICE))?.value.active ?? 'primary').toBe('primary');
}

/** A few minutes of ticks, then Route 53's failover answer over the last evaluation, read back with dig. */
async function route53Answer(w: World): Promise<string> {
  await minutes(w, 3);
  return servedAnswer(w.model, config, zone, dns);
}

describe('data-plane truth table: Route 53 answers what the coordinators decided', () => {
  const row = (name: string, body: (w: World) => Promise<void>, expected: string, children?: Record<string, boolean>) =>
    it(name, async () => {
      const w = await world();
      try {
        await tick(w);
        await body(w);
        expect(await route53Answer(w)).toBe(expected);
        // Which children carried it (true = healthy = "stay"), when the row is about one path.
        if (children) expect(Object.fromEntries(Object.keys(children).map((id) => [id, w.model.status.get(id)]))).toEqual(children);
      } finally {
        await w.close();
      }
    }, 60_000);

  row('1. both up, both stay -> PRIMARY', async () => {}, PRIMARY_IP, { aws: true, cloudflare: true, 'aws-memory': true, 'cloudflare-memory': true });
  row('2. both up, both decided failover -> SECONDARY', async (w) => { await decideFailover(w, w.aws); await decideFailover(w, w.cf); }, SECONDARY_IP,
    { aws: false, cloudflare: false, 'aws-memory': false, 'cloudflare-memory': false });
  row('3. only the AWS coordinator decided failover -> SECONDARY (either decision takes effect)', async (w) => { await decideFailover(w, w.aws); }, SECONDARY_IP,
    { aws: false, cloudflare: true, 'aws-memory': false, 'cloudflare-memory': true });
  row('4. only the Cloudflare coordinator decided failover -> SECONDARY (its page, and its verdict mirrored by the AWS tick)', async (w) => { await decideFailover(w, w.cf); }, SECONDARY_IP,
    { aws: true, cloudflare: false, 'aws-memory': true, 'cloudflare-memory': false });
  row('5. both deciding (streak not complete) -> PRIMARY', async (w) => { await deciding(w, w.aws); await deciding(w, w.cf); }, PRIMARY_IP);
  row('6. one coordinator down, the other stays -> PRIMARY (losing one never flips)', async (w) => { await down(w.aws); }, PRIMARY_IP);
  row('7. both coordinators down -> PRIMARY (losing both never fails over)', async (w) => { await down(w.aws); await down(w.cf); }, PRIMARY_IP);
  row('8. one down, the other decided failover -> SECONDARY', async (w) => { await down(w.aws); await decideFailover(w, w.cf); }, SECONDARY_IP);
  row('9. the failing-over coordinator goes down, the other stays -> SECONDARY (its memory keeps the failover)', async (w) => {
    await decideFailover(w, w.aws);
    await tick(w);
    await down(w.aws);
  }, SECONDARY_IP, { aws: true, cloudflare: true, 'aws-memory': false, 'cloudflare-memory': true });
  row('10. both decided failover, then both down -> SECONDARY (losing both never fails back)', async (w) => {
    await decideFailover(w, w.aws);
    await decideFailover(w, w.cf);
    await tick(w);
    await down(w.aws);
    await down(w.cf);
  }, SECONDARY_IP, { aws: true, cloudflare: true, 'aws-memory': false, 'cloudflare-memory': false });
  row('11. the AWS coordinator decided failover, its page slower than 2 s -> SECONDARY (the page reads stay, the memory carries it)', async (w) => {
    await decideFailover(w, w.aws);
    w.aws.front = 'slow';
  }, SECONDARY_IP, { aws: true, 'aws-memory': false });
  row('12. a redirect (3xx) in front of the failing-over AWS coordinator never reads as a verdict; its memory still does -> SECONDARY', async (w) => {
    await decideFailover(w, w.aws);
    w.aws.front = 'redirect';
  }, SECONDARY_IP, { aws: true, 'aws-memory': false });
  row('12b. a redirect in front of the Cloudflare coordinator that decided failover: neither its page nor the peer watch reads it -> PRIMARY', async (w) => {
    w.cf.front = 'redirect';
    await decideFailover(w, w.cf);
  }, PRIMARY_IP, { cloudflare: true, 'cloudflare-memory': true });
  row('13. a stray 200 page (no token) never reads as a verdict -> PRIMARY', async (w) => {
    w.aws.front = 'stray-200';
    w.cf.front = 'stray-200';
  }, PRIMARY_IP);
  row('14. AWS failover page reachable by 2 of 16 checkers (12.5%, not over 18%): the page reads stay, the memory fails over -> SECONDARY', async (w) => {
    await decideFailover(w, w.aws);
    w.reach.set('aws', new Set(CHECKERS.slice(0, 2)));
  }, SECONDARY_IP, { aws: true, 'aws-memory': false });
  row('15. failover verdict reachable by 3 of 16 checkers (18.75%, over 18%) -> SECONDARY', async (w) => {
    await decideFailover(w, w.aws);
    w.reach.set('aws', new Set(CHECKERS.slice(0, 3)));
  }, SECONDARY_IP, { aws: false });
  row('16. a "stay" coordinator reachable by only some checkers -> PRIMARY', async (w) => {
    w.reach.set('cloudflare', new Set(CHECKERS.slice(0, 1)));
  }, PRIMARY_IP);
  row('17. failback: both decided failover, an operator forces the primary at both -> PRIMARY', async (w) => {
    await decideFailover(w, w.aws);
    await decideFailover(w, w.cf);
    await tick(w);
    for (const c of [w.aws, w.cf]) await c.app.coordinator.override({ service: SERVICE, action: 'force-primary', reason: 'fixed', by: OPERATOR.id, at: w.clock.at });
  }, PRIMARY_IP, { aws: true, cloudflare: true, 'aws-memory': true, 'cloudflare-memory': true });
  row('18. the Cloudflare coordinator decided failover and then went down, AWS stays -> SECONDARY (AWS mirrored it before)', async (w) => {
    await decideFailover(w, w.cf);
    await tick(w);
    await down(w.cf);
  }, SECONDARY_IP, { cloudflare: true, 'cloudflare-memory': false });
  row('19. residual: the Cloudflare coordinator decided failover and went down before any AWS tick read it -> PRIMARY', async (w) => {
    await decideFailover(w, w.cf);
    await down(w.cf);
  }, PRIMARY_IP, { cloudflare: true, 'cloudflare-memory': true });
  row('20. both failed over, Cloudflare down, the living AWS coordinator fails back -> PRIMARY (its failback supersedes the lost peer\'s verdict)', async (w) => {
    await decideFailover(w, w.aws);
    await decideFailover(w, w.cf);
    await tick(w);
    await down(w.cf);
    await minutes(w, 2);
    expect(w.model.answer(PRIMARY, SECONDARY)).toBe(SECONDARY);
    await w.aws.app.coordinator.override({ service: SERVICE, action: 'force-primary', reason: 'fixed', by: OPERATOR.id, at: w.clock.at });
  }, PRIMARY_IP, { 'aws-memory': true, 'cloudflare-memory': true });
  row('21. both failed over, AWS down, Cloudflare fails back -> SECONDARY until the AWS coordinator is back (nothing publishes), then PRIMARY', async (w) => {
    await decideFailover(w, w.aws);
    await decideFailover(w, w.cf);
    await tick(w);
    await down(w.aws);
    await w.cf.app.coordinator.override({ service: SERVICE, action: 'force-primary', reason: 'fixed', by: OPERATOR.id, at: w.clock.at });
    await minutes(w, 3);
    expect(w.model.answer(PRIMARY, SECONDARY)).toBe(SECONDARY);
    expect(w.model.status.get('cloudflare')).toBe(true);
    // Back: it reads the Cloudflare verdict (stay) and, once it fails back too, its own.
    await up(w.aws);
    await w.aws.app.coordinator.override({ service: SERVICE, action: 'force-primary', reason: 'fixed', by: OPERATOR.id, at: w.clock.at });
  }, PRIMARY_IP, { aws: true, cloudflare: true, 'aws-memory': true, 'cloudflare-memory': true });
  row('22. the AWS coordinator goes down mid-decision (streak not complete) -> PRIMARY (nothing was decided)', async (w) => {
    await deciding(w, w.aws);
    await tick(w);
    await down(w.aws);
  }, PRIMARY_IP, { 'aws-memory': true });
  row('23. the AWS coordinator failed over, then misses ticks while up (no datapoints) -> SECONDARY (INSUFFICIENT_DATA keeps the last status)', async (w) => {
    await decideFailover(w, w.aws);
    await tick(w);
    // Only Route 53 runs: the AWS coordinator answers pages but publishes nothing.
    for (let i = 0; i < 3; i++) { w.clock.advance(MINUTE); await w.model.evaluate(); }
    expect(w.model.detail.get('aws-memory')).toBe('alarm INSUFFICIENT_DATA -> LastKnownStatus');
    expect(w.model.status.get('aws-memory')).toBe(false);
  }, SECONDARY_IP);
});

describe('the failover routing rule of the model', () => {
  it('an unhealthy SECONDARY makes Route 53 answer the PRIMARY, whatever its health', async () => {
    const model = new Route53Model({ checkers: CHECKERS });
    model.status = new Map([['p', false], ['s', false]]);
    const p: FailoverRecord = { role: 'PRIMARY', healthCheckId: 'p', records: PRIMARY.records };
    const s: FailoverRecord = { role: 'SECONDARY', healthCheckId: 's', records: SECONDARY.records };
    expect(model.answer(p, s)).toBe(p);
    model.status = new Map([['p', false], ['s', true]]);
    expect(model.answer(p, s)).toBe(s);
    // No check on the SECONDARY (the data-plane shape): it always counts as healthy.
    expect(model.answer(p, SECONDARY)).toBe(SECONDARY);
  });

  it('an alarm check: OK is healthy, ALARM unhealthy; without data the InsufficientDataHealthStatus decides', async () => {
    let now = 1_000_000;
    const cw = new ModelCloudWatch().addAlarm('a', { ...ALARM, dimensions: { Service: SERVICE, Coordinator: 'aws' } });
    const model = new Route53Model({ checkers: CHECKERS, cloudWatch: cw, now: () => now })
      .add({ kind: 'alarm', id: 'last', alarm: 'a', insufficientData: 'LastKnownStatus', inverted: false })
      .add({ kind: 'alarm', id: 'healthy', alarm: 'a', insufficientData: 'Healthy', inverted: false })
      .add({ kind: 'alarm', id: 'unhealthy', alarm: 'a', insufficientData: 'Unhealthy', inverted: false });
    const statuses = async () => { await model.evaluate(); return ['last', 'healthy', 'unhealthy'].map((id) => model.status.get(id)); };
    expect(cw.state('a', now)).toBe('INSUFFICIENT_DATA');
    expect(await statuses()).toEqual([true, true, false]); // a new check with no last status is healthy
    const publish = (value: 0 | 1) => cw.putEmf(verdictEmfLine({ service: SERVICE, coordinator: 'aws', value }, now));
    publish(1);
    expect(cw.state('a', now)).toBe('ALARM');
    expect(await statuses()).toEqual([false, false, false]);
    now += MINUTE; // the publisher stopped: the last minute holds no datapoint
    expect(cw.state('a', now)).toBe('INSUFFICIENT_DATA');
    expect(await statuses()).toEqual([false, true, false]);
    publish(0);
    expect(cw.state('a', now)).toBe('OK');
    expect(await statuses()).toEqual([true, true, true]);
    now += 10 * MINUTE;
    expect(await statuses()).toEqual([true, true, false]);
    // Another service's or coordinator's datapoints are another metric.
    cw.putEmf(verdictEmfLine({ service: 'other.example.com', coordinator: 'aws', value: 1 }, now));
    cw.putEmf(verdictEmfLine({ service: SERVICE, coordinator: 'cloudflare', value: 1 }, now));
    expect(cw.state('a', now)).toBe('INSUFFICIENT_DATA');
  });
});

describe('the verdict page to a stranger', () => {
  it('a wrong path gets the same 404 as any unknown route; the stay page holds no token', async () => {
    const w = await world();
    try {
      const wrong = await fetch(`${w.aws.served.url}/v1/verdict/${'0'.repeat(64)}`);
      const unknown = await fetch(`${w.aws.served.url}/v1/nothing-here`);
      expect(wrong.status).toBe(404);
      expect(unknown.status).toBe(404);
      expect(Object.keys(await wrong.json())).toEqual(Object.keys(await unknown.json()));
      const stay = await fetch(`${w.aws.served.url}${ids.path}`);
      expect(stay.status).toBe(200);
      expect(await stay.text()).toBe('stay\n');
      await decideFailover(w, w.aws);
      const page = await (await fetch(`${w.aws.served.url}${ids.path}`)).text();
      expect(page).toContain(ids.token);
      expect(new TextEncoder().encode(page).byteLength).toBeLessThan(5_120);
      // The other coordinator's page is its own verdict, not the peer's.
      expect(await (await fetch(`${w.cf.served.url}${ids.path}`)).text()).toBe('stay\n');
    } finally {
      await w.close();
    }
  });
});
