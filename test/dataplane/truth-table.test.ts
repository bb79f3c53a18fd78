/**
 * The data-plane truth table (docs/data-plane.md), row by row: real coordinators (the AWS one on
 * DynamoDB over dynalite, the other on the memory store) serve their verdict pages on loopback;
 * the Route 53 model (test/support/route53-health-model.ts) sends every checker's request with
 * Route 53's limits, inverts, combines and answers the failover records; the answer is then read
 * back with dig from the embedded DNS server, as resolvers would from the zone's name servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { createCoordinatorApp } from '#core/coordinator/compose.ts';
import { MemoryStateStore, type StateStore } from '#core/coordinator/store.ts';
import { verdictIds, type VerdictIds } from '#core/dns/data-plane.ts';
import { MemoryZone } from '#core/dns/memory.ts';
import { targetRecords } from '#core/dns/desired.ts';
import type { VantagePoint } from '#core/model.ts';
import { silentLogger } from '#core/ports.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { startDnsServer, type RunningDnsServer } from '../../cli/local/dns-server.ts';
import { startDynalite, type Dynalite } from '../functions/dynamo/dynalite.ts';
import { batch, keyBytes, OPERATOR, PRIMARY_IP, PROBE, SECONDARY_IP, SERVICE, testConfigInput, TestClock } from '../support/coordinators.ts';
import { serveFetch, type Served } from '../support/serve-fetch.ts';
import { Route53Model, type FailoverRecord } from '../support/route53-health-model.ts';
import { digShort, runDigTests } from '../cli/dig.ts';

const SECRET_HEX = '5a'.repeat(32);
const SECRET = keyBytes(SECRET_HEX);
const CHECKERS = Array.from({ length: 16 }, (_, i) => `checker-${i + 1}`);
const VPS: VantagePoint[] = ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2', 'cloudflare:apac'];

const input = testConfigInput();
const config: LifeboatConfig = loadConfig({
  ...input,
  services: input.services.map((s) => ({ ...s, mode: 'data-plane', dns: [{ provider: 'route53', hostedZoneId: 'Z0123456789ABC', ttl: 60 }] })),
});

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
    keys: staticKeyResolver([{ id: PROBE.id, scope: 'probe', secret: keyBytes(PROBE.hex) }, { id: OPERATOR.id, scope: 'operator', secret: keyBytes(OPERATOR.hex) }]),
    // Data-plane mode never builds a Route 53 provider: no control-plane call can happen.
    dnsProvider: (record) => { throw new Error(`a DNS provider was built for ${record.provider}: data-plane mode must not call Route 53`); },
    dataPlaneSecret: SECRET,
  });
  const c: Coord = { name, store, app, front: 'ok', served: undefined as unknown as Served };
  c.served = await serveFetch(async (req) => {
    if (c.front === 'redirect') return new Response(null, { status: 302, headers: { location: 'https://example.net/' } });
    if (c.front === 'stray-200') return new Response('<html>Welcome! (a default page answering every path)</html>', { status: 200 });
    if (c.front === 'slow') await new Promise((r) => setTimeout(r, 2_600));
    return app.app.fetch(req);
  });
  return c;
}

interface World {
  readonly clock: TestClock;
  readonly aws: Coord;
  readonly cf: Coord;
  /** Checkers that reach each coordinator (default: all). */
  readonly reach: Map<string, Set<string>>;
  close(): Promise<void>;
}

