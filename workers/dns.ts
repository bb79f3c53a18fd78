/**
 * DNS providers for the coordinator Durable Object: Cloudflare DNS over fetch with the API token
 * secret, Route 53 through the AWS SDK with access-key secrets. A provider whose secret is missing
 * is left out here and refused by core's factory (DnsConfigError naming the secret) when a service
 * that uses it is flipped, so one missing secret never blocks the other provider.
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import type { DnsRecordConfig } from '../core/config/schema.ts';
import { createDnsProvider, type DnsProviderDeps } from '../core/dns/factory.ts';
import { ROUTE53_CLIENT_DEFAULTS } from '../core/dns/route53.ts';
import type { DnsProvider } from '../core/dns/types.ts';
import { HttpZoneProvider } from '../core/dns/http-zone.ts';
import type { Env } from './env.ts';

export function dnsDeps(env: Env): DnsProviderDeps {
  const route53Client = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? new Route53Client({
      // Route 53 is a global service signed for us-east-1.
      region: 'us-east-1',
      ...ROUTE53_CLIENT_DEFAULTS,
      ...(env.ROUTE53_ENDPOINT ? { endpoint: env.ROUTE53_ENDPOINT } : {}),
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    })
    : undefined;
  return {
    ...(route53Client ? { route53Client } : {}),
    // Only in the local run: the embedded zone of `lifeboat run`, reached over loopback HTTP.
    ...(env.EMBEDDED_DNS_URL && env.EMBEDDED_DNS_TOKEN
      ? { embedded: new HttpZoneProvider({ baseUrl: env.EMBEDDED_DNS_URL, token: env.EMBEDDED_DNS_TOKEN, zone: 'embedded' }) }
      : {}),
    ...(env.CLOUDFLARE_API_TOKEN
      ? { cloudflare: { apiToken: env.CLOUDFLARE_API_TOKEN, ...(env.CLOUDFLARE_API_BASE_URL ? { baseUrl: env.CLOUDFLARE_API_BASE_URL } : {}) } }
      : {}),
  };
}

export function dnsProviderFactory(env: Env): (record: DnsRecordConfig) => DnsProvider {
  const deps = dnsDeps(env);
  return (record) => createDnsProvider(record, deps);
}
