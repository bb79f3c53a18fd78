/**
 * Planning a flip as a diff, with the safety rails: a plan never deletes a record, never leaves
 * the name without records, and never touches a name that is not the configured service.
 */
import type { TargetRole, UnixMs } from '../model.ts';
import { sameState } from './state-record.ts';
import { normaliseName } from '../model.ts';
import {
  UnsafePlanError,
  type AliasTarget, type ApplyResult, type CurrentRecords, type DnsPlan, type DnsProvider, type DnsProviderName, type RecordChange, type RecordSet, type ServiceDns,
} from './types.ts';

export interface PlanInput {
  readonly provider: DnsProviderName;
  readonly zone: string;
  readonly dns: ServiceDns;
  readonly current: CurrentRecords;
  readonly to: TargetRole;
  readonly at: UnixMs;
  /**
   * The epoch to write in the state record: the coordinator passes its decision's epoch, so the
   * engine and DNS agree on it by construction. Absent only for a change made by hand
   * (`lifeboat dns`), which takes the one after DNS's own.
   */
  readonly epoch?: number;
}

export function sameRecordSet(a: RecordSet, b: RecordSet): boolean {
  return a.name === b.name && a.type === b.type && a.ttl === b.ttl && (a.proxied ?? false) === (b.proxied ?? false)
    && a.values.length === b.values.length && a.values.every((v, i) => v === b.values[i])
    && sameAlias(a.alias, b.alias);
}

function sameAlias(a: AliasTarget | undefined, b: AliasTarget | undefined): boolean {
  if (!a || !b) return a === b;
  return a.dnsName === b.dnsName && a.hostedZoneId === b.hostedZoneId && a.evaluateTargetHealth === b.evaluateTargetHealth;
}

/** How a record set reads in messages and plans: its values, or `alias <dnsName>`. */
export function describeValues(set: RecordSet): string {
  return set.alias ? `alias ${set.alias.dnsName} (zone ${set.alias.hostedZoneId}${set.alias.evaluateTargetHealth ? ', evaluate target health' : ''})` : set.values.join(', ');
}

/**
 * Only Route 53 holds alias records. Every other provider calls this before writing, so a
 * config that slipped past validation still fails with a message saying what to do instead.
 */
export function refuseAliases(sets: readonly RecordSet[], where: Pick<DnsProvider, 'name' | 'zone'>): void {
  const alias = sets.find((s) => s.alias);
  if (!alias) return;
  const instead = where.name === 'cloudflare' ? 'Cloudflare has no Route 53 alias: give the target a cname to the resource\'s DNS name' : 'give the target a, aaaa or cname records';
  throw new UnsafePlanError(`${where.name} zone ${where.zone} cannot hold ${alias.name} ${alias.type} as a Route 53 alias to ${alias.alias!.dnsName}; ${instead}`, where.name, where.zone, alias.name);
}

export function planChange({ provider, zone, dns, current, to, at, epoch }: PlanInput): DnsPlan {
  const name = normaliseName(dns.service);
  const desired = dns.targets[to];
  const refuse = (message: string, record = name): never => {
    throw new UnsafePlanError(`refusing to plan ${provider} zone ${zone}: ${message}`, provider, zone, record);
  };
  if (desired.length === 0) refuse('the target has no records, and Lifeboat never empties a name');
  if (provider !== 'route53') refuseAliases(desired, { name: provider, zone });
  for (const set of [...desired, ...current.records]) {
    if (normaliseName(set.name) !== name) refuse(`record ${set.name} is not the configured name ${name}`, set.name);
  }
  const changes: RecordChange[] = [];
  for (const after of desired) {
    const before = current.records.find((r) => r.type === after.type);
    if (!before) changes.push({ kind: 'create', after });
    else if (!sameRecordSet(before, after)) changes.push({ kind: 'update', before, after });
  }
  for (const before of current.records) {
    if (!desired.some((d) => d.type === before.type)) {
      refuse(`serving ${to} would delete the ${before.type} record (${describeValues(before)}); fix the records by hand or make both targets use the same record types`, before.name);
    }
  }
  if (epoch !== undefined && (!Number.isSafeInteger(epoch) || epoch < 0)) refuse(`epoch ${epoch} is not a whole number >= 0`);
  const alreadyActive = current.state?.active === to;
  const newState = changes.length === 0 && alreadyActive && current.state
    ? current.state
    : { active: to, epoch: epoch ?? (current.state?.epoch ?? 0) + (alreadyActive ? 0 : 1), at };
  return { provider, zone, service: name, to, changes, expectedState: current.state, newState };
}

/** True when applying the plan would send nothing. */
export function isNoop(plan: DnsPlan): boolean {
  return plan.changes.length === 0 && sameState(plan.expectedState, plan.newState);
}

/**
 * What a provider answers for a plan without any request: a plan that deletes records is refused
 * (Lifeboat fails static, never empty) and a plan that changes nothing is `unchanged`. Null: the
 * plan needs a write. One rule for `apply` and `applyMany` of every provider.
 */
export function answerWithoutWriting(plan: DnsPlan, where: Pick<DnsProvider, 'name' | 'zone'>): ApplyResult | UnsafePlanError | null {
  if (where.name !== 'route53') {
    try { refuseAliases(plan.changes.flatMap((c) => (c.kind === 'delete' ? [] : [c.after])), where); } catch (err) { return err as UnsafePlanError; }
  }
  const deletes = plan.changes.find((c) => c.kind === 'delete');
  if (deletes?.kind === 'delete') return new UnsafePlanError('a plan may not delete records', where.name, where.zone, deletes.before.name);
  if (isNoop(plan)) return { provider: where.name, zone: where.zone, outcome: 'unchanged', state: plan.expectedState };
  return null;
}

/** `answerWithoutWriting` over a batch: the answers known already, and the indexes left to write. */
export function screenPlans(plans: readonly DnsPlan[], where: Pick<DnsProvider, 'name' | 'zone'>): { results: (ApplyResult | Error | undefined)[]; todo: number[] } {
  const results: (ApplyResult | Error | undefined)[] = new Array(plans.length);
  const todo: number[] = [];
  plans.forEach((plan, i) => {
    const answer = answerWithoutWriting(plan, where);
    if (answer) results[i] = answer;
    else todo.push(i);
  });
  return { results, todo };
}
