/**
 * CloudflareDnsProvider over real fetch against a loopback Cloudflare API v4 fixture.
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareApiError, CloudflareDnsProvider, type CloudflareProviderOptions } from '#core/dns/cloudflare.ts';
import { encodeStateRecord, parseStateRecord } from '#core/dns/state-record.ts';
import { DnsRetryExhaustedError, type RecordSet, type StateRecord } from '#core/dns/types.ts';
import { CloudflareFixture, type CfBatch } from '../fixtures/cloudflare-server.ts';
import { planFor, providerContract, SERVICE, serviceDns } from './provider-contract.ts';

const TOKEN = 'cf-token-SECRET-0123456789abcdef';
const fixture = new CloudflareFixture(TOKEN);
let baseUrl = '';
let zoneSeq = 0;
beforeAll(async () => { baseUrl = await fixture.start(); });
afterAll(() => fixture.stop());
afterEach(() => {
  fixture.clearFailures();
  fixture.onRequest = undefined;
  fixture.beforeBatch = undefined;
  fixture.onCommit = undefined;
});

function setup(options: Partial<CloudflareProviderOptions> = {}) {
  const zoneId = (++zoneSeq).toString(16).padStart(32, 'a');
  fixture.addZone(zoneId);
  const sleeps: number[] = [];
  const provider = new CloudflareDnsProvider({
    zoneId, apiToken: TOKEN, baseUrl, sleep: async (ms) => { sleeps.push(ms); }, random: () => 0.5, ...options,
  });
  const requests = () => fixture.requests.filter((r) => r.path.includes(zoneId));
  const batches = () => requests().filter((r) => r.method === 'POST').map((r) => r.body as CfBatch);
  return { zoneId, provider, sleeps, requests, batches };
}

function seed(zoneId: string, sets: readonly RecordSet[], state?: StateRecord, txtTtl = 300) {
  return fixture.seed(zoneId, [
    ...sets.flatMap((s) => s.values.map((content) => ({ name: s.name, type: s.type, content, ttl: s.ttl, proxied: s.proxied ?? false }))),
    ...(state ? [{ name: `_lifeboat.${SERVICE}`, type: 'TXT', content: `"${encodeStateRecord(state)}"`, ttl: txtTtl, proxied: false }] : []),
  ]);
}

const dns = serviceDns();
const contents = (zoneId: string, type: string, name = SERVICE) => fixture.records(zoneId, name, type).map((r) => r.content).sort();

providerContract('cloudflare', async () => {
  const { zoneId, provider, batches } = setup();
  return {
    provider,
    seed: (sets, state) => { seed(zoneId, sets, state); },
    writes: () => batches().length,
    values: (name, type) => (fixture.records(zoneId, name, type).length ? contents(zoneId, type, name) : undefined),
  };
});

describe('CloudflareDnsProvider on the wire', () => {
  it('reads with name.exact/type and the bearer token; patches service records by id and replaces the state record (delete by id + post) in one batch', async () => {
    const { zoneId, provider, requests, batches } = setup();
    const [a, aaaa, txt] = seed(zoneId, dns.targets.primary, { active: 'primary', epoch: 2, at: 100 });
    await provider.apply(await planFor(provider, dns, 'secondary', 1_000));
    const gets = requests().filter((r) => r.method === 'GET');
    expect(gets.every((r) => r.authorized)).toBe(true);
    expect(gets.map((r) => r.query)).toContainEqual(expect.objectContaining({ 'name.exact': `_lifeboat.${SERVICE}`, type: 'TXT' }));
    expect(gets.map((r) => r.query)).toContainEqual(expect.objectContaining({ 'name.exact': SERVICE, per_page: '100', page: '1' }));
    expect(batches()).toEqual([{
      deletes: [{ id: txt!.id }],
      patches: [
        { id: a!.id, content: '198.51.100.20', ttl: 60, proxied: false },
        { id: aaaa!.id, content: '2001:db8::20', ttl: 60, proxied: false },
      ],
      posts: [
        { name: SERVICE, type: 'A', content: '198.51.100.21', ttl: 60, proxied: false },
        { name: `_lifeboat.${SERVICE}`, type: 'TXT', content: '"lifeboat=1 active=secondary epoch=3 at=1000"', ttl: 60 },
      ],
    }]);
    expect(fixture.records(zoneId).length).toBe(4);
    const [newTxt] = fixture.records(zoneId, `_lifeboat.${SERVICE}`, 'TXT');
    expect(newTxt!.id).not.toBe(txt!.id);
  });

  it('deletes only the surplus values when a set shrinks', async () => {
    const { zoneId, provider, batches } = setup();
    const seeded = seed(zoneId, dns.targets.secondary, { active: 'secondary', epoch: 1, at: 1 });
    await provider.apply(await planFor(provider, dns, 'primary', 1_000));
    // The surplus A record, and the state record (which is always replaced, never patched).
    const [, surplusA, , txt] = seeded;
    expect(batches()[0]!.deletes).toEqual([{ id: txt!.id }, { id: surplusA!.id }]);
    expect(contents(zoneId, 'A')).toEqual(['203.0.113.10']);
  });

  it('proxied records are written with TTL 1 and a second apply is still a no-op', async () => {
    const { zoneId, provider, batches } = setup();
    const proxiedDns = serviceDns(300, { proxied: true });
    seed(zoneId, proxiedDns.targets.primary);
    expect(fixture.records(zoneId, SERVICE, 'A')[0]).toMatchObject({ ttl: 1, proxied: true });
    expect((await provider.apply(await planFor(provider, proxiedDns, 'secondary', 1_000))).outcome).toBe('applied');
    const body = batches()[0]!;
    expect([...body.patches!, ...body.posts!].filter((p) => p.type !== 'TXT' && 'proxied' in p)
      .every((p) => p.ttl === 1 && p.proxied === true)).toBe(true);
    expect(fixture.records(zoneId, `_lifeboat.${SERVICE}`, 'TXT')[0]).toMatchObject({ proxied: false, ttl: 1 });
    const again = await provider.apply(await planFor(provider, proxiedDns, 'secondary', 2_000));
    expect(again.outcome).toBe('unchanged');
    expect(batches()).toHaveLength(1);
  });

  it('refuses with conflict, sending no batch, when the TXT changed since the plan', async () => {
    const { zoneId, provider, batches } = setup();
    const [, , txt] = seed(zoneId, dns.targets.primary, { active: 'primary', epoch: 1, at: 1 });
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    fixture.overwrite(zoneId, txt!.id, '"lifeboat=1 active=secondary epoch=2 at=5"');
    const result = await provider.apply(plan);
    expect(result).toMatchObject({ outcome: 'conflict', state: { active: 'secondary', epoch: 2, at: 5 } });
    expect(batches()).toHaveLength(0);
  });

  it('honours Retry-After on 429, capped at maxDelayMs', async () => {
    const { zoneId, provider, sleeps, requests } = setup();
    seed(zoneId, dns.targets.primary);
    fixture.failNext(1, 429, { retryAfter: '3' });
    fixture.failNext(1, 429, { retryAfter: '600' });
    const current = await provider.read(dns);
    expect(current.records).toHaveLength(2);
    expect(sleeps).toEqual([3_000, 5_000]);
    expect(requests().filter((r) => r.method === 'GET')).toHaveLength(4);
  });

  it('retries 5xx (HTML bodies) on reads and on the batch, re-checking state before resending', async () => {
    const { zoneId, provider, sleeps, batches } = setup();
    seed(zoneId, dns.targets.primary);
    fixture.failNext(1, 502);
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    fixture.onRequest = (r) => { if (r.method === 'POST') { fixture.failNext(1, 503); fixture.onRequest = undefined; } };
    expect((await provider.apply(plan)).outcome).toBe('applied');
    expect(batches()).toHaveLength(2);
    expect(sleeps).toHaveLength(2);
    expect(contents(zoneId, 'A')).toEqual(['198.51.100.20', '198.51.100.21']);
  });

  it('a batch that landed before its 5xx is recognised on the re-read, not re-sent', async () => {
    const { zoneId, provider, batches } = setup();
    seed(zoneId, dns.targets.primary);
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    fixture.failNext(1, 500, { afterApply: true });
    expect(await provider.apply(plan)).toMatchObject({ outcome: 'applied', state: plan.newState });
    expect(batches()).toHaveLength(1);
    expect(fixture.records(zoneId, SERVICE, 'A')).toHaveLength(2);
    expect(fixture.records(zoneId, `_lifeboat.${SERVICE}`, 'TXT')).toHaveLength(1);
  });

  it('gives up after bounded attempts with DnsRetryExhaustedError', async () => {
    const { zoneId, provider, sleeps } = setup({ retry: { attempts: 3 } });
    fixture.failNext(10, 503);
    const err = await provider.read(dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsRetryExhaustedError);
    expect((err as Error).message).toContain(zoneId);
    expect(sleeps).toEqual([100, 200]); // the state-record listing, retried twice, then given up
  });

  it('a bad token fails with 403 code 10000, and the error never contains the token', async () => {
    const { zoneId } = setup();
    const provider = new CloudflareDnsProvider({ zoneId, apiToken: `${TOKEN}-wrong`, baseUrl, sleep: async () => {} });
    const err = await provider.read(dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudflareApiError);
    expect(err).toMatchObject({ code: 10000, status: 403, zone: zoneId, provider: 'cloudflare' });
    const everything = `${(err as Error).message} ${(err as Error).stack} ${JSON.stringify(err)} ${String((err as Error).cause)}`;
    expect(everything).not.toContain(TOKEN);
    expect(`${JSON.stringify(provider)} ${inspect(provider, { depth: 5 })}`).not.toContain(TOKEN);
    expect((err as Error).message).toContain('CLOUDFLARE_API_TOKEN');
  });

  it('reports Cloudflare\'s error code and message with zone and record names', async () => {
    const { zoneId, provider } = setup();
    const badTtl = serviceDns(30);
    seed(zoneId, dns.targets.primary);
    const err = await provider.apply(await planFor(provider, badTtl, 'secondary', 1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 9021, status: 400, zone: zoneId, record: SERVICE });
    expect((err as Error).message).toMatch(/TTL must be between 60 and 86400/);
    const missing = new CloudflareDnsProvider({ zoneId: 'f'.repeat(32), apiToken: TOKEN, baseUrl });
    // The state record is read first, so it is the record the error names.
    await expect(missing.read(dns)).rejects.toMatchObject({ code: 7003, zone: 'f'.repeat(32), record: `_lifeboat.${SERVICE}` });
  });

  it('follows result_info pages to find the state record', async () => {
    const { zoneId, provider, requests } = setup();
    fixture.seed(zoneId, Array.from({ length: 120 }, (_, i) => ({ name: `_lifeboat.${SERVICE}`, type: 'TXT', content: `"a-${i}"`, ttl: 60, proxied: false })));
    seed(zoneId, dns.targets.primary, { active: 'secondary', epoch: 9, at: 90 });
    expect((await provider.read(dns)).state).toEqual({ active: 'secondary', epoch: 9, at: 90 });
    expect(requests().filter((r) => r.query.type === 'TXT').map((r) => r.query.page)).toEqual(['1', '2']);
  });
});

/** The state records the zone holds, parsed; what a reader of DNS would see. */
function stateRecords(zoneId: string) {
  return fixture.records(zoneId, `_lifeboat.${SERVICE}`, 'TXT').map((r) => parseStateRecord(r.content)).filter((s) => s !== null);
}

