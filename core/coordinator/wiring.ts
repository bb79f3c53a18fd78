/**
 * Composition shared by every runtime: from config and ports to a Coordinator and its HTTP app.
 * Adapters (Lambda, Durable Object, local run) build the ports; this joins them.
 */
import type { DnsRecordConfig, LifeboatConfig, ServiceConfig } from '../config/schema.ts';
import { createApi } from '../api/app.ts';
import { serviceDns } from '../dns/desired.ts';
import type { ProviderTarget } from '../dns/flip.ts';
import type { DnsProvider } from '../dns/types.ts';
import type { Clock, Logger } from '../ports.ts';
import type { KeyResolver } from '../signing/keys.ts';
import type { NonceStore } from '../signing/nonce-store.ts';
import { Coordinator, type Notifier } from './coordinator.ts';
import type { StateStore } from './store.ts';

export interface CoordinatorPorts {
  readonly name: string;
  readonly config: LifeboatConfig;
  readonly store: StateStore;
  readonly nonces: NonceStore;
  readonly keys: KeyResolver;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Builds the provider for one `dns` entry (usually core/dns/factory.ts createDnsProvider). */
  readonly dnsProvider: (record: DnsRecordConfig) => DnsProvider;
  readonly notifier?: Notifier;
}

/** Providers are built once per distinct zone and reused across services and requests. */
export function dnsRouter(make: (record: DnsRecordConfig) => DnsProvider): (service: ServiceConfig) => ProviderTarget[] {
  const providers = new Map<string, DnsProvider>();
  const cache = new Map<ServiceConfig, ProviderTarget[]>();
  return (service) => {
    let targets = cache.get(service);
    if (!targets) {
      targets = service.dns.map((record) => {
        const key = JSON.stringify(record);
        let provider = providers.get(key);
        if (!provider) providers.set(key, (provider = make(record)));
        return { provider, dns: serviceDns(service, record) };
      });
      cache.set(service, targets);
    }
    return targets;
  };
}

export function createCoordinatorApp(ports: CoordinatorPorts) {
  const coordinator = new Coordinator({
    name: ports.name, config: ports.config, store: ports.store, clock: ports.clock, logger: ports.logger,
    dnsFor: dnsRouter(ports.dnsProvider), ...(ports.notifier ? { notifier: ports.notifier } : {}),
  });
  const app = createApi({ coordinator, keys: ports.keys, nonces: ports.nonces, clock: ports.clock, logger: ports.logger });
  return { coordinator, app };
}
