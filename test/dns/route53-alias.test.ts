/**
 * Route 53 alias targets (an ALB or CloudFront in front of each site) through Route53Provider,
 * against the loopback Route 53 driven by the real Route53Client: what goes on the wire is the
 * SDK's own ResourceRecordSet XML with AliasTarget {HostedZoneId, DNSName, EvaluateTargetHealth}.
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import { flipMany } from '#core/dns/batch.ts';
import { serviceDns } from '#core/dns/desired.ts';
import { planFlip } from '#core/dns/flip.ts';
import { ROUTE53_CLIENT_DEFAULTS, Route53Provider } from '#core/dns/route53.ts';
import { encodeStateRecord } from '#core/dns/state-record.ts';
import type { ServiceConfig } from '#core/config/schema.ts';
import { Route53Fixture } from '../fixtures/route53-server.ts';

const fixture = new Route53Fixture();
let endpoint = '';
let zoneSeq = 0;
beforeAll(async () => { endpoint = await fixture.start(); });
afterAll(() => fixture.stop());

const PRIMARY_ALB = { dnsName: 'dualstack.primary-alb-123.ap-northeast-2.elb.amazonaws.com', hostedZoneId: 'ZWKZPGTI48KDX' };
const SECONDARY_CF = { dnsName: 'd111111abcdef8.cloudfront.net', hostedZoneId: 'Z2FDTNDATAQYW2', evaluateTargetHealth: false };

function config(primary: Record<string, unknown>, secondary: Record<string, unknown>, zone = 'Z0SERVICEZONE', name = 'app.example.com') {
  return loadConfig({
    services: [{
      name, primary: { url: 'https://primary.example.com', ...primary }, secondary: { url: 'https://secondary.example.com', ...secondary },
      healthCheck: { type: 'http', path: '/health' }, dns: [{ provider: 'route53', hostedZoneId: zone, ttl: 60 }],
    }],
    vantagePoints: { aws: ['us-east-1'], cloudflare: [] },
    keys: [{ id: 'probe-aws', scope: 'probe', speaksFor: ['aws'] }],
  });
}

function setup() {
  const zoneId = `Z${String(++zoneSeq).padStart(6, '0')}ALIAS`;
  fixture.addZone(zoneId, 'example.com');
  const client = new Route53Client({
    region: 'us-east-1', endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'fixture-secret-not-real' }, ...ROUTE53_CLIENT_DEFAULTS,
  });
  const provider = new Route53Provider(client, zoneId, { sleep: async () => {}, random: () => 0.5, pace: { perSecond: 1_000, burst: 1_000 } });
  const writes = () => fixture.writes().filter((r) => r.path.includes(zoneId));
  return { zoneId, provider, writes };
}

const aliasService = (zone: string) => config({ alias: PRIMARY_ALB }, { alias: SECONDARY_CF }, zone).services[0]!;
const dnsOf = (service: ServiceConfig) => serviceDns(service, service.dns[0]!);

describe('Route 53 alias targets', () => {
  it('flips primary alias -> secondary alias in one batch with AliasTarget on the wire, and back', async () => {
    const { zoneId, provider, writes } = setup();
    const service = aliasService(zoneId);
    fixture.seed(zoneId, [
      { name: 'app.example.com', type: 'A', ttl: 0, values: [], alias: { hostedZoneId: PRIMARY_ALB.hostedZoneId, dnsName: `${PRIMARY_ALB.dnsName}.`, evaluateTargetHealth: false } },
      { name: '_lifeboat.app.example.com', type: 'TXT', ttl: 60, values: [`"${encodeStateRecord({ active: 'primary', epoch: 1, at: 1 })}"`] },
    ]);
    const target = { provider, dns: dnsOf(service) };
    // Read back from ListResourceRecordSets: the alias is seen as it is, so the primary plan is a no-op.
    const same = await planFlip(target, 'primary', 10);
    expect(same.changes).toEqual([]);
    const plan = await planFlip(target, 'secondary', 1_000);
    expect(plan.changes).toEqual([{
      kind: 'update',
      before: { name: 'app.example.com', type: 'A', ttl: 0, values: [], alias: { dnsName: PRIMARY_ALB.dnsName, hostedZoneId: PRIMARY_ALB.hostedZoneId, evaluateTargetHealth: false } },
      after: { name: 'app.example.com', type: 'A', ttl: 0, values: [], alias: SECONDARY_CF },
    }]);
    expect(await provider.apply(plan)).toMatchObject({ outcome: 'applied', changeId: expect.stringMatching(/^C\d+$/) });
    const [write] = writes();
    expect(write!.changes).toEqual([
      { action: 'UPSERT', set: { name: 'app.example.com.', type: 'A', ttl: 0, values: [], alias: { hostedZoneId: 'Z2FDTNDATAQYW2', dnsName: 'd111111abcdef8.cloudfront.net.', evaluateTargetHealth: false } } },
      { action: 'DELETE', set: expect.objectContaining({ name: '_lifeboat.app.example.com.', type: 'TXT', ttl: 60 }) },
      { action: 'CREATE', set: expect.objectContaining({ name: '_lifeboat.app.example.com.', type: 'TXT', ttl: 60 }) },
    ]);
    expect(fixture.get(zoneId, 'app.example.com', 'A')?.alias).toEqual({ hostedZoneId: 'Z2FDTNDATAQYW2', dnsName: 'd111111abcdef8.cloudfront.net.', evaluateTargetHealth: false });
    // Idempotent: applying the same decision again sends nothing.
    const again = await planFlip(target, 'secondary', 2_000);
    expect(await provider.apply(again)).toMatchObject({ outcome: 'unchanged' });
    expect(writes()).toHaveLength(1);
    // And back.
    const back = await planFlip(target, 'primary', 3_000);
    expect(await provider.apply(back)).toMatchObject({ outcome: 'applied', state: { active: 'primary', epoch: 3 } });
    expect(fixture.get(zoneId, 'app.example.com', 'A')?.alias?.dnsName).toBe(`${PRIMARY_ALB.dnsName}.`);
    expect(writes()).toHaveLength(2);
  });

  it('writes an A and an AAAA alias with ipv6, EvaluateTargetHealth as configured', async () => {
    const { zoneId, provider, writes } = setup();
    const service = config({ alias: { ...PRIMARY_ALB, ipv6: true, evaluateTargetHealth: true } }, { alias: { ...SECONDARY_CF, ipv6: true } }, zoneId).services[0]!;
    const plan = await planFlip({ provider, dns: dnsOf(service) }, 'primary', 1_000);
    expect(await provider.apply(plan)).toMatchObject({ outcome: 'applied' });
    expect(writes()[0]!.changes!.filter((c) => c.action === 'UPSERT').map((c) => [c.set.type, c.set.alias])).toEqual([
      ['A', { hostedZoneId: 'ZWKZPGTI48KDX', dnsName: `${PRIMARY_ALB.dnsName}.`, evaluateTargetHealth: true }],
      ['AAAA', { hostedZoneId: 'ZWKZPGTI48KDX', dnsName: `${PRIMARY_ALB.dnsName}.`, evaluateTargetHealth: true }],
    ]);
  });

  it('a rival flip between read and write is a conflict: nothing written', async () => {
    const { zoneId, provider, writes } = setup();
    const service = aliasService(zoneId);
    fixture.seed(zoneId, [{ name: '_lifeboat.app.example.com', type: 'TXT', ttl: 60, values: [`"${encodeStateRecord({ active: 'primary', epoch: 1, at: 1 })}"`] }]);
    const plan = await planFlip({ provider, dns: dnsOf(service) }, 'secondary', 1_000);
    fixture.seed(zoneId, [{ name: '_lifeboat.app.example.com', type: 'TXT', ttl: 60, values: [`"${encodeStateRecord({ active: 'secondary', epoch: 2, at: 500 })}"`] }]);
    expect(await provider.apply(plan)).toMatchObject({ outcome: 'conflict', state: { active: 'secondary', epoch: 2 } });
    expect(writes()).toHaveLength(0);
    expect(fixture.get(zoneId, 'app.example.com', 'A')).toBeUndefined();
  });

  it('mixed: an A-record primary and an alias secondary flip both ways (UPSERT replaces one kind with the other)', async () => {
    const { zoneId, provider } = setup();
    const service = config({ a: ['203.0.113.10'] }, { alias: SECONDARY_CF }, zoneId).services[0]!;
    const target = { provider, dns: dnsOf(service) };
    await provider.apply(await planFlip(target, 'primary', 1_000));
    expect(fixture.get(zoneId, 'app.example.com', 'A')).toMatchObject({ ttl: 60, values: ['203.0.113.10'] });
    await provider.apply(await planFlip(target, 'secondary', 2_000));
    expect(fixture.get(zoneId, 'app.example.com', 'A')).toMatchObject({ ttl: 0, values: [], alias: { dnsName: 'd111111abcdef8.cloudfront.net.' } });
    await provider.apply(await planFlip(target, 'primary', 3_000));
    expect(fixture.get(zoneId, 'app.example.com', 'A')).toEqual({ name: 'app.example.com.', type: 'A', ttl: 60, values: ['203.0.113.10'] });
    expect((await planFlip(target, 'primary', 4_000)).changes).toEqual([]);
  });

  it('refuses a plan that would drop the AAAA of an address primary for an A-only alias (safety rail)', async () => {
    const { zoneId, provider } = setup();
    const service = config({ a: ['203.0.113.10'], aaaa: ['2001:db8::10'] }, { alias: SECONDARY_CF }, zoneId).services[0]!;
    const target = { provider, dns: dnsOf(service) };
    await provider.apply(await planFlip(target, 'primary', 1_000));
    await expect(planFlip(target, 'secondary', 2_000)).rejects.toThrow(/would delete the AAAA record \(2001:db8::10\)/);
  });

  it('batched mass flip: 40 alias services in one zone go over in one change batch', async () => {
    const { zoneId, provider, writes } = setup();
    const services = Array.from({ length: 40 }, (_, i) => config({ alias: PRIMARY_ALB }, { alias: SECONDARY_CF }, zoneId, `app${i}.example.com`).services[0]!);
    const items = services.map((s) => ({ dns: dnsOf(s), to: 'secondary' as const, epoch: 1 }));
    const results = await flipMany(provider, items, 1_000);
    expect(results.every((r) => r.ok && r.outcome === 'applied')).toBe(true);
    expect(writes()).toHaveLength(1);
    expect(writes()[0]!.changes!.filter((c) => c.set.alias)).toHaveLength(40);
    for (let i = 0; i < 40; i++) expect(fixture.get(zoneId, `app${i}.example.com`, 'A')?.alias?.dnsName).toBe('d111111abcdef8.cloudfront.net.');
    // Re-read through the zone listing (readMany): every alias reads back equal, so nothing more is sent.
    const again = await flipMany(provider, items, 2_000);
    expect(again.every((r) => r.ok && r.outcome === 'unchanged')).toBe(true);
    expect(writes()).toHaveLength(1);
  });

  it('takes over a name that holds a plain A record: the alias replaces it', async () => {
    const { zoneId, provider } = setup();
    const service = aliasService(zoneId);
    fixture.seed(zoneId, [{ name: 'app.example.com', type: 'A', ttl: 60, values: ['203.0.113.10'] }]);
    const plan = await planFlip({ provider, dns: dnsOf(service) }, 'primary', 1_000);
    expect(plan.changes).toMatchObject([{ kind: 'update', before: { values: ['203.0.113.10'] }, after: { alias: { dnsName: PRIMARY_ALB.dnsName } } }]);
  });
});
