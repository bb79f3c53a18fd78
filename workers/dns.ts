/**
 * The DNS clients only the Durable Object can make: Route 53 through the AWS SDK with the
 * access-key secrets, and the local run's embedded zone over loopback HTTP. Core's composition
 * (core/coordinator/compose.ts) builds the providers, reads the Cloudflare token, and reports a
 * provider whose secret is missing as degraded, so one missing secret never blocks the other.
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import { ROUTE53_CLIENT_DEFAULTS } from '#core/dns/route53.ts';
import { HttpZoneProvider } from '#core/dns/http-zone.ts';
import type { DnsProvider } from '#core/dns/types.ts';
import type { Env } from './env.ts';

export function workerDnsClients(env: Env): { route53Client?: Route53Client; embedded?: DnsProvider; cloudflareBaseUrl?: string } {
  return {
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
        route53Client: new Route53Client({
          // Route 53 is a global service signed for us-east-1.
          region: 'us-east-1',
          ...ROUTE53_CLIENT_DEFAULTS,
          ...(env.ROUTE53_ENDPOINT ? { endpoint: env.ROUTE53_ENDPOINT } : {}),
          credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
        }),
      }
      : {}),
    // Only in the local run: the embedded zone of `lifeboat run`, reached over loopback HTTP.
    ...(env.EMBEDDED_DNS_URL && env.EMBEDDED_DNS_TOKEN
      ? { embedded: new HttpZoneProvider({ baseUrl: env.EMBEDDED_DNS_URL, token: env.EMBEDDED_DNS_TOKEN, zone: 'embedded' }) }
      : {}),
    ...(env.CLOUDFLARE_API_BASE_URL ? { cloudflareBaseUrl: env.CLOUDFLARE_API_BASE_URL } : {}),
  };
}
