/**
 * `lifeboat run`: the whole system on one machine, with the code that is deployed.
 *  - local stand-in sites for loopback targets (the example config's primary and secondary);
 *  - the embedded authoritative DNS server, and a loopback zone API for coordinators; or, with
 *    `dnsServer: 'bind'`, BIND (named) flipped through the RFC 2136 provider (cli/local/bind-zones.ts);
 *  - the AWS coordinator: the Lambda handler in Node, state in dynalite;
 *  - the Cloudflare coordinator: the Worker and its Durable Objects in workerd (Miniflare);
 *  - vantage points named after the config's regions and locations, running the probe code.
 * Everything listens on 127.0.0.1 only. `stop()` ends all of it.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { Notifier } from '#core/coordinator/coordinator.ts';
import { keyAlgorithm, keyEnvVar } from '#core/signing/keys.ts';
import type { RequestSigner } from '#core/signing/signer.ts';
import type { DnsProvider } from '#core/dns/types.ts';
import type { CoordinatorEndpoint } from '#core/probe/post.ts';
import type { Logger } from '#core/ports.ts';
import type { VantagePoint } from '#core/model.ts';
import type { OperatorCredentials } from '../credentials.ts';
import { startAwsCoordinator, startLocalDynamo, type LocalDynamo, type LocalLambda } from './aws-coordinator.ts';
import { bundleWorker, startCloudflareCoordinator, type LocalWorker } from './cloudflare-coordinator.ts';
import { startDnsServer } from './dns-server.ts';
import { NamedNotFoundError, freeLoopbackPort, namedInstalled, startNamed } from './bind.ts';
import { LOCAL_TSIG_KEY, LOCAL_TSIG_SECRET_NAME, embeddedOnBind } from './bind-zones.ts';
import { embeddedZones } from './embedded-zones.ts';
import { localKeys, type LocalKey } from './local-keys.ts';
import { FileDnsProvider } from './file-zone.ts';
import { createSite, isLoopbackTarget, type LocalSite } from './sites.ts';
import { startVantagePoints, type VantageFleet, type VantageOptions } from './vantage.ts';
import { startZoneApi, type ZoneApi } from './zone-api.ts';
import { routeEmbedded } from './embedded-router.ts';
import { ConfigurationError } from '#core/errors.ts';

export type CoordinatorName = 'aws' | 'cloudflare';
/** What answers DNS: the embedded server (default), or BIND when installed (`--dns bind`). */
export type LocalDnsServer = 'embedded' | 'bind';
export const LOCAL_DNS_SERVERS: readonly LocalDnsServer[] = ['embedded', 'bind'];

export interface LocalRunOptions {
  readonly config: LifeboatConfig;
  readonly configPath: string;
  /** Working state: zone files, Durable Object storage, the Worker bundle, credentials. */
  readonly stateDir: string;
  readonly dnsPort: number;
  /** Default 'embedded'. */
  readonly dnsServer?: LocalDnsServer;
  readonly logger: Logger;
  /** Progress lines for people ("starting the Cloudflare coordinator in workerd..."). */
  readonly progress: (line: string) => void;
  /** Start stand-in sites for loopback targets (default true). */
  readonly startSites?: boolean;
  readonly notifier?: Notifier;
  readonly fetchFor?: VantageOptions['fetchFor'];
  readonly onRound?: VantageOptions['onRound'];
  /** Where LIFEBOAT_KEY_<ID> is read from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Worker bindings over the run's own (undefined removes one): a wrong or missing secret, on purpose (tests). */
  readonly cloudflareBindings?: Readonly<Record<string, string | undefined>>;
  /** AWS secret-store parameters over the run's own (undefined removes one), as `cloudflareBindings`. */
  readonly awsSecrets?: Readonly<Record<string, string | undefined>>;
}

export interface LocalRun {
  /** The config the coordinators run (with `dnsServer: 'bind'`, embedded entries became rfc2136 ones). */
  readonly config: LifeboatConfig;
  readonly dnsPort: number;
  readonly dnsServer: LocalDnsServer;
  readonly sites: readonly LocalSite[];
  readonly vantagePoints: readonly VantagePoint[];
  /** The first probe key; `probeKeys` has them all. Sign with `signerFor`. */
  readonly probeKey: LocalKey;
  readonly probeKeys: readonly LocalKey[];
  /** The signer of a local vantage point: the probe key of its provider. */
  signerFor(vp: VantagePoint): RequestSigner;
  /** Where every key's secret was written (`<stateDir>/keys/<id>`, 0600). */
  readonly keysDir: string;
  /** The run's operator key, for signed status and override calls. */
  readonly operator: OperatorCredentials;
  /** Where the operator credentials for `lifeboat override/status` were written (0600). */
  readonly credentialsFile: string;
  coordinators(): CoordinatorEndpoint[];
  /** Kills one coordinator's process (its state survives, as a real table or DO storage would). */
  stopCoordinator(name: CoordinatorName): Promise<void>;
  startCoordinator(name: CoordinatorName): Promise<void>;
  stop(): Promise<void>;
}

