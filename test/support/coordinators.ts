/**
 * Two in-process coordinators (as "aws" and "cloudflare") with their own state and nonce stores,
 * sharing one in-memory DNS zone, each served over loopback HTTP: the override round trip of
 * both coordinator code paths without any cloud.
 */
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfig, LifeboatConfigInput } from '#core/config/schema.ts';
import type { Notifier } from '#core/coordinator/coordinator.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { createCoordinatorApp } from '#core/coordinator/compose.ts';
import { MemoryDnsProvider, MemoryZone, type MemoryProviderOptions } from '#core/dns/memory.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import { silentLogger, type Clock } from '#core/ports.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { serveFetch, type Served } from './serve-fetch.ts';

export const SERVICE = 'app.example.com';
export const PROBE = { id: 'probe-test', hex: '11'.repeat(32) };
export const OPERATOR = { id: 'ops-alice', hex: '22'.repeat(32) };
export const PRIMARY_IP = '198.51.100.10';
export const SECONDARY_IP = '198.51.100.20';

export function testConfigInput(extra: Partial<LifeboatConfigInput> = {}): LifeboatConfigInput {
  return {
    services: [{
      name: SERVICE,
      primary: { url: 'http://127.0.0.1:9/', a: [PRIMARY_IP] },
      secondary: { url: 'http://127.0.0.1:9/', a: [SECONDARY_IP] },
      healthCheck: { type: 'http', path: '/healthz' },
      dns: [{ provider: 'embedded', ttl: 5 }],
      policy: { minVotes: 2, failAfter: 1 },
    }],
    vantagePoints: { aws: ['us-east-1', 'eu-west-1', 'ap-northeast-2'], cloudflare: ['apac'] },
    keys: [{ id: PROBE.id, scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: OPERATOR.id, scope: 'operator' }],
    ...extra,
  };
}

/** A clock tests move by hand; starts at the real time so CLI signatures made now are fresh. */
export class TestClock implements Clock {
  constructor(public at = Date.now()) {}
  now = () => this.at;
  advance(ms: number) { this.at += ms; }
}

export const keyBytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

export function makeCoordinator(name: string, config: LifeboatConfig, zone: MemoryZone, clock: Clock, notifier?: Notifier, beforeCall?: MemoryProviderOptions['beforeCall']) {
  const store = new MemoryStateStore();
  const provider = new MemoryDnsProvider(zone, { name: 'embedded', ...(beforeCall ? { beforeCall } : {}) });
  const { coordinator, app, refusals, housekeeping } = createCoordinatorApp({
    name, config, store, nonces: new MemoryNonceStore(), clock, logger: silentLogger,
    keys: staticKeyResolver([
      { id: PROBE.id, scope: 'probe', secret: keyBytes(PROBE.hex) },
      { id: OPERATOR.id, scope: 'operator', secret: keyBytes(OPERATOR.hex) },
    ]),
    dnsProvider: () => provider,
    ...(notifier ? { notifier } : {}),
  });
  return { name, coordinator, app, store, refusals, housekeeping };
}

export interface Pair {
  readonly config: LifeboatConfig;
  readonly zone: MemoryZone;
  readonly clock: TestClock;
  readonly aws: ReturnType<typeof makeCoordinator> & { served: Served };
  readonly cloudflare: ReturnType<typeof makeCoordinator> & { served: Served };
  /** LIFEBOAT_COORDINATORS for the CLI. */
  readonly coordinatorsEnv: string;
  /** Environment for running the CLI as the operator. */
  env(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function startPair(options: { config?: LifeboatConfigInput; notifier?: (name: string) => Notifier } = {}): Promise<Pair> {
  const config = loadConfig(options.config ?? testConfigInput());
  const zone = new MemoryZone('example.com');
  const clock = new TestClock();
  const build = async (name: string) => {
    const c = makeCoordinator(name, config, zone, clock, options.notifier?.(name));
    return { ...c, served: await serveFetch((req) => c.app.fetch(req)) };
  };
  const aws = await build('aws');
  const cloudflare = await build('cloudflare');
  const coordinatorsEnv = `aws=${aws.served.url},cloudflare=${cloudflare.served.url}`;
  return {
    config, zone, clock, aws, cloudflare, coordinatorsEnv,
    env: (extra = {}) => ({ LIFEBOAT_COORDINATORS: coordinatorsEnv, LIFEBOAT_KEY_ID: OPERATOR.id, LIFEBOAT_KEY_SECRET: OPERATOR.hex, HOME: '/nonexistent', ...extra }),
    close: async () => { await aws.served.close(); await cloudflare.served.close(); },
  };
}

/** What DNS serves for the service right now. */
export function servedAddress(zone: MemoryZone): string | undefined {
  return zone.get(SERVICE, 'A')?.values[0];
}

/** One VP's round: the primary as given, the secondary healthy. */
export function batch(vp: VantagePoint, at: number, primary: 'healthy' | 'unhealthy'): ObservationBatch {
  return {
    vantagePoint: vp, round: 1, sentAt: at, controlOk: true,
    results: [
      { service: SERVICE, target: 'primary', verdict: primary, observedAt: at, latencyMs: 40, ...(primary === 'unhealthy' ? { failure: 'timeout' as const } : {}) },
      { service: SERVICE, target: 'secondary', verdict: 'healthy', observedAt: at, latencyMs: 50 },
    ],
  };
}
