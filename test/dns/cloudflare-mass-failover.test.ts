/**
 * Mass failover on Cloudflare (issue 13, the Pangyo case): 1,000 services of one zone decided for
 * the secondary at once, carried out through the coordinator's DNS path against the Cloudflare
 * fixture with its global rate limit (1,200 requests per 5 minutes) enforced on a virtual clock
 * shared with the provider's sleeps and pacer. Requests are counted, nothing is timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import { carryOutDns, type DnsWorkDone } from '#core/coordinator/carry-out.ts';
import { dnsRouter } from '#core/coordinator/compose.ts';
import { CloudflareDnsProvider } from '#core/dns/cloudflare.ts';
import { encodeStateRecord } from '#core/dns/state-record.ts';
import { silentLogger } from '#core/ports.ts';
import { CloudflareFixture, type CfBatch } from '../fixtures/cloudflare-server.ts';

const TOKEN = 'cf-mass-token-not-real';
import { failoverWorks } from '../fixtures/mass-failover.ts';
const T0 = 1_800_000_000_000;
const LIMIT = { perWindow: 1_200, windowMs: 300_000 };
let fixture: CloudflareFixture;
let baseUrl = '';
let zoneSeq = 0;
beforeAll(async () => { fixture = new CloudflareFixture(TOKEN); baseUrl = await fixture.start(); });
afterAll(() => fixture.stop());

interface Run {
  readonly zoneId: string;
  readonly done: DnsWorkDone[];
  readonly virtualMs: number;
  readonly gets: number;
  readonly batches: CfBatch[];
  readonly refused: number;
  /** What the A record of each service holds afterwards, read back through the provider. */
  readonly answers: ReadonlyMap<string, string | undefined>;
}

async function massFailover(services: number, beforeBatch?: CloudflareFixture['beforeBatch']): Promise<Run> {
  let now = T0;
  const clock = { now: () => now };
  const sleep = async (ms: number) => { now += ms; };
  const zoneId = (++zoneSeq).toString(16).padStart(32, 'c');
  fixture.addZone(zoneId);
  fixture.rateLimit({ ...LIMIT, now: clock.now });
  const config = loadConfig({
    services: Array.from({ length: services }, (_, i) => ({
      name: `app${i}.example.com`,
      primary: { url: `https://p${i}.example.net/`, a: ['192.0.2.1'] },
      secondary: { url: `https://s${i}.example.net/`, a: ['198.51.100.1'] },
      healthCheck: { type: 'http' as const, path: '/health' },
      dns: [{ provider: 'cloudflare' as const, zoneId, ttl: 60 }],
    })),
    vantagePoints: { cloudflare: ['apac'] },
    keys: [{ id: 'probe-key', scope: 'probe', speaksFor: ['cloudflare'] }],
  });
  fixture.seed(zoneId, config.services.flatMap((s) => [
    { name: s.name, type: 'A', content: '192.0.2.1', ttl: 60, proxied: false },
    { name: `_lifeboat.${s.name}`, type: 'TXT', content: `"${encodeStateRecord({ active: 'primary', epoch: 1, at: T0 - 60_000 })}"`, ttl: 60, proxied: false },
  ]));
  const provider = new CloudflareDnsProvider({ zoneId, apiToken: TOKEN, baseUrl, sleep, random: () => 0.5, pace: { sleep, now: clock.now } });
  const dnsFor = dnsRouter(() => provider);
  const works = failoverWorks(config, T0);
  const before = fixture.requests.length;
  fixture.beforeBatch = beforeBatch;
  const done = await carryOutDns(works, { dnsFor, clock, logger: silentLogger, name: 'cloudflare' });
  const virtualMs = now - T0;
  fixture.beforeBatch = undefined;
  const refused = fixture.refused;
  fixture.rateLimit(undefined);
  const sent = fixture.requests.slice(before).filter((r) => r.path.includes(zoneId));
  const read = await provider.readMany(config.services.map((s) => dnsFor(s)[0]!.dns));
  const answers = new Map([...read].map(([name, current]) => [name, current.records.find((r) => r.type === 'A')?.values.join(',')]));
  return {
    zoneId, done, virtualMs, answers, refused,
    gets: sent.filter((r) => r.method === 'GET').length,
    batches: sent.filter((r) => r.method === 'POST').map((r) => r.body as CfBatch),
  };
}

