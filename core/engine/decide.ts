/**
 * The decision: a pure function (state, observations, overrides, now, policy) -> (state', actions).
 * No clock, randomness or I/O: the same inputs give the same outputs in every runtime.
 *
 * Rules (docs/design.md): fail over when the active primary is quorum-unhealthy and the secondary
 * is not, at every evaluation for (failAfter - 1) intervals; never onto an unhealthy secondary;
 * at most one automatic failover per minDwell; fail back only by policy (auto after
 * recoverAfter of quorum health) or, when the secondary itself dies and the primary is
 * quorum-healthy again, at once. Overrides beat all of it.
 */
import type { Observation, OverrideCommand, ServiceName, TargetRole, UnixMs } from '../model.ts';
import type { Action, AuditEntry, Decision, DecisionCause, Evidence, NotifyEvent, TallyCounts } from './actions.ts';
import type { Policy } from './policy.ts';
import type { HoldReason, ServiceState } from './state.ts';
import { evidenceOf, mergeVotes, quorumHealthy, quorumUnhealthy, tally } from './votes.ts';

export interface EvaluateInput {
  readonly state: ServiceState;
  /** New observations of this service since the last evaluation, in any order. */
  readonly observations: readonly Observation[];
  /** New, already authenticated override commands for this service, in any order. */
  readonly overrides: readonly OverrideCommand[];
  readonly now: UnixMs;
  readonly policy: Policy;
  /**
   * Inside a configured maintenance window (core/engine/maintenance.ts, computed by the caller so
   * this stays pure): automation is frozen as by a `freeze` override and no hold alerts fire.
   * Overrides still apply, and an override's expiry is still handled.
   */
  readonly inMaintenance?: boolean;
}

