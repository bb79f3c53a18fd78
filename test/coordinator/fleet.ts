/** A deployment of N services and up to 15 AWS + 9 Cloudflare vantage points, for the ledger and load tests. */
import { Coordinator } from '#core/coordinator/coordinator.ts';
import type { StateStore } from '#core/coordinator/store.ts';
import { loadConfig } from '#core/config/validate.ts';
import { serviceDns } from '#core/dns/desired.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import { silentLogger } from '#core/ports.ts';

const AWS_REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1', 'eu-west-1', 'eu-west-2', 'eu-central-1', 'eu-north-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-south-1'];
const CF_HINTS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'];

export function deployment(services: number, aws = 3, cf = 2) {
  const names = Array.from({ length: services }, (_, i) => `svc-${String(i).padStart(4, '0')}.example.com`);
  const config = loadConfig({
    services: names.map((name) => ({
      name,
      primary: { url: 'https://primary.example.net', a: ['203.0.113.10'] },
      secondary: { url: 'https://secondary.example.net', a: ['198.51.100.20'] },
      healthCheck: { type: 'http' },
      dns: [{ provider: 'embedded', ttl: 5 }],
    })),
    vantagePoints: { aws: AWS_REGIONS.slice(0, aws), cloudflare: CF_HINTS.slice(0, cf) },
    keys: [{ id: 'probe-key', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }],
  });
  const vps: VantagePoint[] = [...AWS_REGIONS.slice(0, aws).map((r) => `aws:${r}` as const), ...CF_HINTS.slice(0, cf).map((h) => `cloudflare:${h}` as const)];
  return { config, names, vps };
}

export function coordinatorOver(store: StateStore, config: ReturnType<typeof deployment>['config'], clock: { now: () => number }) {
  const zone = new MemoryZone('example.com');
  for (const s of config.services) zone.write(serviceDns(s, s.dns[0]!).targets.primary);
  const provider = new MemoryDnsProvider(zone, { name: 'embedded' });
  return new Coordinator({ name: 'test', config, store, clock, logger: silentLogger, dnsFor: (s) => [{ provider, dns: serviceDns(s, s.dns[0]!) }] });
}

export const batchOf = (vp: VantagePoint, services: readonly string[], now: number, round = 1, verdict: 'healthy' | 'unhealthy' = 'healthy'): ObservationBatch => ({
  vantagePoint: vp, round, sentAt: now, controlOk: true,
  results: services.flatMap((service) => [
    { service, target: 'primary' as const, verdict, observedAt: now - 200, ...(verdict === 'unhealthy' ? { failure: 'timeout' as const } : {}) },
    { service, target: 'secondary' as const, verdict: 'healthy' as const, observedAt: now - 200 },
  ]),
});