const opsOf = (b: CfBatch) => (b.deletes?.length ?? 0) + (b.patches?.length ?? 0) + (b.puts?.length ?? 0) + (b.posts?.length ?? 0);

describe('the Cloudflare fixture enforces the API rate limit', () => {
  it('refuses the 1,201st request in 5 minutes, and every call for the next 5 minutes, in Cloudflare\'s error shape', async () => {
    let now = T0;
    fixture.rateLimit({ ...LIMIT, now: () => now });
    const zoneId = (++zoneSeq).toString(16).padStart(32, 'c');
    fixture.addZone(zoneId);
    const get = () => fetch(`${baseUrl}/zones/${zoneId}/dns_records`, { headers: { authorization: `Bearer ${TOKEN}` } });
    for (let i = 0; i < 1_200; i++) expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('300');
    expect(await refused.json()).toEqual({ success: false, errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }], messages: [], result: null });
    now += 200_000;
    expect((await get()).status).toBe(429);
    now += 100_001;
    expect((await get()).status).toBe(200);
    expect(fixture.refused).toBe(2);
    fixture.rateLimit(undefined);
  }, 120_000);
});

describe('1,000 services failing at once in one Cloudflare zone', () => {
  it('all answer the secondary within 60 s of the decision, in a few batches inside the rate limit', async () => {
    const run = await massFailover(1_000);
    expect(run.done).toHaveLength(1_000);
    expect(run.done.every((d) => d.report.won && d.report.complete)).toBe(true);
    expect([...run.answers.values()].filter((a) => a === '198.51.100.1')).toHaveLength(1_000);
    const states = fixture.records(run.zoneId).filter((r) => r.type === 'TXT');
    expect(states).toHaveLength(1_000);
    expect(states.every((r) => r.content.includes('active=secondary epoch=2'))).toBe(true);
    // Per service: delete the state record by id, patch the A record, post the new state: 3
    // operations, 66 services in a batch of at most 200, so 16 batches; the zone (2,000 records)
    // is one page to plan on and one to re-read before writing.
    expect(run.batches.every((b) => opsOf(b) <= 200)).toBe(true);
    expect(run.batches).toHaveLength(16);
    expect(run.gets).toBe(2);
    expect(run.refused).toBe(0);
    expect(run.virtualMs).toBeLessThanOrEqual(60_000);
  }, 300_000);

  it('keeps each service\'s compare-and-swap: a rival write to one state record costs that service a re-plan, not the batch', async () => {
    const rival = encodeStateRecord({ active: 'secondary', epoch: 7, at: 1 });
    let fired = false;
    const run = await massFailover(50, (zoneId) => {
      if (fired) return;
      fired = true;
      // A rival writer replaces app17's state record: its id changes, so our delete by id fails.
      const [old] = fixture.records(zoneId, '_lifeboat.app17.example.com', 'TXT');
      fixture.remove(zoneId, old!.id);
      fixture.seed(zoneId, [{ name: '_lifeboat.app17.example.com', type: 'TXT', content: `"${rival}"`, ttl: 60, proxied: false }]);
    });
    // The first batch was refused whole (81044), nothing in it written; the re-read found app17
    // moved (a conflict, re-planned on the rival's state) and the other 49 went again together.
    const app17 = run.done.find((d) => d.work.service === 'app17.example.com')!;
    expect(app17.outcome.disagreements ?? []).toEqual([]);
    expect(run.done.filter((d) => d.work.service !== 'app17.example.com').every((d) => d.report.won && d.report.complete)).toBe(true);
    expect([...run.answers.values()].filter((a) => a === '198.51.100.1')).toHaveLength(50);
    const app17State = fixture.records(run.zoneId, '_lifeboat.app17.example.com', 'TXT');
    expect(app17State).toHaveLength(1);
    expect(app17State[0]!.content).toContain('active=secondary');
    // Batches: the refused one (50 services), the 49 again, app17 on its own.
    expect(run.batches.map((b) => b.posts?.filter((p) => p.type === 'TXT').length)).toEqual([50, 49, 1]);
    expect(run.refused).toBe(0);
  }, 120_000);
});