export interface EvaluateOutput {
  readonly state: ServiceState;
  readonly actions: readonly Action[];
  /** The change of active target made by this evaluation, if any. */
  readonly decision: Decision | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function evaluate(input: EvaluateInput): EvaluateOutput {
  const { now, policy } = input;
  const state: Mutable<ServiceState> = { ...input.state, votes: mergeVotes(input.state.votes, input.observations, now, policy) };
  const actions: Action[] = [];
  let decision: Decision | null = null;

  const audit = (entry: Omit<AuditEntry, 'at' | 'service'>) => actions.push({ type: 'audit', entry: { at: now, service: state.service, ...entry } });
  const notify = (event: NotifyEvent, text: string, extra: Partial<Extract<Action, { type: 'notify' }>> = {}) =>
    actions.push({ type: 'notify', event, service: state.service, key: `${state.service}#${state.epoch}#${event}${extra.hold ? `#${extra.hold}` : ''}`, text, ...extra });
  const change = (to: TargetRole, cause: DecisionCause, summary: string, evidence: Evidence, override?: Decision['override']) => {
    const from = state.active;
    state.active = to;
    state.epoch += 1;
    state.changedAt = now;
    state.failStreakSince = null;
    state.recoverStreakSince = null;
    state.hold = null;
    state.pendingFlip = { to, epoch: state.epoch, decidedAt: now, attempts: 0, lastAttemptAt: null };
    decision = { service: state.service, at: now, from, to, epoch: state.epoch, cause, summary, evidence, ...(override ? { override } : {}) };
    state.lastDecision = decision;
    actions.push({ type: 'dns', decision });
    audit({ kind: 'decision', message: summary, evidence, data: { from, to, epoch: state.epoch, cause } });
  };

  // 1. Overrides, oldest first; ties broken by content so arrival order never matters.
  for (const cmd of [...input.overrides].sort(compareCommands)) {
    if (cmd.service !== state.service) continue;
    if (cmd.until !== undefined && cmd.until <= now) {
      audit({ kind: 'override', by: cmd.by, message: `ignored ${cmd.action}: its expiry has already passed`, data: { action: cmd.action, until: cmd.until } });
      continue;
    }
    const by = { action: cmd.action, by: cmd.by, reason: cmd.reason };
    audit({ kind: 'override', by: cmd.by, message: `${cmd.action} by ${cmd.by}: ${cmd.reason}`, data: { action: cmd.action, reason: cmd.reason, ...(cmd.until === undefined ? {} : { until: cmd.until }) } });
    if (cmd.action === 'auto') {
      state.override = null;
    } else {
      state.override = { action: cmd.action, reason: cmd.reason, by: cmd.by, since: cmd.at, ...(cmd.until === undefined ? {} : { until: cmd.until }) };
      const forced: TargetRole | null = cmd.action === 'force-primary' ? 'primary' : cmd.action === 'force-secondary' ? 'secondary' : null;
      if (forced && forced !== state.active) {
        change(forced, 'override', `${state.service}: ${cmd.action} by ${cmd.by} (${cmd.reason})`, evidenceOf(state.votes, now, policy), by);
      }
    }
    state.failStreakSince = null;
    state.recoverStreakSince = null;
    notify('override', `${state.service}: ${cmd.action} by ${cmd.by}${cmd.until ? ` until ${new Date(cmd.until).toISOString()}` : ''}: ${cmd.reason}`, state.override ? { override: state.override } : {});
  }

  // 2. An override that has run out hands control back to automation.
  if (state.override?.until !== undefined && state.override.until <= now) {
    const expired = state.override;
    state.override = null;
    audit({ kind: 'override-expired', message: `${expired.action} by ${expired.by} expired`, data: { action: expired.action, until: expired.until } });
    notify('override-expired', `${state.service}: ${expired.action} by ${expired.by} expired; automation is back in control`);
  }

  // 3. Automation, unless an override or a maintenance window holds the service.
  if (state.override || input.inMaintenance) {
    state.failStreakSince = null;
    state.recoverStreakSince = null;
    return { state, actions, decision };
  }
  const primary = tally(state.votes, 'primary', now, policy);
  const secondary = tally(state.votes, 'secondary', now, policy);
  const primaryDown = quorumUnhealthy(primary, policy);
  const primaryUp = quorumHealthy(primary, policy);
  const secondaryDown = quorumUnhealthy(secondary, policy);
  const streakDone = (since: UnixMs) => now - since >= (policy.failAfter - 1) * policy.intervalMs;
  const describe = () => `primary ${fmt(primary)}; secondary ${fmt(secondary)}`;
  let hold: HoldReason | null = null;

  if (state.active === 'primary') {
    state.recoverStreakSince = null;
    if (primaryDown && !secondaryDown) {
      state.failStreakSince ??= now;
      if (streakDone(state.failStreakSince)) {
        if (state.lastFailoverAt !== null && now - state.lastFailoverAt < policy.minDwellMs) hold = 'min-dwell';
        else {
          state.lastFailoverAt = now;
          change('secondary', 'primary-unhealthy', `${state.service}: failing over to secondary, ${describe()}`, evidenceOf(state.votes, now, policy));
        }
      }
    } else {
      state.failStreakSince = null;
      if (primaryDown) hold = 'secondary-unhealthy';
    }
  } else if (secondaryDown && primaryUp) {
    // The secondary we moved to is dying and the primary is back: return at once, whatever the
    // failback policy, because staying means serving from a dead site.
    state.recoverStreakSince = null;
    state.failStreakSince ??= now;
    if (streakDone(state.failStreakSince)) {
      change('primary', 'secondary-unhealthy', `${state.service}: secondary is down and primary is healthy, failing back, ${describe()}`, evidenceOf(state.votes, now, policy));
    }
  } else {
    state.failStreakSince = null;
    if (secondaryDown && primaryDown) hold = 'both-unhealthy';
    if (primaryUp) {
      state.recoverStreakSince ??= now;
      if (policy.failback === 'auto' && now - state.recoverStreakSince >= policy.recoverAfterMs) {
        change('primary', 'primary-recovered', `${state.service}: primary healthy for ${Math.round((now - state.recoverStreakSince) / 1000)} s, failing back, ${describe()}`, evidenceOf(state.votes, now, policy));
      }
    } else state.recoverStreakSince = null;
  }

  if (decision === null) updateHold(state, hold, now, describe, () => evidenceOf(state.votes, now, policy), audit, notify);
  return { state, actions, decision };
}

/** Raises a hold once when it starts (one alert per incident), and clears it when it ends. */
function updateHold(
  state: Mutable<ServiceState>,
  hold: HoldReason | null,
  now: UnixMs,
  describe: () => string,
  evidence: () => Evidence,
  audit: (entry: Omit<AuditEntry, 'at' | 'service'>) => void,
  notify: (event: NotifyEvent, text: string, extra?: { hold?: HoldReason }) => void,
): void {
  if (hold === (state.hold?.reason ?? null)) return;
  state.hold = hold === null ? null : { reason: hold, since: now };
  if (hold === null) return;
  const text = HOLD_TEXT[hold](state.service, describe());
  audit({ kind: 'hold', message: text, evidence: evidence(), data: { reason: hold } });
  notify('hold', text, { hold });
}

const HOLD_TEXT: Record<HoldReason, (service: ServiceName, votes: string) => string> = {
  'secondary-unhealthy': (s, v) => `${s}: primary is down but the secondary is unhealthy too; NOT failing over (${v})`,
  'both-unhealthy': (s, v) => `${s}: the active secondary and the primary are both unhealthy; staying put, records unchanged (${v})`,
  'min-dwell': (s, v) => `${s}: primary is down again within minDwell of the last failover; holding to stop flapping (${v})`,
};

function fmt(t: TallyCounts): string {
  return `${t.unhealthy}/${t.fresh} unhealthy${t.abstain ? `, ${t.abstain} abstaining` : ''}${t.stale ? `, ${t.stale} stale` : ''}`;
}

function compareCommands(a: OverrideCommand, b: OverrideCommand): number {
  if (a.at !== b.at) return a.at - b.at;
  const ka = `${a.action}|${a.by}|${a.until ?? ''}|${a.reason}`;
  const kb = `${b.action}|${b.by}|${b.until ?? ''}|${b.reason}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