const randomHex = (bytes = 32) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');

export async function startLocalRun(options: LocalRunOptions): Promise<LocalRun> {
  const { logger, progress } = options;
  const started: { stop(): Promise<unknown> }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch((err: Error) => logger.error('stopping a part failed', { error: err.message }));
  };
  try {
    const operatorKeyConfig = options.config.keys.find((k) => k.scope === 'operator');
    if (!operatorKeyConfig) throw new ConfigurationError('the config needs a key with scope "operator" for the local run (overrides and status)');
    const onBind = options.dnsServer === 'bind';
    // Before anything starts (or the state dir is wiped): a missing named is a one-line answer.
    if (onBind && !namedInstalled()) throw new NamedNotFoundError();

    const dnsDir = join(options.stateDir, 'dns');
    // A run starts from the primary: yesterday's failover is not today's truth.
    rmSync(options.stateDir, { recursive: true, force: true });
    mkdirSync(dnsDir, { recursive: true });
    // Keys from LIFEBOAT_KEY_<ID>, else fresh ones; all written to keys/ (0600) for other clients.
    const keysDir = join(options.stateDir, 'keys');
    const keys = await localKeys(options.config, options.env ?? process.env, keysDir);
    const dnsPort = onBind && options.dnsPort === 0 ? await freeLoopbackPort() : options.dnsPort;
    const bind = onBind ? embeddedOnBind(keys.config, dnsPort) : undefined;
    if (bind && bind.zones.length === 0) throw new ConfigurationError('--dns bind: no service has an `embedded` dns entry, so BIND would serve nothing (give the services { provider: \'embedded\' })');
    const config = bind?.config ?? keys.config;
    const secrets = Object.fromEntries(config.keys.map((k) => [k.id, keys.secret(k.id)]));
    // Coordinators hold HMAC secrets only (ECDSA keys verify with the config's public key); the
    // Worker also holds the private key of its own provider's probes, as when deployed.
    const hmacSecrets = Object.fromEntries(config.keys.filter((k) => keyAlgorithm(k) === 'hmac-sha256').map((k) => [k.id, secrets[k.id]!]));
    const cloudflareProbeSecrets = Object.fromEntries(config.keys
      .filter((k) => keyAlgorithm(k) === 'ecdsa-p256' && k.speaksFor?.some((s) => s.startsWith('cloudflare')))
      .map((k) => [k.id, secrets[k.id]!]));
    const probeKeys = keys.keys.filter((k) => k.config.scope === 'probe');
    progress(`keys in ${keysDir}: ${keys.keys.map((k) => `${k.config.id}${k.fromEnv ? ` (from ${keyEnvVar(k.config.id)})` : ''}`).join(', ')}`);

    const sites = options.startSites === false ? [] : config.services.flatMap((s) => (['primary', 'secondary'] as const)
      .filter((role) => isLoopbackTarget(s[role]))
      .map((role) => createSite(`${s.name} ${role}`, s[role])));
    for (const site of sites) {
      await site.start();
      started.push(site);
    }
    if (sites.length) progress(`sites: ${sites.map((s) => `${s.name} at ${s.url}`).join(', ')}`);

    const zones = embeddedZones(config, dnsDir);
    const providers = new Map<string, DnsProvider>([...zones].map(([apex, zone]) => [apex, new FileDnsProvider(zone)]));
    // The coordinators' TSIG secret for BIND: fresh per run, held in memory and by named only.
    const tsigSecret = bind ? Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64') : undefined;
    let servingPort: number;
    if (bind && tsigSecret) {
      const apexes = bind.zones.map((z) => z.apex).join(', ');
      progress(`starting BIND (named) on 127.0.0.1:${dnsPort} for ${apexes}...`);
      const named = await startNamed({ port: dnsPort, zones: bind.zones, keys: [{ name: LOCAL_TSIG_KEY, secret: tsigSecret, update: true }] });
      started.push({ stop: async () => { await named.stop(); progress(`BIND (named, pid ${named.pid}) stopped`); } });
      servingPort = named.port;
      progress(`BIND (named, pid ${named.pid}) on 127.0.0.1:${named.port} (udp+tcp) for ${apexes}; coordinators flip it with RFC 2136 updates signed by TSIG key ${LOCAL_TSIG_KEY}`);
    } else {
      const dns = await startDnsServer({ zones: [...zones.values()], port: dnsPort, host: '127.0.0.1' });
      started.push({ stop: () => dns.close() });
      servingPort = dns.port;
      progress(`embedded DNS on 127.0.0.1:${dns.port} (udp+tcp) for ${[...zones.keys()].join(', ') || 'no embedded zone'}`);
    }
    const dnsSecrets: Record<string, string> = tsigSecret ? { [LOCAL_TSIG_SECRET_NAME]: tsigSecret } : {};

    const embedded = routeEmbedded(providers);
    const zoneToken = randomHex(16);
    const zoneApi: ZoneApi = await startZoneApi(embedded, zoneToken);
    started.push({ stop: () => zoneApi.close() });

    // AWS: the Lambda handler in Node over dynalite.
    const dynamo: LocalDynamo = await startLocalDynamo();
    started.push(dynamo);
    const tickMs = config.probing.intervalSeconds * 1000;
    const nodes: Partial<Record<CoordinatorName, LocalLambda | LocalWorker>> = {};
    const startAws = async () => {
      nodes.aws = await startAwsCoordinator({ config, dynamo, keySecrets: hmacSecrets, dnsSecrets, embedded, logger, tickMs,
        ...(options.awsSecrets ? { extraSecrets: options.awsSecrets } : {}), ...(options.notifier ? { notifier: options.notifier } : {}) });
      progress(`AWS coordinator (Lambda handler, DynamoDB via dynalite) at ${nodes.aws.url}`);
    };

    // Cloudflare: the Worker and its Durable Objects in workerd.
    progress('bundling the Worker and starting workerd...');
    // The Worker bundles the config with this run's public keys (the one on disk names the key ids only).
    const effectiveConfigPath = join(options.stateDir, 'lifeboat.config.json');
    writeFileSync(effectiveConfigPath, `${JSON.stringify(config, null, 2)}\n`);
    const scriptPath = await bundleWorker({ configPath: effectiveConfigPath, outDir: join(options.stateDir, 'worker') });
    const bindings: Record<string, string> = {
      LOG_LEVEL: 'warn',
      EMBEDDED_DNS_URL: zoneApi.url,
      EMBEDDED_DNS_TOKEN: zoneToken,
      ...Object.fromEntries(Object.entries({ ...hmacSecrets, ...cloudflareProbeSecrets }).map(([id, secret]) => [keyEnvVar(id), secret])),
      // A Worker secret is named by `secretFrom` itself (workers/env.ts).
      ...dnsSecrets,
    };
    for (const [name, value] of Object.entries(options.cloudflareBindings ?? {})) {
      if (value === undefined) delete bindings[name]; else bindings[name] = value;
    }
    const startCloudflare = async () => {
      nodes.cloudflare = await startCloudflareCoordinator({ scriptPath, persistDir: join(options.stateDir, 'durable-objects'), bindings });
      progress(`Cloudflare coordinator (Worker + Durable Objects in workerd) at ${nodes.cloudflare.url}`);
    };
    await Promise.all([startAws(), startCloudflare()]);
    started.push({ stop: async () => { await Promise.all(Object.values(nodes).map((n) => n?.stop())); } });

    const coordinators = (): CoordinatorEndpoint[] => (['aws', 'cloudflare'] as const)
      .filter((name) => nodes[name] !== undefined)
      .map((name) => ({ name, url: nodes[name]!.url }));

    const credentialsFile = join(options.stateDir, 'credentials.json');
    writeFileSync(credentialsFile, `${JSON.stringify({
      keyId: operatorKeyConfig.id,
      secret: secrets[operatorKeyConfig.id],
      coordinators: Object.fromEntries(coordinators().map((c) => [c.name, c.url])),
    }, null, 2)}\n`, { mode: 0o600 });

    const fleet: VantageFleet = startVantagePoints({
      config, coordinators, logger,
      signerFor: keys.signerFor,
      ...(options.fetchFor ? { fetchFor: options.fetchFor } : {}),
      ...(options.onRound ? { onRound: options.onRound } : {}),
    });
    started.push(fleet);
    progress(`vantage points: ${fleet.vantagePoints.join(', ')} (every ${config.probing.intervalSeconds} s)`);

    return {
      config,
      dnsPort: servingPort,
      dnsServer: onBind ? 'bind' : 'embedded',
      sites,
      vantagePoints: fleet.vantagePoints,
      probeKey: probeKeys[0]!,
      probeKeys,
      signerFor: keys.signerFor,
      keysDir,
      operator: { keyId: operatorKeyConfig.id, secret: new Uint8Array(Buffer.from(secrets[operatorKeyConfig.id]!, 'hex')), source: credentialsFile },
      credentialsFile,
      coordinators,
      async stopCoordinator(name) {
        const node = nodes[name];
        delete nodes[name];
        await node?.stop();
        progress(`${name} coordinator stopped`);
      },
      async startCoordinator(name) {
        if (nodes[name]) return;
        await (name === 'aws' ? startAws() : startCloudflare());
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
