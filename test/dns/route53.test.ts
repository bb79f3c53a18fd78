/**
 * Route53Provider against a loopback Route 53 (REST-XML), driven by the real Route53Client:
 * the requests are signed, serialised and parsed by the SDK exactly as against AWS.
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE53_CLIENT_DEFAULTS, Route53ApiError, Route53Provider, type Route53ProviderOptions } from '#core/dns/route53.ts';
import { encodeStateRecord } from '#core/dns/state-record.ts';
import { DnsError, DnsRetryExhaustedError } from '#core/dns/types.ts';
import { Route53Fixture } from '../fixtures/route53-server.ts';
import { planFor, providerContract, SERVICE, serviceDns } from './provider-contract.ts';

const fixture = new Route53Fixture();
let endpoint = '';
let zoneSeq = 0;
beforeAll(async () => { endpoint = await fixture.start(); });
afterAll(() => fixture.stop());

const client = (extra: Record<string, unknown> = {}) => new Route53Client({
  region: 'us-east-1', endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'fixture-secret-not-real' },
  ...ROUTE53_CLIENT_DEFAULTS, ...extra,
});

function setup(options: Route53ProviderOptions = {}, apex = 'example.com') {
  const zoneId = `Z${String(++zoneSeq).padStart(6, '0')}TEST`;
  fixture.addZone(zoneId, apex);
  const sleeps: number[] = [];
  const provider = new Route53Provider(client(), zoneId, { sleep: async (ms) => { sleeps.push(ms); }, random: () => 0.5, ...options });
  const writes = () => fixture.writes().filter((r) => r.path.includes(zoneId));
  const requests = () => fixture.requests.filter((r) => r.path.includes(zoneId));
  return { zoneId, provider, sleeps, writes, requests };
}

const dns = serviceDns();
const seedPrimary = (zoneId: string, state?: Parameters<typeof encodeStateRecord>[0]) => fixture.seed(zoneId, [
  ...dns.targets.primary.map((s) => ({ name: `${s.name}.`, type: s.type, ttl: s.ttl, values: [...s.values] })),
  ...(state ? [{ name: `_lifeboat.${SERVICE}.`, type: 'TXT', ttl: 300, values: [`"${encodeStateRecord(state)}"`] }] : []),
]);

providerContract('route53', async () => {
  const { zoneId, provider, writes } = setup();
  return {
    provider,
    seed: (sets, state) => fixture.seed(zoneId, [
      ...sets.map((s) => ({ name: `${s.name}.`, type: s.type, ttl: s.ttl, values: [...s.values] })),
      ...(state ? [{ name: `_lifeboat.${SERVICE}.`, type: 'TXT', ttl: 300, values: [`"${encodeStateRecord(state)}"`] }] : []),
    ]),
    writes: () => writes().length,
    values: (name, type) => fixture.get(zoneId, name, type)?.values.slice().sort(),
  };
});

describe('Route53Provider on the wire', () => {
  it('sends one signed batch: UPSERTs, DELETE of the exact old TXT, CREATE of the new one', async () => {
    const { zoneId, provider, writes } = setup();
    seedPrimary(zoneId, { active: 'primary', epoch: 2, at: 100 });
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    const result = await provider.apply(plan);
    expect(result).toMatchObject({ outcome: 'applied', zone: zoneId, changeId: expect.stringMatching(/^C\d+$/) });
    const [write] = writes();
    expect(write!.path).toMatch(new RegExp(`^/2013-04-01/hostedzone/${zoneId}/rrset/?$`));
    expect(write!.method).toBe('POST');
    expect(write!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/route53\/aws4_request/);
    expect(write!.changes).toEqual([
      { action: 'UPSERT', set: { name: `${SERVICE}.`, type: 'A', ttl: 60, values: ['198.51.100.20', '198.51.100.21'] } },
      { action: 'UPSERT', set: { name: `${SERVICE}.`, type: 'AAAA', ttl: 60, values: ['2001:db8::20'] } },
      { action: 'DELETE', set: { name: `_lifeboat.${SERVICE}.`, type: 'TXT', ttl: 300, values: ['"lifeboat=1 active=primary epoch=2 at=100"'] } },
      { action: 'CREATE', set: { name: `_lifeboat.${SERVICE}.`, type: 'TXT', ttl: 60, values: ['"lifeboat=1 active=secondary epoch=3 at=1000"'] } },
    ]);
  });

  it('returns conflict when another writer changes the TXT between read and batch (atomic CAS)', async () => {
    const { zoneId, provider, writes } = setup();
    seedPrimary(zoneId, { active: 'primary', epoch: 1, at: 1 });
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    fixture.onRequest = (r) => {
      if (r.op !== 'ChangeResourceRecordSets' || !r.path.includes(zoneId)) return;
      fixture.seed(zoneId, [{ name: `_lifeboat.${SERVICE}.`, type: 'TXT', ttl: 300, values: ['"lifeboat=1 active=secondary epoch=2 at=999"'] }]);
    };
    try {
      const result = await provider.apply(plan);
      expect(result.outcome).toBe('conflict');
      expect(result.state).toEqual({ active: 'secondary', epoch: 2, at: 999 });
    } finally {
      fixture.onRequest = undefined;
    }
    expect(writes()).toHaveLength(1);
    expect(fixture.get(zoneId, SERVICE, 'A')!.values).toEqual(['203.0.113.10']); // whole batch rejected
  });

  it('retries Throttling with jittered, growing backoff, then succeeds', async () => {
    const { zoneId, provider, sleeps, writes } = setup();
    seedPrimary(zoneId);
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    fixture.failNext(2, 'Throttling', 'ChangeResourceRecordSets');
    expect((await provider.apply(plan)).outcome).toBe('applied');
    expect(writes()).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]); // random 0.5 of 200ms, 400ms
  });

  it('retries PriorRequestNotComplete and 5xx, on reads and writes', async () => {
    const { zoneId, provider, sleeps, requests } = setup();
    seedPrimary(zoneId);
    fixture.failNext(1, 'ServiceUnavailable', 'ListResourceRecordSets');
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    fixture.failNext(1, 'PriorRequestNotComplete', 'ChangeResourceRecordSets');
    fixture.failNext(1, 'InternalFailure', 'ChangeResourceRecordSets');
    expect((await provider.apply(plan)).outcome).toBe('applied');
    expect(sleeps).toHaveLength(3);
    expect(requests().filter((r) => r.op === 'ChangeResourceRecordSets')).toHaveLength(3);
  });

  it('a batch that landed before its 5xx is reported applied after the retry is rejected', async () => {
    const { zoneId, provider, writes } = setup();
    seedPrimary(zoneId, { active: 'primary', epoch: 1, at: 1 });
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    fixture.failNext(1, 'InternalFailure', 'ChangeResourceRecordSets', true);
    expect(await provider.apply(plan)).toMatchObject({ outcome: 'applied', state: plan.newState });
    expect(writes()).toHaveLength(2); // the resend was rejected as InvalidChangeBatch: the old TXT is gone
    expect((await provider.read(dns)).state).toEqual(plan.newState);
  });

  it('gives up after the bounded attempts with DnsRetryExhaustedError naming the zone', async () => {
    const { zoneId, provider, sleeps } = setup({ retry: { attempts: 3 } });
    seedPrimary(zoneId);
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    fixture.failNext(5, 'Throttling', 'ChangeResourceRecordSets');
    const err = await provider.apply(plan).catch((e: unknown) => e);
    fixture.clearFailures();
    expect(err).toBeInstanceOf(DnsRetryExhaustedError);
    expect((err as DnsError).zone).toBe(zoneId);
    expect((err as Error).message).toContain(zoneId);
    expect(sleeps).toHaveLength(2);
  });

  it('fails NoSuchHostedZone with a clear DnsError naming zone and record', async () => {
    const provider = new Route53Provider(client(), '/hostedzone/ZNOSUCHZONE', { sleep: async () => {} });
    const err = await provider.read(dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Route53ApiError);
    expect(err).toMatchObject({ code: 'NoSuchHostedZone', zone: 'ZNOSUCHZONE', provider: 'route53', status: 404 });
    expect((err as Error).message).toMatch(/ZNOSUCHZONE.*app\.example\.com.*No hosted zone found/);
  });

  it('surfaces an InvalidChangeBatch that is not a race as a DnsError with AWS\'s message', async () => {
    const { zoneId, provider } = setup({}, 'example.net');
    const plan = await planFor(provider, dns, 'secondary', 1_000);
    const err = await provider.apply(plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Route53ApiError);
    expect(err).toMatchObject({ code: 'InvalidChangeBatch', zone: zoneId, record: SERVICE, status: 400 });
    expect((err as Error).message).toContain('is not permitted in zone example.net.');
  });

  it('follows IsTruncated/NextRecordName across pages and stops at the next name', async () => {
    const { zoneId, provider, requests } = setup({ pageSize: 1 });
    fixture.seed(zoneId, [
      { name: 'a.example.com.', type: 'A', ttl: 60, values: ['192.0.2.1'] },
      { name: `${SERVICE}.`, type: 'A', ttl: 60, values: ['203.0.113.11', '203.0.113.10'] },
      { name: `${SERVICE}.`, type: 'AAAA', ttl: 60, values: ['2001:DB8::10'] },
      { name: `${SERVICE}.`, type: 'MX', ttl: 60, values: ['10 mail.example.com.'] },
      { name: `${SERVICE}.`, type: 'TXT', ttl: 60, values: ['"v=spf1 -all"'] },
      { name: `0.${SERVICE}.`, type: 'A', ttl: 60, values: ['192.0.2.9'] },
      { name: `_lifeboat.${SERVICE}.`, type: 'TXT', ttl: 60, values: ['"lifeboat=1 active=primary" " epoch=7 at=70"'] },
      { name: 'zzz.example.com.', type: 'A', ttl: 60, values: ['192.0.2.2'] },
    ]);
    const current = await provider.read(dns);
    expect(current.records).toEqual([
      { name: SERVICE, type: 'A', ttl: 60, values: ['203.0.113.10', '203.0.113.11'] },
      { name: SERVICE, type: 'AAAA', ttl: 60, values: ['2001:db8::10'] },
    ]);
    expect(current.state).toEqual({ active: 'primary', epoch: 7, at: 70 });
    const lists = requests().filter((r) => r.op === 'ListResourceRecordSets');
    // 5 pages from the name (the 5th shows the next name and ends it), 2 from the TXT name.
    expect(lists).toHaveLength(7);
    const queries = lists.map((r) => r.query);
    expect(queries).toContainEqual({ name: SERVICE, maxitems: '1' });
    expect(queries).toContainEqual({ name: `_lifeboat.${SERVICE}`, type: 'TXT', maxitems: '1' });
    expect(queries).toContainEqual({ name: `${SERVICE}.`, type: 'AAAA', maxitems: '1' });
  });

  it('waits for INSYNC with bounded GetChange polling', async () => {
    const { zoneId, provider, sleeps } = setup();
    seedPrimary(zoneId);
    const { changeId } = await provider.apply(await planFor(provider, dns, 'secondary', 1_000));
    fixture.pendingPolls = 2;
    expect(await provider.waitForSync(changeId!, { timeoutMs: 10_000, pollMs: 1_000 })).toBe(true);
    expect(fixture.requests.filter((r) => r.op === 'GetChange' && r.path.endsWith(changeId!))).toHaveLength(3);
    expect(sleeps).toEqual([1_000, 1_000]);
    fixture.pendingPolls = 1_000;
    const { changeId: second } = await provider.apply(await planFor(provider, dns, 'primary', 2_000));
    expect(await provider.waitForSync(second!, { timeoutMs: 3_000, pollMs: 1_000 })).toBe(false);
    fixture.pendingPolls = 1;
  });

  it('reaches the endpoint named by AWS_ENDPOINT_URL_ROUTE_53', async () => {
    const zoneId = 'ZENVENDPOINT';
    fixture.addZone(zoneId, 'example.com');
    const saved = process.env.AWS_ENDPOINT_URL_ROUTE_53;
    process.env.AWS_ENDPOINT_URL_ROUTE_53 = endpoint;
    try {
      const envClient = new Route53Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }, maxAttempts: 1 });
      expect((await new Route53Provider(envClient, zoneId).read(dns)).records).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_ROUTE_53;
      else process.env.AWS_ENDPOINT_URL_ROUTE_53 = saved;
    }
    expect(fixture.requests.some((r) => r.path.includes(zoneId))).toBe(true);
  });
});
