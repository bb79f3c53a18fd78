/** What DNS must hold for each target of a service, derived from the config. */
import type { DnsRecordConfig, ServiceConfig, TargetConfig } from '../config/schema.ts';
import { TARGET_ROLES, type TargetRole } from '../model.ts';
import { normaliseName } from '../model.ts';
import type { RecordSet, ServiceDns } from './types.ts';

export function targetRecords(name: string, target: TargetConfig, ttl: number, proxied?: boolean): RecordSet[] {
  const base = { name: normaliseName(name), ttl, ...(proxied === undefined ? {} : { proxied }) };
  if (target.cname) return [{ ...base, type: 'CNAME', values: [normaliseName(target.cname)] }];
  if (target.alias) {
    // Route 53 alias: no values and no TTL of its own (the resource's answers carry theirs).
    const alias = { dnsName: normaliseName(target.alias.dnsName), hostedZoneId: target.alias.hostedZoneId, evaluateTargetHealth: target.alias.evaluateTargetHealth };
    const types = target.alias.ipv6 ? (['A', 'AAAA'] as const) : (['A'] as const);
    return types.map((type) => ({ ...base, ttl: 0, type, values: [], alias }));
  }
  const sets: RecordSet[] = [];
  if (target.a) sets.push({ ...base, type: 'A', values: [...target.a].sort() });
  if (target.aaaa) sets.push({ ...base, type: 'AAAA', values: [...target.aaaa].map((v) => v.toLowerCase()).sort() });
  return sets;
}

/** The provider-independent view of one service at one provider entry of its `dns` list. */
export function serviceDns(service: ServiceConfig, record: DnsRecordConfig): ServiceDns {
  const proxied = record.provider === 'cloudflare' ? record.proxied : undefined;
  const targets = {} as Record<TargetRole, RecordSet[]>;
  for (const role of TARGET_ROLES) {
    targets[role] = targetRecords(service.name, service[role], record.ttl, proxied);
  }
  return { service: normaliseName(service.name), ttl: record.ttl, ...(proxied === undefined ? {} : { proxied }), targets };
}
