/**
 * The embedded provider's zones, derived from the config. The config's `embedded` entry has no
 * zone field, so a service's zone apex is its name's parent domain (`app.example.com` ->
 * `example.com`; a two-label name such as `example.com` is its own apex). Services that share a
 * parent share one zone file, `<zoneDir>/<apex>.json`. A zone whose file does not exist yet reads
 * as its seed: every service in it serving its PRIMARY records, with no state record (Lifeboat
 * has not flipped it yet). The first write (a flip, or `lifeboat dns serve`) creates the file.
 */
import { resolve } from 'node:path';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { serviceDns } from '#core/dns/desired.ts';
import { normaliseName } from '#core/model.ts';
import type { RecordSet } from '#core/dns/types.ts';
import { DEFAULT_ZONE_DIR, FileZone, zoneFilePath } from './file-zone.ts';

export function embeddedApex(serviceName: string): string {
  const labels = normaliseName(serviceName).split('.');
  return labels.length <= 2 ? labels.join('.') : labels.slice(1).join('.');
}

export function resolveZoneDir(cwd: string, zoneDir?: string): string {
  return resolve(cwd, zoneDir ?? DEFAULT_ZONE_DIR);
}

/** One FileZone per apex used by a service with an `embedded` dns entry (empty when none). */
export function embeddedZones(config: LifeboatConfig, zoneDir: string): Map<string, FileZone> {
  const seeds = new Map<string, RecordSet[]>();
  for (const service of config.services) {
    const record = service.dns.find((d) => d.provider === 'embedded');
    if (!record) continue;
    const apex = embeddedApex(service.name);
    const sets = seeds.get(apex) ?? [];
    sets.push(...serviceDns(service, record).targets.primary);
    seeds.set(apex, sets);
  }
  const zones = new Map<string, FileZone>();
  for (const [apex, sets] of seeds) zones.set(apex, new FileZone(zoneFilePath(zoneDir, apex), apex, { seed: () => sets }));
  return zones;
}
