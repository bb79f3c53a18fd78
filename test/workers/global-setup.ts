/**
 * Runs in Node before the workerd tests: starts the Route 53 and Cloudflare fixture servers on
 * loopback and hands their URLs to the tests through `provide`.
 */
import type { TestProject } from 'vitest/node';
import { bindAvailable, startBind } from '../fixtures/bind.ts';
import { CloudflareFixture } from '../fixtures/cloudflare-server.ts';
import { Route53Fixture } from '../fixtures/route53-server.ts';

export const CF_TOKEN = 'workerd-fixture-token';
export const R53_ZONE = 'ZWORKERD0001';
export const CF_ZONE = 'c0ffee00c0ffee00c0ffee00c0ffee00';

declare module 'vitest' {
  export interface ProvidedContext {
    route53Endpoint: string;
    cloudflareBaseUrl: string;
    fixtureIds: { r53Zone: string; cfZone: string; cfToken: string };
    /** The BIND fixture for the RFC 2136 provider; null when named is missing (not on CI). */
    bind: { port: number; zone: string; keyName: string; secret: string } | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const r53 = new Route53Fixture().addZone(R53_ZONE, 'example.com');
  r53.seed(R53_ZONE, [{ name: 'app.example.com.', type: 'A', ttl: 60, values: ['203.0.113.10'] }]);
  const cf = new CloudflareFixture(CF_TOKEN).addZone(CF_ZONE);
  cf.seed(CF_ZONE, [{ name: 'app.example.com', type: 'A', content: '203.0.113.10', ttl: 60, proxied: false }]);
  project.provide('route53Endpoint', await r53.start());
  project.provide('cloudflareBaseUrl', await cf.start());
  project.provide('fixtureIds', { r53Zone: R53_ZONE, cfZone: CF_ZONE, cfToken: CF_TOKEN });
  const bind = bindAvailable() ? await startBind() : undefined;
  project.provide('bind', bind ? { port: bind.port, zone: bind.zone, keyName: bind.keyName, secret: bind.secret } : null);
  return async () => { await Promise.all([r53.stop(), cf.stop(), bind?.stop()]); };
}