/** Epochs of the state record after every committed batch in the zone, in commit order. */
function recordEpochs(zoneId: string): number[] {
  const epochs: number[] = [];
  fixture.onCommit = (zone, records) => {
    if (zone !== zoneId) return;
    const states = records.filter((r) => r.type === 'TXT').map((r) => parseStateRecord(r.content)).filter((s) => s !== null);
    expect(states).toHaveLength(1);
    epochs.push(states[0]!.epoch);
  };
  return epochs;
}

/** The zone serves exactly one target's records, and its one state record names that target. */
function expectConsistent(zoneId: string) {
  const states = stateRecords(zoneId);
  expect(states).toHaveLength(1);
  const target = dns.targets[states[0]!.active];
  expect(contents(zoneId, 'A')).toEqual([...target.find((s) => s.type === 'A')!.values].sort());
  expect(contents(zoneId, 'AAAA')).toEqual([...target.find((s) => s.type === 'AAAA')!.values].sort());
  return states[0]!;
}

describe('CloudflareDnsProvider compare-and-swap among Lifeboat writers', () => {
  /** A second coordinator: its own provider instance on the same zone. */
  const rivalOf = (zoneId: string) => new CloudflareDnsProvider({ zoneId, apiToken: TOKEN, baseUrl, sleep: async () => {}, random: () => 0.5 });

  /** Runs `rival` once, inside the first batch's read -> batch window. */
  function raceInWindow(rival: () => Promise<void>) {
    fixture.beforeBatch = async () => {
      fixture.beforeBatch = undefined;
      await rival();
    };
  }

  it('a rival that writes the same flip inside the window wins alone; the other gets conflict and its batch changes nothing', async () => {
    const { zoneId, provider, batches } = setup();
    seed(zoneId, dns.targets.primary, { active: 'primary', epoch: 41, at: 100 });
    const epochs = recordEpochs(zoneId);
    const rival = rivalOf(zoneId);
    const mine = await planFor(provider, dns, 'secondary', 1_000);
    const theirs = await planFor(rival, dns, 'secondary', 1_001);
    let rivalResult: unknown;
    raceInWindow(async () => { rivalResult = await rival.apply(theirs); });
    const result = await provider.apply(mine);
    expect(rivalResult).toMatchObject({ outcome: 'applied', state: theirs.newState });
    expect(result).toMatchObject({ outcome: 'conflict', state: theirs.newState });
    expect(batches()).toHaveLength(2); // mine, refused as a whole, and the rival's
    expect(expectConsistent(zoneId)).toEqual(theirs.newState);
    expect(epochs).toEqual([42]);
  });

  it('a rival that flips there and back inside the window is never overwritten: the epoch does not go backwards', async () => {
    const { zoneId, provider } = setup();
    seed(zoneId, dns.targets.primary, { active: 'primary', epoch: 41, at: 100 });
    const epochs = recordEpochs(zoneId);
    const rival = rivalOf(zoneId);
    const stale = await planFor(provider, dns, 'secondary', 1_000);
    raceInWindow(async () => {
      expect((await rival.apply(await planFor(rival, dns, 'secondary', 1_001))).outcome).toBe('applied');
      expect((await rival.apply(await planFor(rival, dns, 'primary', 1_002))).outcome).toBe('applied');
    });
    const result = await provider.apply(stale);
    expect(result).toMatchObject({ outcome: 'conflict', state: { active: 'primary', epoch: 43, at: 1_002 } });
    expect(expectConsistent(zoneId)).toEqual({ active: 'primary', epoch: 43, at: 1_002 });
    expect(epochs).toEqual([42, 43]);
  });

  it('of many writers racing from the same read, exactly one applies and the zone is never half-changed', async () => {
    const { zoneId } = setup();
    seed(zoneId, dns.targets.primary, { active: 'primary', epoch: 7, at: 100 });
    const epochs = recordEpochs(zoneId);
    const writers = Array.from({ length: 6 }, () => rivalOf(zoneId));
    // Every writer reads before any writes: each plan carries the same expected state.
    const plans = await Promise.all(writers.map((w, i) => planFor(w, dns, i % 2 === 0 ? 'secondary' : 'primary', 1_000 + i)));
    const flips = plans.filter((p) => p.changes.length > 0);
    expect(flips.length).toBe(3);
    const results = await Promise.all(flips.map((plan, i) => writers[i * 2]!.apply(plan)));
    expect(results.filter((r) => r.outcome === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'conflict')).toHaveLength(flips.length - 1);
    const final = expectConsistent(zoneId);
    expect(final).toMatchObject({ active: 'secondary', epoch: 8 });
    for (const r of results) expect(r.state).toEqual(final);
    expect(epochs).toEqual([8]);
  });

  it('a record replaced behind its back with the state unchanged is re-read and the flip retried (bounded), not reported as conflict', async () => {
    const { zoneId, provider, sleeps, batches } = setup();
    const [, a2] = seed(zoneId, dns.targets.secondary, { active: 'secondary', epoch: 1, at: 1 });
    const plan = await planFor(provider, dns, 'primary', 1_000);
    fixture.beforeBatch = () => { fixture.beforeBatch = undefined; fixture.remove(zoneId, a2!.id); };
    expect(await provider.apply(plan)).toMatchObject({ outcome: 'applied', state: plan.newState });
    expect(batches()).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(expectConsistent(zoneId)).toEqual(plan.newState);
  });

  it('gives up with DnsRetryExhaustedError, after bounded attempts, when records keep moving under an unchanged state', async () => {
    const { zoneId, provider, batches } = setup({ retry: { attempts: 3 } });
    seed(zoneId, dns.targets.secondary, { active: 'secondary', epoch: 1, at: 1 });
    const plan = await planFor(provider, dns, 'primary', 1_000);
    // Before every batch, someone removes a service record the batch would patch.
    fixture.beforeBatch = (_zone, body) => { fixture.remove(zoneId, body.patches![0]!.id); };
    const err = await provider.apply(plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsRetryExhaustedError);
    expect((err as Error).message).toMatch(/records kept changing under the write \(at most 3 attempts\): 81044/);
    expect(batches()).toHaveLength(3);
    expect(stateRecords(zoneId)).toEqual([{ active: 'secondary', epoch: 1, at: 1 }]);
  });

  it('a first write whose posts collide with a rival first writer\'s is refused as a whole and reported as conflict', async () => {
    const { zoneId, provider } = setup();
    seed(zoneId, dns.targets.primary);
    const rival = rivalOf(zoneId);
    const mine = await planFor(provider, dns, 'secondary', 1_000);
    const theirs = await planFor(rival, dns, 'secondary', 1_001);
    raceInWindow(async () => { expect((await rival.apply(theirs)).outcome).toBe('applied'); });
    expect(await provider.apply(mine)).toMatchObject({ outcome: 'conflict', state: theirs.newState });
    expect(expectConsistent(zoneId)).toEqual(theirs.newState);
  });

  it('reads the newest of several state records and replaces them all with one', async () => {
    const { zoneId, provider } = setup();
    seed(zoneId, dns.targets.primary, { active: 'primary', epoch: 5, at: 50 });
    fixture.seed(zoneId, [{ name: `_lifeboat.${SERVICE}`, type: 'TXT', content: `"${encodeStateRecord({ active: 'primary', epoch: 3, at: 30 })}"`, ttl: 60, proxied: false }]);
    fixture.seed(zoneId, [{ name: `_lifeboat.${SERVICE}`, type: 'TXT', content: '"not a state record"', ttl: 60, proxied: false }]);
    expect((await provider.read(dns)).state).toEqual({ active: 'primary', epoch: 5, at: 50 });
    expect((await provider.apply(await planFor(provider, dns, 'secondary', 1_000))).state).toEqual({ active: 'secondary', epoch: 6, at: 1_000 });
    expect(stateRecords(zoneId)).toEqual([{ active: 'secondary', epoch: 6, at: 1_000 }]);
    expect(fixture.records(zoneId, `_lifeboat.${SERVICE}`, 'TXT').map((r) => r.content)).toContain('"not a state record"');
  });
});
