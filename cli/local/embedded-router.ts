/**
 * One `embedded` DnsProvider over several embedded zones: each call goes to the zone whose apex
 * is the longest suffix of the service name. Coordinators get one provider for every service.
 */
import { DnsError, type ApplyResult, type CurrentRecords, type DnsPlan, type DnsProvider, type ServiceDns } from '#core/dns/types.ts';

export function routeEmbedded(zones: ReadonlyMap<string, DnsProvider>): DnsProvider {
  const apexes = [...zones.keys()].sort((a, b) => b.length - a.length);
  const pick = (name: string): DnsProvider => {
    const apex = apexes.find((a) => name === a || name.endsWith(`.${a}`));
    if (apex === undefined) throw new DnsError(`no embedded zone holds ${name} (zones: ${apexes.join(', ') || 'none'})`, 'embedded', 'embedded', name);
    return zones.get(apex)!;
  };
  return {
    name: 'embedded',
    zone: apexes.join(',') || 'embedded',
    read: (service: ServiceDns): Promise<CurrentRecords> => pick(service.service).read(service),
    apply: (plan: DnsPlan): Promise<ApplyResult> => pick(plan.service).apply(plan),
  };
}
