/** How `lifeboat dns` prints plans, results and records: octoDNS-like text, and stable JSON. */
import { isNoop } from '#core/dns/plan.ts';
import { stateRecordName } from '#core/dns/state-record.ts';
import type { ApplyResult, CurrentRecords, DnsPlan, RecordChange, RecordSet, ServiceDns, StateRecord } from '#core/dns/types.ts';
import type { TargetRole } from '#core/model.ts';
import { describeValues, sameRecordSet } from '#core/dns/plan.ts';
import type { DnsTarget } from './dns-providers.ts';

export const stateText = (s: StateRecord | null): string =>
  s ? `${s.active} epoch ${s.epoch} at ${new Date(s.at).toISOString()}` : 'none';

const values = (set: RecordSet) => describeValues(set);
/** An alias has no TTL of its own (Route 53 answers with the resource's). */
const ttlText = (set: RecordSet) => (set.alias ? 'alias' : `ttl ${set.ttl}`);

export function changeLine(change: RecordChange): string {
  switch (change.kind) {
    case 'create':
      return `* Create  ${change.after.name} ${change.after.type}  ${values(change.after)}  (${ttlText(change.after)})`;
    case 'update': {
      const ttl = ttlText(change.before) === ttlText(change.after) ? ttlText(change.after) : `${ttlText(change.before)} -> ${ttlText(change.after)}`;
      return `* Update  ${change.after.name} ${change.after.type}  ${values(change.before)} -> ${values(change.after)}  (${ttl})`;
    }
    case 'delete':
      return `* Delete  ${change.before.name} ${change.before.type}  ${values(change.before)}`;
  }
}

export function planLines(plan: DnsPlan): string[] {
  if (isNoop(plan)) return [`  (no change: already serving ${plan.to}, state ${stateText(plan.expectedState)})`];
  const verb = plan.expectedState ? 'Update' : 'Create';
  return [
    ...plan.changes.map((c) => `  ${changeLine(c)}`),
    `  * ${verb}  ${stateRecordName(plan.service)} TXT  ${plan.expectedState ? `${plan.expectedState.active} epoch ${plan.expectedState.epoch}` : 'none'} -> ${plan.newState.active} epoch ${plan.newState.epoch}`,
  ];
}

export const heading = (t: Pick<DnsTarget, 'service' | 'where'>) => `${t.service}  ${t.where}`;

export const errorJson = (e: Error) => ({ name: e.name, message: e.message });

const setJson = (s: RecordSet) => ({ ttl: s.ttl, values: [...s.values], ...(s.proxied === undefined ? {} : { proxied: s.proxied }), ...(s.alias ? { alias: s.alias } : {}) });

export function planJson(plan: DnsPlan) {
  return {
    noop: isNoop(plan),
    changes: plan.changes.map((c) => ({
      kind: c.kind,
      name: c.kind === 'delete' ? c.before.name : c.after.name,
      type: c.kind === 'delete' ? c.before.type : c.after.type,
      before: c.kind === 'create' ? null : setJson(c.before),
      after: c.kind === 'delete' ? null : setJson(c.after),
    })),
    state: { before: plan.expectedState, after: plan.newState },
  };
}

export function resultJson(result: ApplyResult) {
  return { outcome: result.outcome, state: result.state, ...(result.changeId ? { changeId: result.changeId } : {}) };
}

/** Which target the current records match, if either. */
export function serving(current: CurrentRecords, dns: ServiceDns): TargetRole | 'neither' {
  const matches = (role: TargetRole) => {
    const want = dns.targets[role];
    return want.length === current.records.length
      && want.every((w) => current.records.some((r) => r.type === w.type && sameRecordSet({ ...r, ttl: w.ttl, proxied: w.proxied ?? false }, { ...w, proxied: w.proxied ?? false })));
  };
  return matches('primary') ? 'primary' : matches('secondary') ? 'secondary' : 'neither';
}

export function recordLines(current: CurrentRecords): string[] {
  const lines = current.records.length === 0
    ? ['    (no records)']
    : current.records.map((r) => `    ${r.type.padEnd(5)} ${values(r)}  (${ttlText(r)}${r.proxied ? ', proxied' : ''})`);
  lines.push(`    state ${stateText(current.state)}`);
  return lines;
}
