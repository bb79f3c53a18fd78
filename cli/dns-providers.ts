/**
 * The CLI's DNS providers: one target per (service, dns entry) of the config, built with
 * core/dns/factory.ts from the environment. A provider that cannot be built (a missing secret)
 * becomes a target carrying that error, so the other providers still work and each result is
 * reported on its own. Secrets are read here and handed to the clients; they are never printed.
 *
 * - embedded:   the file zone of the service's parent domain (cli/local/embedded-zones.ts)
 * - route53:    Route53Client; AWS_REGION (default us-east-1), AWS_ENDPOINT_URL_ROUTE_53, and
 *               AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN] or the SDK's profile chain
 * - cloudflare: CLOUDFLARE_API_TOKEN, and LIFEBOAT_CLOUDFLARE_API_URL to point at another API base
 * - rfc2136:    the base64 TSIG secret in the variable the entry's `secretFrom` names; TCP from here
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Route53Client } from '@aws-sdk/client-route-53';
import type { DnsRecordConfig, LifeboatConfig, ServiceConfig } from '#core/config/schema.ts';
import { serviceDns } from '#core/dns/desired.ts';
import { createDnsProvider } from '#core/dns/factory.ts';
import { ROUTE53_CLIENT_DEFAULTS } from '#core/dns/route53.ts';
import { normaliseName } from '#core/model.ts';
import type { DnsProvider, ServiceDns } from '#core/dns/types.ts';
import { embeddedApex, embeddedZones } from './local/embedded-zones.ts';
import { FileDnsProvider, type FileZone } from './local/file-zone.ts';
import { UsageError } from './io.ts';
import { nodeDnsTransport } from '../functions/runtime/node-dns-transport.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface DnsTarget {
  readonly service: string;
  readonly record: DnsRecordConfig;
  readonly dns: ServiceDns;
  /** Where the records live, for people: "route53 Z0123…", "embedded example.com". */
  readonly where: string;
  readonly provider: DnsProvider | null;
  /** Why the provider could not be built (then `provider` is null). */
  readonly error: Error | null;
}

export interface DnsTargetOptions {
  readonly env: Env;
  readonly zoneDir: string;
  /** Only these services (names as configured); all when empty. */
  readonly services?: readonly string[];
}

export function describeRecord(record: DnsRecordConfig, service: string): string {
  switch (record.provider) {
    case 'route53': return `route53 ${record.hostedZoneId}`;
    case 'cloudflare': return `cloudflare ${record.zoneId}`;
    case 'embedded': return `embedded ${embeddedApex(service)}`;
    case 'rfc2136': return `rfc2136 ${record.zone} at ${record.server}:${record.port}`;
  }
}

/** Whether the AWS SDK's default chain has something to find, without touching the network. */
function awsCredentialsConfigured(env: Env): boolean {
  if (env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE || env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return true;
  const home = env.HOME ?? homedir();
  return [env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials'), env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config')].some((p) => existsSync(p));
}

export function route53ClientFromEnv(env: Env): Route53Client | undefined {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL_ROUTE_53 ?? env.AWS_ENDPOINT_URL;
  const common = { ...ROUTE53_CLIENT_DEFAULTS, region, ...(endpoint ? { endpoint } : {}) };
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return new Route53Client({
      ...common,
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      },
    });
  }
  // No keys: the factory then says which variables to set, instead of the SDK probing the network.
  return awsCredentialsConfigured(env) ? new Route53Client(common) : undefined;
}

export function selectServices(config: LifeboatConfig, names: readonly string[] = []): ServiceConfig[] {
  if (names.length === 0) return config.services;
  return names.map((n) => {
    const found = config.services.find((s) => normaliseName(s.name) === normaliseName(n));
    if (!found) throw new UsageError(`no service named ${n} in the config (services: ${config.services.map((s) => s.name).join(', ')})`);
    return found;
  });
}

export function dnsTargets(config: LifeboatConfig, options: DnsTargetOptions): { targets: DnsTarget[]; zones: Map<string, FileZone> } {
  const services = selectServices(config, options.services);
  const zones = embeddedZones(config, options.zoneDir);
  let route53: Route53Client | undefined | null = null;
  const targets: DnsTarget[] = [];
  for (const service of services) {
    for (const record of service.dns) {
      const base = { service: normaliseName(service.name), record, dns: serviceDns(service, record), where: describeRecord(record, service.name) };
      try {
        if (record.provider === 'route53' && route53 === null) route53 = route53ClientFromEnv(options.env);
        const token = options.env.CLOUDFLARE_API_TOKEN;
        const zone = record.provider === 'embedded' ? zones.get(embeddedApex(service.name)) : undefined;
        const provider = createDnsProvider(record, {
          ...(route53 ? { route53Client: route53 } : {}),
          ...(token ? { cloudflare: { apiToken: token, ...(options.env.LIFEBOAT_CLOUDFLARE_API_URL ? { baseUrl: options.env.LIFEBOAT_CLOUDFLARE_API_URL } : {}) } } : {}),
          ...(zone ? { embedded: new FileDnsProvider(zone) } : {}),
          ...(record.provider === 'rfc2136' ? { rfc2136: { transport: nodeDnsTransport, secrets: definedOnly({ [record.secretFrom]: options.env[record.secretFrom] }) } } : {}),
        });
        targets.push({ ...base, provider, error: null });
      } catch (err) {
        targets.push({ ...base, provider: null, error: err instanceof Error ? err : new Error(String(err)) });
      }
    }
  }
  return { targets, zones };
}

function definedOnly(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}
