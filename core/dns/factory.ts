/**
 * From one entry of a service's `dns` list to the provider that writes it. The runtime adapter
 * supplies the clients and secrets; a missing one is a configuration error that says which
 * secret would supply it, raised before any DNS call is made.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { DnsRecordConfig } from '../config/schema.ts';
import type { Fetch, Sleep } from '../ports.ts';
import { CloudflareDnsProvider } from './cloudflare.ts';
import type { DnsTransport } from './dns-transport.ts';
import { createRfc2136Provider } from './rfc2136.ts';
import { Route53Provider } from './route53.ts';
import { DnsError, type DnsProvider } from './types.ts';

export interface DnsProviderDeps {
  /** Built by the adapter (region, credentials, endpoint), ideally with `maxAttempts: 1`. */
  readonly route53Client?: Route53Client;
  readonly cloudflare?: { readonly apiToken: string; readonly baseUrl?: string; readonly fetch?: Fetch };
  /**
   * RFC 2136 zones: the runtime's DNS transport (TCP from Node or workerd) and the TSIG secrets
   * read so far, by the name each entry's `secretFrom` gives.
   */
  readonly rfc2136?: { readonly transport: DnsTransport; readonly secrets: Readonly<Record<string, string>> };
  /** The embedded server's provider (a MemoryDnsProvider over the zone it serves). */
  readonly embedded?: DnsProvider;
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

/** A provider named in the config cannot be built: a dependency or secret is missing. */
export class DnsConfigError extends DnsError {
  override readonly name: string = 'DnsConfigError';
}

export function createDnsProvider(record: DnsRecordConfig, deps: DnsProviderDeps): DnsProvider {
  const common = { ...(deps.sleep ? { sleep: deps.sleep } : {}), ...(deps.random ? { random: deps.random } : {}) };
  switch (record.provider) {
    case 'route53': {
      if (!deps.route53Client) {
        throw new DnsConfigError(
          `Route 53 hosted zone ${record.hostedZoneId} is configured but no Route 53 client was given: `
          + 'the Lambda role (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE when run locally) must supply credentials',
          'route53', record.hostedZoneId);
      }
      return new Route53Provider(deps.route53Client, record.hostedZoneId, common);
    }
    case 'cloudflare': {
      if (!deps.cloudflare?.apiToken) {
        throw new DnsConfigError(
          `Cloudflare zone ${record.zoneId} is configured but no API token was given: set the CLOUDFLARE_API_TOKEN `
          + 'secret (wrangler secret put CLOUDFLARE_API_TOKEN, or the environment variable locally) to a token with Zone DNS Edit',
          'cloudflare', record.zoneId);
      }
      const { apiToken, baseUrl, fetch } = deps.cloudflare;
      return new CloudflareDnsProvider({
        zoneId: record.zoneId, apiToken, ...(baseUrl ? { baseUrl } : {}), ...(fetch ? { fetch } : {}), ...common,
      });
    }
    case 'rfc2136':
      return createRfc2136Provider(record, { secret: deps.rfc2136?.secrets[record.secretFrom], transport: deps.rfc2136?.transport, ...common });
    case 'embedded': {
      if (!deps.embedded) {
        throw new DnsConfigError(
          'the embedded DNS provider is only available in the local run (`lifeboat run`); use route53 or cloudflare when deployed',
          'embedded', 'embedded');
      }
      return deps.embedded;
    }
  }
}
