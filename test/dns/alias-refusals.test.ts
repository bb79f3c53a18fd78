/**
 * Only Route 53 holds alias records. The config refuses an alias for any other zone, path-precise;
 * and should a plan reach another provider anyway (a hand-built config object), the plan and the
 * provider refuse it before any write, saying what to use instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareDnsProvider } from '#core/dns/cloudflare.ts';
import { planFlip } from '#core/dns/flip.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import { planChange } from '#core/dns/plan.ts';
import { UnsafePlanError, type DnsPlan, type RecordSet, type ServiceDns } from '#core/dns/types.ts';
import { CloudflareFixture } from '../fixtures/cloudflare-server.ts';

const TOKEN = 'cf-token-SECRET-0123456789abcdef';
const fixture = new CloudflareFixture(TOKEN);
let baseUrl = '';
beforeAll(async () => { baseUrl = await fixture.start(); });
afterAll(() => fixture.stop());

const alias = { dnsName: 'd111111abcdef8.cloudfront.net', hostedZoneId: 'Z2FDTNDATAQYW2', evaluateTargetHealth: false };
const aliasSet: RecordSet = { name: 'app.example.com', type: 'A', ttl: 0, values: [], alias };
const dns: ServiceDns = {
  service: 'app.example.com', ttl: 60,
  targets: { primary: [{ name: 'app.example.com', type: 'A', ttl: 60, values: ['203.0.113.10'] }], secondary: [aliasSet] },
};

describe('alias targets outside Route 53', () => {
  it('Cloudflare: the plan is refused, suggesting a CNAME, and no request is sent', async () => {
    const zoneId = 'c'.repeat(32);
    fixture.addZone(zoneId);
    const provider = new CloudflareDnsProvider({ zoneId, apiToken: TOKEN, baseUrl, sleep: async () => {}, random: () => 0.5 });
    const before = fixture.requests.length;
    const err = await planFlip({ provider, dns }, 'secondary', 1_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafePlanError);
    expect((err as Error).message).toBe(`cloudflare zone ${zoneId} cannot hold app.example.com A as a Route 53 alias to d111111abcdef8.cloudfront.net; Cloudflare has no Route 53 alias: give the target a cname to the resource's DNS name`);
    // A plan built by hand (planned as if for Route 53) is refused by apply and applyMany alike, unsent.
    const plan: DnsPlan = { ...planChange({ provider: 'route53', zone: 'Z1', dns, current: { records: [], state: null }, to: 'secondary', at: 1 }), provider: 'cloudflare', zone: zoneId };
    await expect(provider.apply(plan)).rejects.toThrow(/Cloudflare has no Route 53 alias/);
    const [many] = await provider.applyMany([plan]);
    expect(many).toBeInstanceOf(UnsafePlanError);
    expect(fixture.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('embedded zone: plan and apply refuse an alias and the zone is untouched', async () => {
    const zone = new MemoryZone('example.com');
    const provider = new MemoryDnsProvider(zone, { name: 'embedded' });
    await expect(planFlip({ provider, dns }, 'secondary', 1_000)).rejects.toThrow('embedded zone example.com cannot hold app.example.com A as a Route 53 alias to d111111abcdef8.cloudfront.net; give the target a, aaaa or cname records');
    const plan: DnsPlan = { ...planChange({ provider: 'route53', zone: 'Z1', dns, current: { records: [], state: null }, to: 'secondary', at: 1 }), provider: 'embedded', zone: 'example.com' };
    await expect(provider.apply(plan)).rejects.toBeInstanceOf(UnsafePlanError);
    expect(zone.get('app.example.com', 'A')).toBeUndefined();
  });
});