async function world(): Promise<World> {
  const clock = new TestClock();
  const aws = await coordinator('aws', new DynamoStateStore({ client: dynalite.client(), tableName: await dynalite.table() }), clock);
  const cf = await coordinator('cloudflare', new MemoryStateStore(), clock);
  return {
    clock, aws, cf, reach: new Map(),
    close: async () => { for (const c of [aws, cf]) if (c.front !== 'down') await c.served.close(); },
  };
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

const PRIMARY: FailoverRecord = { role: 'PRIMARY', healthCheckId: 'calculated', records: targetRecords(SERVICE, config.services[0]!.primary, 60) };
const SECONDARY: FailoverRecord = { role: 'SECONDARY', records: targetRecords(SERVICE, config.services[0]!.secondary, 60) };

/** Route 53's evaluation of the plan's checks, then its failover answer, read back with dig. */
async function route53Answer(w: World): Promise<string> {
  const model = new Route53Model({
    checkers: CHECKERS,
    reaches: (checker, url) => {
      const owner = [w.aws, w.cf].find((c) => new URL(c.served.url).port === url.port);
      return owner ? (w.reach.get(owner.name)?.has(checker) ?? true) : true;
    },
  });
  for (const c of [w.aws, w.cf]) model.add({ kind: 'endpoint', id: c.name, url: `${c.served.url}${ids.path}`, searchString: ids.token, inverted: true });
  model.add({ kind: 'calculated', id: 'calculated', children: ['aws', 'cloudflare'], threshold: 2, inverted: false });
  await model.evaluate();
  zone.write(model.answer(PRIMARY, SECONDARY).records);
  if (!runDigTests) return zone.get(SERVICE, 'A')!.values[0]!;
  const answer = await digShort(dns.port, [SERVICE, 'A']);
  expect(answer).toHaveLength(1);
  return answer[0]!;
}

describe('data-plane truth table: Route 53 answers what the coordinators decided', () => {
  const row = (name: string, body: (w: World) => Promise<void>, expected: string) =>
    it(name, async () => {
      const w = await world();
      try {
        await body(w);
        expect(await route53Answer(w)).toBe(expected);
      } finally {
        await w.close();
      }
    });

  row('1. both up, both stay -> PRIMARY', async () => {}, PRIMARY_IP);
  row('2. both up, both decided failover -> SECONDARY', async (w) => { await decideFailover(w, w.aws); await decideFailover(w, w.cf); }, SECONDARY_IP);
  row('3. only the AWS coordinator decided failover -> SECONDARY (either decision takes effect)', async (w) => { await decideFailover(w, w.aws); }, SECONDARY_IP);
  row('4. only the Cloudflare coordinator decided failover -> SECONDARY', async (w) => { await decideFailover(w, w.cf); }, SECONDARY_IP);
  row('5. both deciding (streak not complete) -> PRIMARY', async (w) => { await deciding(w, w.aws); await deciding(w, w.cf); }, PRIMARY_IP);
  row('6. one coordinator down, the other stays -> PRIMARY (losing one never flips)', async (w) => { await down(w.aws); }, PRIMARY_IP);
  row('7. both coordinators down -> PRIMARY (losing both never fails over)', async (w) => { await down(w.aws); await down(w.cf); }, PRIMARY_IP);
  row('8. one down, the other decided failover -> SECONDARY', async (w) => { await down(w.aws); await decideFailover(w, w.cf); }, SECONDARY_IP);
  row('9. the failing-over coordinator goes down, the other stays -> PRIMARY (the failover is carried only while a coordinator says so)', async (w) => {
    await decideFailover(w, w.aws);
    await down(w.aws);
  }, PRIMARY_IP);
  row('10. both decided failover, then both down -> PRIMARY (documented limit: Route 53 checks hold no memory)', async (w) => {
    await decideFailover(w, w.aws);
    await decideFailover(w, w.cf);
    await down(w.aws);
    await down(w.cf);
  }, PRIMARY_IP);
  row('11. a coordinator slower than 2 s with a failover verdict reads as stay -> PRIMARY', async (w) => {
    await decideFailover(w, w.aws);
    w.aws.front = 'slow';
  }, PRIMARY_IP);
  row('12. a redirect (3xx) in front of a failing-over coordinator never reads as a verdict -> PRIMARY', async (w) => {
    await decideFailover(w, w.aws);
    w.aws.front = 'redirect';
  }, PRIMARY_IP);
  row('13. a stray 200 page (no token) never reads as a verdict -> PRIMARY', async (w) => {
    w.aws.front = 'stray-200';
    w.cf.front = 'stray-200';
  }, PRIMARY_IP);
  row('14. failover verdict reachable by 2 of 16 checkers (12.5%, not over 18%) -> PRIMARY', async (w) => {
    await decideFailover(w, w.aws);
    w.reach.set('aws', new Set(CHECKERS.slice(0, 2)));
  }, PRIMARY_IP);
  row('15. failover verdict reachable by 3 of 16 checkers (18.75%, over 18%) -> SECONDARY', async (w) => {
    await decideFailover(w, w.aws);
    w.reach.set('aws', new Set(CHECKERS.slice(0, 3)));
  }, SECONDARY_IP);
  row('16. a "stay" coordinator reachable by only some checkers -> PRIMARY', async (w) => {
    w.reach.set('cloudflare', new Set(CHECKERS.slice(0, 1)));
  }, PRIMARY_IP);
  row('17. failback: both decided failover, an operator forces the primary at both -> PRIMARY', async (w) => {
    await decideFailover(w, w.aws);
    await decideFailover(w, w.cf);
    for (const c of [w.aws, w.cf]) await c.app.coordinator.override({ service: SERVICE, action: 'force-primary', reason: 'fixed', by: OPERATOR.id, at: w.clock.at });
  }, PRIMARY_IP);
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
