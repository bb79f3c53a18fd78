/**
 * `lifeboat run --dns bind`: the services the config gives the `embedded` provider are served by
 * a real BIND instead, and the coordinators flip them through the RFC 2136 provider (TSIG-signed
 * updates over TCP), as they would an on-premises server. Each embedded entry becomes an
 * `rfc2136` entry for its zone apex (the embedded provider's apex rule), and each zone starts
 * with its services' primary records, as the embedded zones do.
 */
import type { DnsRecordConfig, LifeboatConfig } from '#core/config/schema.ts';
import { serviceDns } from '#core/dns/desired.ts';
import type { RecordSet } from '#core/dns/types.ts';
import type { NamedZone } from './bind.ts';
import { embeddedApex } from './embedded-zones.ts';

/** The TSIG key the local run's coordinators sign with. */
export const LOCAL_TSIG_KEY = 'lifeboat-local';
/** The secret name the rewritten entries' `secretFrom` gives (a Worker binding, an SSM name suffix). */
export const LOCAL_TSIG_SECRET_NAME = 'LIFEBOAT_LOCAL_TSIG_SECRET';

export interface BindRun {
  /** The config with every `embedded` entry replaced by an `rfc2136` entry on 127.0.0.1:`port`. */
  readonly config: LifeboatConfig;
  /** One per apex, seeded with its services' primary records. */
  readonly zones: readonly NamedZone[];
}

export function embeddedOnBind(config: LifeboatConfig, port: number): BindRun {
  const seeds = new Map<string, RecordSet[]>();
  const services = config.services.map((service) => ({
    ...service,
    dns: service.dns.map((record): DnsRecordConfig => {
      if (record.provider !== 'embedded') return record;
      const apex = embeddedApex(service.name);
      const rfc2136: DnsRecordConfig = {
        provider: 'rfc2136', server: '127.0.0.1', port, zone: apex, keyName: LOCAL_TSIG_KEY,
        algorithm: 'hmac-sha256', secretFrom: LOCAL_TSIG_SECRET_NAME, ttl: record.ttl, tcp: true,
      };
      seeds.set(apex, [...(seeds.get(apex) ?? []), ...serviceDns(service, rfc2136).targets.primary]);
      return rfc2136;
    }),
  }));
  return { config: { ...config, services }, zones: [...seeds].map(([apex, records]) => ({ apex, records })) };
}
