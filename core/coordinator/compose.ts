/**
 * Composition shared by every runtime: from the config, a SecretSource and the runtime's stores
 * to a Coordinator and its HTTP app. The Lambda (SSM), the Durable Object (Worker secrets) and the
 * local run (its own map) each supply only their ports and the names their store gives secrets;
 * what a missing secret means is decided here, once:
 *  - a signing key's secret missing or malformed: that key alone is refused (401 unknown_key);
 *  - an optional secret missing (Cloudflare token, Route 53 credentials, a webhook URL): the
 *    coordinator still serves, ingests and decides, flips what it can, and lists the problem in
 *    `degraded` (logged at start, shown by /v1/status);
 *  - the secret store failing (SecretFetchError): composition throws, so the adapter retries.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { DnsRecordConfig, LifeboatConfig, ServiceConfig } from '../config/schema.ts';
import { createApi, type Degradation } from '../api/app.ts';
import { serviceDns } from '../dns/desired.ts';
import { createDnsProvider, type DnsProviderDeps } from '../dns/factory.ts';
import type { DnsTransport } from '../dns/dns-transport.ts';
import type { ProviderTarget } from '../dns/flip.ts';
import { DnsError, type DnsProvider } from '../dns/types.ts';
import { DataPlaneSecretError, DataPlaneVerdictProvider, DATA_PLANE_SECRET_ENV, parseDataPlaneSecret } from '../dns/data-plane.ts';
import { verdictPages } from '../api/verdict.ts';
import { fanOut } from '../notify/fanout.ts';
import { COORDINATOR_METRICS, countFlip, meteredNotifier, noMetrics, type MetricsSink } from '../notify/metrics.ts';
import { RefusalCounter, refusalSummary } from '../api/refusals.ts';
import type { StatusAlert } from '../api/alerts.ts';
import { decodeHexSecret } from '../signing/keys.ts';
import { PeerWatch, type PeerHealth } from './peer.ts';
import { WebhookConfigError, webhookNotifierFromConfig } from '../notify/webhook.ts';
import { SecretNotFoundError, type Clock, type Fetch, type Logger, type SecretSource } from '../ports.ts';
import { configKeyResolver, type KeyResolver } from '../signing/keys.ts';
import type { NonceStore } from '../signing/nonce-store.ts';
import { Coordinator, type Notifier } from './coordinator.ts';
import type { StateStore } from './store.ts';

export type { Degradation } from '../api/app.ts';

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
  readonly degraded?: () => readonly Degradation[];
  /** The runtime's metrics (EMF, log lines); none when absent. */
  readonly metrics?: MetricsSink;
  /** Alerts only the runtime knows (the peer coordinator's health), shown in /v1/status. */
  readonly alerts?: () => readonly StatusAlert[];
  /** The last peer check, shown in /v1/status as `peer`. */
  readonly peerHealth?: () => PeerHealth | null;
  /** The deploy secret of data-plane mode (docs/data-plane.md): serves the verdict pages. */
  readonly dataPlaneSecret?: Uint8Array;
}

/** Providers are built once per distinct zone and reused across services and requests. */
export function dnsRouter(make: (record: DnsRecordConfig) => DnsProvider): (service: ServiceConfig) => ProviderTarget[] {
  const providers = new Map<string, DnsProvider>();
  const cache = new Map<ServiceConfig, ProviderTarget[]>();
  return (service) => {
    let targets = cache.get(service);
    if (!targets) {
      targets = service.dns.map((record) => {
        const dataPlane = service.mode === 'data-plane' && record.provider === 'route53';
        const key = `${dataPlane ? 'data-plane ' : ''}${JSON.stringify(record)}`;
        let provider = providers.get(key);
        // Data-plane mode: the flip is the saved verdict, never a Route 53 API call.
        if (!provider) providers.set(key, (provider = dataPlane ? new DataPlaneVerdictProvider(record.hostedZoneId) : make(record)));
        return { provider, dns: serviceDns(service, record) };
      });
      cache.set(service, targets);
    }
    return targets;
  };
}

