/**
 * Inside workerd: the Worker's own Route 53 client (workers/route53-client.ts, what the deployed
 * Worker bundles instead of the AWS SDK) flips a service through core's Route53Provider against
 * the Node Route 53 fixture over loopback, signing with workerd's WebCrypto.
 */
import { describe, expect, inject, it, vi } from 'vitest';
import type { Route53Client as SdkRoute53Client } from '@aws-sdk/client-route-53';
import { planFlip } from '#core/dns/flip.ts';
import { isNoop, planChange } from '#core/dns/plan.ts';
import { ROUTE53_CLIENT_DEFAULTS, Route53Provider } from '#core/dns/route53.ts';
import type { ServiceDns } from '#core/dns/types.ts';
import { Route53Client } from '../../workers/route53-client.ts';

// As wrangler.jsonc's alias does in the Worker: core's commands come from the same module.
vi.mock('@aws-sdk/client-route-53', () => import('../../workers/route53-client.ts'));

// A name of its own in the shared fixture zone: dns-providers.test.ts flips app.example.com.
const dns: ServiceDns = {
  service: 'worker.example.com',
  ttl: 60,
  targets: {
    primary: [{ name: 'worker.example.com', type: 'A', ttl: 60, values: ['203.0.113.30'] }],
    secondary: [{ name: 'worker.example.com', type: 'A', ttl: 60, values: ['198.51.100.30'] }],
  },
};

describe('the Worker Route 53 client inside workerd', () => {
  it('flips, reads back and then has nothing to do', async () => {
    const { r53Zone } = inject('fixtureIds');
    const client = new Route53Client({
      region: 'us-east-1', endpoint: inject('route53Endpoint'), ...ROUTE53_CLIENT_DEFAULTS,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'fixture-secret-not-real' },
    });
    // core types its client as the SDK's; the Worker's has only the part core uses.
    const provider = new Route53Provider(client as unknown as SdkRoute53Client, r53Zone);
    const first = await provider.apply(await planFlip({ provider, dns }, 'secondary', 1_000));
    expect(first).toMatchObject({ outcome: 'applied', state: { active: 'secondary', epoch: 1 } });
    expect(first.changeId).toMatch(/^C\d+$/);
    const current = await provider.read(dns);
    expect(current.records).toEqual([{ name: 'worker.example.com', type: 'A', ttl: 60, values: ['198.51.100.30'] }]);
    expect(isNoop(planChange({ provider: provider.name, zone: provider.zone, dns, current, to: 'secondary', at: 2_000 }))).toBe(true);
    expect(await provider.waitForSync(first.changeId!, { timeoutMs: 5_000, pollMs: 1 })).toBe(true);
  });
});
