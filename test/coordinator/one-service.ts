/**
 * The one-service deployment the coordinator tests share: a service on the embedded provider, its
 * zone serving the primary, and one probe key per provider.
 */
import type { CLOUDFLARE_LOCATION_HINTS, LifeboatConfig } from '#core/config/schema.ts';
import { loadConfig } from '#core/config/validate.ts';
import { serviceDns } from '#core/dns/desired.ts';
import { MemoryZone } from '#core/dns/memory.ts';
import type { ServiceDns } from '#core/dns/types.ts';

export const SERVICE = 'app.example.com';
export const PRIMARY_IP = '203.0.113.10';
export const SECONDARY_IP = '198.51.100.20';

export function oneService(options: { aws: readonly string[]; cloudflare: readonly (typeof CLOUDFLARE_LOCATION_HINTS)[number][]; policy?: Record<string, unknown> }): { config: LifeboatConfig; zone: MemoryZone; spec: ServiceDns } {
  const config = loadConfig({
    services: [{
      name: SERVICE,
      primary: { url: 'https://primary.example.net', a: [PRIMARY_IP] },
      secondary: { url: 'https://secondary.example.net', a: [SECONDARY_IP] },
      healthCheck: { type: 'http' },
      dns: [{ provider: 'embedded', ttl: 5 }],
      policy: options.policy ?? {},
    }],
    vantagePoints: { aws: [...options.aws], cloudflare: [...options.cloudflare] },
    keys: [{ id: 'probe-aws', scope: 'probe', speaksFor: ['aws'] }, { id: 'probe-cf', scope: 'probe', speaksFor: ['cloudflare'] }],
  });
  const zone = new MemoryZone('example.com');
  const spec = serviceDns(config.services[0]!, config.services[0]!.dns[0]!);
  zone.write(spec.targets.primary);
  return { config, zone, spec };
}