/** The coordinator and its app from ready-made ports (tests, the simulator, composeCoordinator). */
export function createCoordinatorApp(ports: CoordinatorPorts) {
  const metrics = ports.metrics ?? noMetrics;
  const coordinator = new Coordinator({
    name: ports.name, config: ports.config, store: ports.store, clock: ports.clock, logger: ports.logger,
    dnsFor: dnsRouter(ports.dnsProvider),
    notifier: meteredNotifier(ports.notifier, metrics),
    onFlip: (_service, results) => countFlip(metrics, results),
  });
  const refusals = new RefusalCounter({
    clock: ports.clock, logger: ports.logger,
    onRefusal: (reason, n) => metrics.count(COORDINATOR_METRICS.refusedRequests, n, { Reason: reason }),
  });
  const app = createApi({
    coordinator, config: ports.config, keys: ports.keys, nonces: ports.nonces, clock: ports.clock, logger: ports.logger,
    metrics, refusals,
    ...(ports.degraded ? { degraded: ports.degraded } : {}),
    ...(ports.alerts ? { alerts: ports.alerts } : {}),
    ...(ports.peerHealth ? { peerHealth: ports.peerHealth } : {}),
    ...(ports.dataPlaneSecret ? { verdicts: verdictPages(ports.config, ports.dataPlaneSecret, ports.store, ports.logger) } : {}),
  });
  /**
   * The schedule's housekeeping (the Lambda's tick, the Durable Object's alarm): the refusals
   * counted since the last call become one aggregate audit entry, at most one a minute, so the
   * audit log shows a flood happened without one row per request.
   */
  const housekeeping = async (): Promise<void> => {
    const w = refusals.drain();
    if (w) await coordinator.auditRejected(refusalSummary(w), { from: w.from, to: w.to, total: w.total, byReason: w.byReason });
  };
  return { coordinator, app, refusals, housekeeping };
}

/** How this runtime's secret store names each secret. */
export interface SecretNames {
  /** The HMAC secret of a key (SSM `/lifeboat/keys/<id>`, env `LIFEBOAT_KEY_<ID>`). */
  key(keyId: string): string;
  /** The Cloudflare API token; absent when this runtime has no place for it. */
  readonly cloudflareToken?: string;
  /** What supplies Route 53 credentials, named in `degraded` when no client could be made. */
  readonly route53Credentials: string;
  /** A webhook URL named by `urlFromEnv` (SSM `<prefix><NAME>`, env `<NAME>`). */
  webhook(envName: string): string;
  /** An RFC 2136 zone's TSIG secret named by `secretFrom` (SSM `<prefix><NAME>`, env `<NAME>`). */
  dnsSecret(name: string): string;
}

export interface ComposeOptions {
  readonly name: string;
  readonly config: LifeboatConfig;
  readonly store: StateStore;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly fetch: Fetch;
  readonly secrets: SecretSource;
  readonly secretNames: SecretNames;
  /** Route 53 client when this runtime has credentials (the Lambda's role, the Worker's keys). */
  readonly route53Client?: Route53Client;
  /** The local run's embedded zone; never set when deployed. */
  readonly embedded?: DnsProvider;
  readonly cloudflareBaseUrl?: string;
  /** How this runtime reaches an RFC 2136 server (TCP from Node, `cloudflare:sockets` in workerd). */
  readonly dnsTransport?: DnsTransport;
  /** Notifiers besides the config's webhooks (e.g. the Lambda's log line). */
  readonly extraNotifiers?: readonly Notifier[];
  /** Replaces every notifier (tests). */
  readonly notifier?: Notifier;
  readonly metrics?: MetricsSink;
  readonly alerts?: () => readonly StatusAlert[];
  /** False: no peer checks even when the config allows them (tests). */
  readonly peerWatch?: boolean;
  /** Data-plane mode's deploy secret, hex, from memory (env / Worker secret): never a secret-store read. */
  readonly dataPlaneSecret?: string;
}

export interface Composition extends ReturnType<typeof createCoordinatorApp> {
  /** Optional secrets that were missing, and what works less because of them. */
  readonly degraded: readonly Degradation[];
  /** The watch on the other provider's coordinator; null when the config gives no URL or read key. */
  readonly peer: PeerWatch | null;
}

