/**
 * Inside workerd: both DNS providers, built as a Worker builds them (the real Route53Client,
 * the global fetch), flip a service against the Node fixture servers over loopback HTTP.
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, inject, it } from 'vitest';
import { CloudflareDnsProvider } from '#core/dns/cloudflare.ts';
import { planFlip } from '#core/dns/flip.ts';
import { isNoop, planChange } from '#core/dns/plan.ts';
import { ROUTE53_CLIENT_DEFAULTS, Route53Provider } from '#core/dns/route53.ts';
import type { DnsProvider, ServiceDns } from '#core/dns/types.ts';

const dns: ServiceDns = {
  service: 'app.example.com',
  ttl: 60,
  targets: {
    primary: [{ name: 'app.example.com', type: 'A', ttl: 60, values: ['203.0.113.10'] }],
    secondary: [{ name: 'app.example.com', type: 'A', ttl: 60, values: ['198.51.100.20'] }],
  },
};

async function flipTwice(provider: DnsProvider) {
  const plan = await planFlip({ provider, dns }, 'secondary', 1_000);
  const first = await provider.apply(plan);
  const current = await provider.read(dns);
  const again = planChange({ provider: provider.name, zone: provider.zone, dns, current, to: 'secondary', at: 2_000 });
  return { first, current, again, second: await provider.apply(again) };
}

describe('DNS providers inside workerd', () => {
  it('runs in workerd, not Node', () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers');
  });

  it('Route53Provider flips through the real Route53Client over loopback', async () => {
    const { r53Zone } = inject('fixtureIds');
    const client = new Route53Client({
      region: 'us-east-1', endpoint: inject('route53Endpoint'), ...ROUTE53_CLIENT_DEFAULTS,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'fixture-secret-not-real' },
    });
    const { first, current, again, second } = await flipTwice(new Route53Provider(client, r53Zone));
    expect(first).toMatchObject({ outcome: 'applied', state: { active: 'secondary', epoch: 1 } });
    expect(first.changeId).toMatch(/^C\d+$/);
    expect(current.records).toEqual([{ name: 'app.example.com', type: 'A', ttl: 60, values: ['198.51.100.20'] }]);
    expect(isNoop(again)).toBe(true);
    expect(second.outcome).toBe('unchanged');
  });

  it('CloudflareDnsProvider flips through the global fetch over loopback', async () => {
    const { cfZone, cfToken } = inject('fixtureIds');
    const provider = new CloudflareDnsProvider({ zoneId: cfZone, apiToken: cfToken, baseUrl: inject('cloudflareBaseUrl') });
    const { first, current, second } = await flipTwice(provider);
    expect(first).toMatchObject({ outcome: 'applied', state: { active: 'secondary', epoch: 1 } });
    expect(current.records).toEqual([{ name: 'app.example.com', type: 'A', ttl: 60, values: ['198.51.100.20'], proxied: false }]);
    expect(second.outcome).toBe('unchanged');
  });
});