/** The one builder of keys, DNS providers and notifiers from the config plus a SecretSource. */
export async function composeCoordinator(o: ComposeOptions): Promise<Composition> {
  const { config, logger, secrets, secretNames } = o;
  const degraded: Degradation[] = [];
  const degrade = (d: Degradation) => {
    degraded.push(d);
    // `parameter`, not `secret`: the logger redacts fields named like secrets, and this is only a name.
    logger.error('coordinator degraded: a secret is missing', { what: d.what, parameter: d.secret, detail: d.detail });
  };
  /** An optional secret: undefined (and degraded) when not set; a store failure throws. */
  const optional = async (what: string, name: string, detail: string): Promise<string | undefined> => {
    try {
      return (await secrets.get(name)).trim();
    } catch (err) {
      if (!(err instanceof SecretNotFoundError)) throw err;
      degrade({ what, secret: name, detail });
      return undefined;
    }
  };

  // Records a provider writes: a data-plane service's Route 53 records are the CDK stack's, never written here.
  const records = config.services.flatMap((s) => (s.mode === 'data-plane' ? [] : s.dns));
  const uses = (provider: DnsRecordConfig['provider']) => records.some((r) => r.provider === provider);
  const dnsDeps: { -readonly [K in keyof DnsProviderDeps]: DnsProviderDeps[K] } = {};
  if (o.route53Client) dnsDeps.route53Client = o.route53Client;
  else if (uses('route53')) degrade({ what: 'route53', secret: secretNames.route53Credentials, detail: 'Route 53 records cannot be changed; Cloudflare ones still can' });
  if (o.embedded) dnsDeps.embedded = o.embedded;
  if (uses('cloudflare')) {
    const name = secretNames.cloudflareToken ?? 'CLOUDFLARE_API_TOKEN';
    const apiToken = await optional('cloudflare', name, 'Cloudflare DNS records cannot be changed; Route 53 ones still can');
    if (apiToken) dnsDeps.cloudflare = { apiToken, fetch: o.fetch, ...(o.cloudflareBaseUrl ? { baseUrl: o.cloudflareBaseUrl } : {}) };
  }

  const rfc2136 = records.flatMap((r) => (r.provider === 'rfc2136' ? [r] : []));
  if (rfc2136.length > 0 && o.dnsTransport) {
    const tsig: Record<string, string> = {};
    for (const name of new Set(rfc2136.map((r) => r.secretFrom))) {
      const value = await optional('rfc2136', secretNames.dnsSecret(name), `RFC 2136 zones signed with ${name} cannot be changed; other providers still can`);
      if (value !== undefined) tsig[name] = value;
    }
    dnsDeps.rfc2136 = { transport: o.dnsTransport, secrets: tsig };
  }

  let dataPlaneSecret: Uint8Array | undefined;
  if (config.services.some((s) => s.mode === 'data-plane')) {
    try {
      dataPlaneSecret = parseDataPlaneSecret(o.dataPlaneSecret);
    } catch (err) {
      if (!(err instanceof DataPlaneSecretError)) throw err;
      degrade({ what: 'data-plane', secret: DATA_PLANE_SECRET_ENV, detail: `no verdict pages: Route 53 reads this coordinator as "stay" (${err.message})` });
    }
  }

  const notifier = o.notifier ?? fanOut([...(o.extraNotifiers ?? []), await webhooks(o, optional, degrade)], logger);
  const peerKey = o.peerWatch === false ? undefined : await peerKeyOf(o, optional, degrade);
  if (degraded.length === 0) logger.debug('coordinator composed', { coordinator: o.name });
  let peer: PeerWatch | null = null;
  const built = createCoordinatorApp({
    name: o.name, config, store: o.store, nonces: o.nonces, clock: o.clock, logger,
    keys: configKeyResolver(config.keys, secrets, (id) => secretNames.key(id), logger),
    dnsProvider: (record) => buildOrFailing(record, dnsDeps),
    notifier,
    degraded: () => degraded,
    ...(o.metrics ? { metrics: o.metrics } : {}),
    alerts: () => [...(o.alerts?.() ?? []), ...(peer?.alerts() ?? [])],
    peerHealth: () => peer?.health() ?? null,
    ...(dataPlaneSecret ? { dataPlaneSecret } : {}),
  });
  if (peerKey) {
    peer = new PeerWatch({
      self: o.name, peer: peerKey.peer, key: peerKey.key, fetch: o.fetch, clock: o.clock, logger, notifier,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      disagreeAfterMs: (config.alerts?.disagreeAfterMinutes ?? 5) * 60_000,
      ownActive: async () => new Map((await built.coordinator.states()).map(({ state }) => [state.service, state.active] as const)),
    });
  }
  const watch = peer;
  // The schedule's housekeeping also runs the peer check (at most once a minute).
  const housekeeping = async () => {
    await built.housekeeping();
    await watch?.maybeCheck();
  };
  return { ...built, housekeeping, degraded, peer };
}

/**
 * A provider whose secret is missing (already in `degraded`) must not take the others down: it
 * becomes one whose every call fails with the reason, so a flip writes the providers it can and
 * reports this one failed (flip-failing), instead of the whole batch failing with a 500.
 */
function buildOrFailing(record: DnsRecordConfig, deps: DnsProviderDeps): DnsProvider {
  try {
    return createDnsProvider(record, deps);
  } catch (err) {
    // Construction fails only for what the config or secrets lack (DnsConfigError, the RFC 2136 secret).
    if (!(err instanceof DnsError)) throw err;
    const fail = () => Promise.reject(err);
    return { name: err.provider, zone: err.zone, read: fail, apply: fail };
  }
}

/** The other coordinator and the read key to watch it with; undefined (degraded when a secret is missing) when there is none. */
async function peerKeyOf(
  o: ComposeOptions,
  optional: (what: string, name: string, detail: string) => Promise<string | undefined>,
  degrade: (d: Degradation) => void,
): Promise<{ peer: { name: string; url: string }; key: { id: string; secret: Uint8Array } } | undefined> {
  const peerName = o.name === 'aws' ? 'cloudflare' : o.name === 'cloudflare' ? 'aws' : undefined;
  const url = peerName ? o.config.coordinators[peerName]?.url : undefined;
  const keyId = o.config.alerts?.peerKey ?? o.config.keys.find((k) => k.scope === 'read')?.id;
  if (!peerName || !url || !keyId) return undefined;
  const name = o.secretNames.key(keyId);
  const hex = await optional('peer-watch', name, `coordinator ${peerName} is not watched from here`);
  if (hex === undefined) return undefined;
  try {
    return { peer: { name: peerName, url }, key: { id: keyId, secret: decodeHexSecret(hex, keyId) } };
  } catch {
    degrade({ what: 'peer-watch', secret: name, detail: `is not a usable hex key; coordinator ${peerName} is not watched from here` });
    return undefined;
  }
}

/** The config's webhooks whose URL could be read; one missing or malformed is left out and degraded. */
async function webhooks(
  o: ComposeOptions,
  optional: (what: string, name: string, detail: string) => Promise<string | undefined>,
  degrade: (d: Degradation) => void,
): Promise<Notifier | undefined> {
  const usable: NonNullable<LifeboatConfig['notifications']>['webhooks'] = [];
  const env: Record<string, string> = {};
  const all = o.config.notifications?.webhooks ?? [];
  for (const [i, w] of all.entries()) {
    if (!w.urlFromEnv) { usable.push(w); continue; }
    const name = o.secretNames.webhook(w.urlFromEnv);
    const url = await optional(`notifications.webhooks[${i}]`, name, 'this webhook is not told about failovers');
    if (url === undefined) continue;
    env[w.urlFromEnv] = url;
    try {
      webhookNotifierFromConfig({ notifications: { webhooks: [w] } }, env, { coordinator: o.name, fetch: o.fetch, clock: o.clock, logger: o.logger });
      usable.push(w);
    } catch (err) {
      if (!(err instanceof WebhookConfigError)) throw err;
      degrade({ what: `notifications.webhooks[${i}]`, secret: name, detail: 'does not hold an http(s) URL; this webhook is not told about failovers' });
    }
  }
  return webhookNotifierFromConfig({ notifications: { webhooks: usable } }, env, { coordinator: o.name, fetch: o.fetch, clock: o.clock, logger: o.logger });
}
