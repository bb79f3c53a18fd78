/**
 * The decision: a pure function (state, observations, overrides, DNS outcomes, now, policy) ->
 * (state', actions). No clock, randomness or I/O: the same inputs give the same outputs in every
 * runtime. It says everything that happens: each `dns` attempt, each notice, each audit entry.
 * The coordinator saves the state, carries the actions out, and hands DNS outcomes back.
 *
 * Rules (docs/design.md): every automatic change rests on a quorum across providers (votes.ts
 * `judge`). Fail over when the active primary is quorum-unhealthy and the secondary is not, at
 * every evaluation for (failAfter - 1) intervals; never onto an unhealthy secondary; at most one
 * automatic failover per minDwell (an override, or its expiry, starts afresh); fail back only by
 * policy (auto after recoverAfter of quorum health) or, when the secondary itself dies and the
 * primary is quorum-healthy again, at once. Nothing automatic before one interval of observing.
 * A pending flip is re-checked before every attempt and abandoned when its reason went away
 * before any provider wrote it. Overrides beat all of it.
 */
import type { Observation, OverrideCommand, ServiceName, TargetRole, UnixMs } from '../model.ts';
import type { Action, AuditEntry, FlipOutcome } from './actions.ts';
import type { Decision, DecisionCause, HoldReason, NotifyEvent } from './decision.ts';
import type { Evidence } from './evidence.ts';
import { classifyFlip, FLIP_FAILING_REMINDER_MS, flipRetryDelayMs } from './flip.ts';
import { grayVerdict, initialGrayState, recordVotes } from './gray.ts';
import type { Policy } from './policy.ts';
import { upgradeState, type Announcement, type PendingFlip, type ServiceState } from './state.ts';
import { columnsOf, withColumns } from './state-columns.ts';
import { evidenceOfColumns, hasFreshVote, judgeColumns, mergeColumns, type Judgement } from './votes.ts';

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
  /** What became of the `dns` actions carried out since the last evaluation. */
  readonly flipOutcomes?: readonly FlipOutcome[];
}

export interface EvaluateOutput {
  readonly state: ServiceState;
  readonly actions: readonly Action[];
  /** The change of active target made by this evaluation, if any. */
  readonly decision: Decision | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type NotifyExtra = Partial<Pick<Extract<Action, { type: 'notify' }>, 'hold' | 'override'>> & { epoch?: number; detail?: string };

/** The idempotency key of every notice: `service#epoch#event[#detail]`. */
export function notifyKey(service: ServiceName, epoch: number, event: NotifyEvent, detail?: string): string {
  return `${service}#${epoch}#${event}${detail ? `#${detail}` : ''}`;
}

/** Formats a time for people; never throws, whatever the number (JS dates end at 8.64e15 ms). */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms} ms after 1970 (beyond any calendar date)` : d.toISOString();
}

export function evaluate(input: EvaluateInput): EvaluateOutput {
  const { now, policy } = input;
  const before = upgradeState(input.state);
  // The votes as columns (core/engine/columns.ts): merged and judged without a Vote object each.
  const beforeVotes = columnsOf(before);
  const votes = mergeColumns(beforeVotes, input.observations, policy);
  const state: Mutable<ServiceState> = withColumns(before, votes);
  state.gray = recordVotes(before.gray, input.observations, now, policy);
  // Cold start: the observing clock (re)starts when votes arrive after none was fresh.
  if (!hasFreshVote(beforeVotes, now, policy)) state.observingSince = null;
  if (state.observingSince === null && hasFreshVote(votes, now, policy)) state.observingSince = now;

  const actions: Action[] = [];
  let decision: Decision | null = null;

  const audit = (entry: Omit<AuditEntry, 'at' | 'service'>) => actions.push({ type: 'audit', entry: { at: now, service: state.service, ...entry } });
  const notify = (event: NotifyEvent, text: string, { epoch = state.epoch, detail, ...extra }: NotifyExtra = {}) =>
    actions.push({ type: 'notify', event, service: state.service, key: notifyKey(state.service, epoch, event, detail ?? extra.hold), text, ...extra });
  const change = (to: TargetRole, cause: DecisionCause, summary: string, evidence: Evidence, announce: Announcement, override?: Decision['override'], priorFailoverAt: UnixMs | null = state.lastFailoverAt) => {
    const from = state.active;
    state.active = to;
    state.epoch += 1;
    state.changedAt = now;
    state.failStreakSince = null;
    state.recoverStreakSince = null;
    state.disagreeSince = null;
    state.hold = null;
    // The gray-failure count restarts: the incident behind a decision is announced on its own.
    state.gray = initialGrayState();
    state.pendingFlip = {
      to, epoch: state.epoch, decidedAt: now, attempts: 0, lastAttemptAt: null,
      from, cause, priorFailoverAt, applied: false, failingSince: null, lastAlertAt: null, announce,
    };
    decision = { service: state.service, at: now, from, to, epoch: state.epoch, cause, summary, evidence, ...(override ? { override } : {}) };
    state.lastDecision = decision;
    audit({ kind: 'decision', message: summary, evidence, data: { from, to, epoch: state.epoch, cause } });
  };

  // 1. What DNS did with the attempts carried out since the last evaluation.
  for (const outcome of input.flipOutcomes ?? []) recordOutcome(state, outcome, now, audit, notify);

  // 2. Overrides, oldest first; ties broken by content so arrival order never matters.
  for (const cmd of [...input.overrides].sort(compareCommands)) {
    if (cmd.service !== state.service) continue;
    if (cmd.until !== undefined && cmd.until <= now) {
      audit({ kind: 'override', by: cmd.by, message: `ignored ${cmd.action}: its expiry has already passed`, data: { action: cmd.action, until: cmd.until } });
      continue;
    }
    const by = { action: cmd.action, by: cmd.by, reason: cmd.reason };
    audit({ kind: 'override', by: cmd.by, message: `${cmd.action} by ${cmd.by}: ${cmd.reason}`, data: { action: cmd.action, reason: cmd.reason, ...(cmd.until === undefined ? {} : { until: cmd.until }) } });
    state.override = cmd.action === 'auto' ? null
      : { action: cmd.action, reason: cmd.reason, by: cmd.by, since: cmd.at, ...(cmd.until === undefined ? {} : { until: cmd.until }) };
    const text = `${state.service}: ${cmd.action} by ${cmd.by}${cmd.until !== undefined ? ` until ${formatTime(cmd.until)}` : ''}: ${cmd.reason}`;
    const announce: Announcement = { event: 'override', text, ...(state.override ? { override: state.override } : {}) };
    // minDwell damps automation only: an operator's word starts a fresh decision.
    state.lastFailoverAt = null;
    const forced: TargetRole | null = cmd.action === 'force-primary' ? 'primary' : cmd.action === 'force-secondary' ? 'secondary' : null;
    if (forced && forced !== state.active) {
      // Announced once DNS says who wrote it: the peer coordinator announces its own write.
      change(forced, 'override', `${state.service}: ${cmd.action} by ${cmd.by} (${cmd.reason})`, evidenceOfColumns(votes, now, policy), announce, by, null);
    } else {
      notify('override', text, state.override ? { override: state.override } : {});
    }
    state.failStreakSince = null;
    state.recoverStreakSince = null;
    state.disagreeSince = null;
  }

  // 3. An override that has run out hands control back to automation, which starts afresh.
  if (state.override?.until !== undefined && state.override.until <= now) {
    const expired = state.override;
    state.override = null;
    state.lastFailoverAt = null;
    state.failStreakSince = null;
    state.recoverStreakSince = null;
    state.disagreeSince = null;
    audit({ kind: 'override-expired', message: `${expired.action} by ${expired.by} expired`, data: { action: expired.action, until: expired.until } });
    notify('override-expired', `${state.service}: ${expired.action} by ${expired.by} expired; automation is back in control`);
  }

  const primary = judgeColumns(votes, 'primary', now, policy);
  const secondary = judgeColumns(votes, 'secondary', now, policy);
  const describe = () => `primary ${fmt(primary)}; secondary ${fmt(secondary)}`;

  // 4. A flip nobody has written yet is dropped when its reason has gone.
  if (state.pendingFlip && !state.pendingFlip.applied && !stillHolds(state, primary, secondary)) {
    abandon(state, state.pendingFlip, describe(), evidenceOfColumns(votes, now, policy), audit, notify);
  }

  // 5. Automation, unless an override or a maintenance window holds the service.
  if (state.override || input.inMaintenance) {
    state.failStreakSince = null;
    state.recoverStreakSince = null;
    state.disagreeSince = null;
  } else {
    const warm = state.observingSince !== null && now - state.observingSince >= policy.intervalMs;
    const streakDone = (since: UnixMs) => warm && now - since >= (policy.failAfter - 1) * policy.intervalMs;
    const evidence = () => evidenceOfColumns(votes, now, policy);
    let hold: HoldReason | null = null;
    // Providers disagreeing on the active target veto any move; after failAfter they say so.
    const onActive = state.active === 'primary' ? primary : secondary;
    if (onActive.disagree) {
      state.disagreeSince ??= now;
      if (streakDone(state.disagreeSince)) hold = 'providers-disagree';
    } else state.disagreeSince = null;

    if (state.active === 'primary') {
      state.recoverStreakSince = null;
      if (primary.unhealthy && !secondary.unhealthy) {
        state.failStreakSince ??= now;
        if (streakDone(state.failStreakSince)) {
          if (state.lastFailoverAt !== null && now - state.lastFailoverAt < policy.minDwellMs) hold = 'min-dwell';
          else {
            const prior = state.lastFailoverAt;
            state.lastFailoverAt = now;
            const summary = `${state.service}: failing over to secondary, ${describe()}`;
            change('secondary', 'primary-unhealthy', summary, evidence(), { event: 'failover', text: summary }, undefined, prior);
          }
        }
      } else {
        state.failStreakSince = null;
        if (primary.unhealthy) hold = 'secondary-unhealthy';
      }
    } else if (secondary.unhealthy && primary.healthy) {
      // The secondary we moved to is dying and the primary is back: return at once, whatever the
      // failback policy, because staying means serving from a dead site.
      state.recoverStreakSince = null;
      state.failStreakSince ??= now;
      if (streakDone(state.failStreakSince)) {
        const summary = `${state.service}: secondary is down and primary is healthy, failing back, ${describe()}`;
        change('primary', 'secondary-unhealthy', summary, evidence(), { event: 'failback', text: summary });
      }
    } else {
      state.failStreakSince = null;
      if (secondary.unhealthy && primary.unhealthy) hold = 'both-unhealthy';
      if (primary.healthy) {
        state.recoverStreakSince ??= now;
        if (policy.failback === 'auto' && warm && now - state.recoverStreakSince >= policy.recoverAfterMs) {
          const summary = `${state.service}: primary healthy for ${Math.round((now - state.recoverStreakSince) / 1000)} s, failing back, ${describe()}`;
          change('primary', 'primary-recovered', summary, evidence(), { event: 'failback', text: summary });
        }
      } else state.recoverStreakSince = null;
    }
    if (decision === null) updateHold(state, hold, now, describe, evidence, audit, notify);
  }
  updateDegraded(state, !state.override && !input.inMaintenance, now, policy, audit, notify);

  // 6. The next attempt at the pending flip, when due.
  const pending = state.pendingFlip;
  if (pending && (pending.lastAttemptAt === null || now - pending.lastAttemptAt >= flipRetryDelayMs(pending.attempts))) {
    const d = state.lastDecision?.epoch === pending.epoch ? state.lastDecision : fallbackDecision(state, pending, now, policy);
    state.pendingFlip = { ...pending, attempts: pending.attempts + 1, lastAttemptAt: now };
    actions.push({ type: 'dns', decision: d, epoch: pending.epoch, attempt: pending.attempts + 1 });
  }
  return { state, actions, decision };
}

function causeOf(state: ServiceState, pending: PendingFlip): DecisionCause | null {
  if (pending.cause) return pending.cause;
  return state.lastDecision?.epoch === pending.epoch ? state.lastDecision.cause : null;
}

/** Whether the reason for an automatic flip still holds; an operator's flip is never re-checked. */
/**
 * Whether a pending flip's reason still stands. Only positive evidence drops it (a quorum says the
 * reason is gone, or says the target is unfit): stale votes are no evidence at all, and a
 * coordinator that restarts after its write landed, before it could record that, must finish the
 * flip (the DNS compare-and-swap makes the retry a no-op), not abandon what DNS already serves.
 */
function stillHolds(state: ServiceState, primary: Judgement, secondary: Judgement): boolean {
  const pending = state.pendingFlip!;
  switch (causeOf(state, pending)) {
    case 'primary-unhealthy': return !primary.healthy && !secondary.unhealthy;
    case 'secondary-unhealthy': return !secondary.healthy && !primary.unhealthy;
    case 'primary-recovered': return !primary.unhealthy;
    default: return true;
  }
}

const ABANDON_TEXT: Record<Exclude<DecisionCause, 'override'>, string> = {
  'primary-unhealthy': 'failover abandoned: the primary recovered before DNS could be changed',
  'secondary-unhealthy': 'failback abandoned: the secondary recovered (or the primary failed again) before DNS could be changed',
  'primary-recovered': 'failback abandoned: the primary was no longer healthy before DNS could be changed',
};

/** Drops a flip no provider has written: the active target goes back, the epoch is never reused. */
function abandon(
  state: Mutable<ServiceState>,
  pending: PendingFlip,
  votes: string,
  evidence: Evidence,
  audit: (entry: Omit<AuditEntry, 'at' | 'service'>) => void,
  notify: (event: NotifyEvent, text: string, extra?: NotifyExtra) => void,
): void {
  const cause = causeOf(state, pending) as Exclude<DecisionCause, 'override'>;
  const from = pending.from ?? (pending.to === 'primary' ? 'secondary' : 'primary');
  state.active = from;
  state.pendingFlip = null;
  state.gray = initialGrayState(); // the outage behind it was announced (flip-failing, flip-abandoned)
  if (cause === 'primary-unhealthy') state.lastFailoverAt = pending.priorFailoverAt ?? null;
  state.failStreakSince = null;
  state.recoverStreakSince = null;
  const text = `${state.service}: ${ABANDON_TEXT[cause]}; ${from} stays active (${votes})`;
  audit({ kind: 'abandoned', message: text, evidence, data: { epoch: pending.epoch, to: pending.to, active: from, cause, attempts: pending.attempts } });
  notify('flip-abandoned', text, { epoch: pending.epoch });
}

/** Applies one DNS outcome: audit, notices owed, and the pending flip cleared or counted. */
function recordOutcome(
  state: Mutable<ServiceState>,
  outcome: FlipOutcome,
  now: UnixMs,
  audit: (entry: Omit<AuditEntry, 'at' | 'service'>) => void,
  notify: (event: NotifyEvent, text: string, extra?: NotifyExtra) => void,
): void {
  const c = classifyFlip(outcome);
  const providers = outcome.providers.map((p) => `${p.provider} ${p.outcome === 'failed' ? `failed: ${p.error ?? 'unknown error'}` : p.outcome}`).join(', ');
  audit({
    kind: 'dns',
    message: `${c.complete ? 'DNS serves' : 'DNS flip incomplete for'} ${outcome.to} (epoch ${outcome.epoch}): ${providers}`,
    data: { to: outcome.to, epoch: outcome.epoch, result: c.kind, outcomes: outcome.providers.map((p) => ({ provider: p.provider, zone: p.zone, outcome: p.outcome === 'failed' ? 'error' : p.outcome })) },
  });
  if (outcome.disagreements?.length) {
    notify('disagreement', `${state.service}: decided ${outcome.to} (epoch ${outcome.epoch}) but DNS showed another target: ${[...new Set(outcome.disagreements)].join('; ')}`, { epoch: outcome.epoch });
  }
  const pending = state.pendingFlip;
  if (!pending || pending.epoch !== outcome.epoch) return; // superseded by a newer decision
  let announce = pending.announce ?? null;
  if (announce) {
    // The writer announces: one incident, one message. An operator hears of their override even
    // while DNS fails (flip-failing says the rest); an automatic change only once it is written.
    // An earlier attempt with no recorded outcome (its coordinator died after writing) may be
    // what DNS shows: announce rather than risk silence; the idempotency key is the peer's too.
    const lostAttempt = c.doneByPeer && pending.attempts > 1 && (pending.failingSince ?? null) === null;
    const send = c.won || lostAttempt || (!c.doneByPeer && announce.event === 'override');
    if (send) notify(announce.event, announce.text, { epoch: pending.epoch, ...(announce.override ? { override: announce.override } : {}) });
    if (send || c.doneByPeer || c.complete) announce = null;
  }
  if (c.complete) {
    state.pendingFlip = null;
    return;
  }
  const failingSince = pending.failingSince ?? outcome.at;
  let lastAlertAt = pending.lastAlertAt ?? null;
  if (lastAlertAt === null || now - lastAlertAt >= FLIP_FAILING_REMINDER_MS) {
    const minutes = Math.round((now - failingSince) / 60_000);
    notify('flip-failing', `${state.service}: DNS could not be changed to ${outcome.to} (epoch ${outcome.epoch}) after ${pending.attempts} attempt(s)${minutes > 0 ? ` over ${minutes} min` : ''}; still retrying: ${providers}`, {
      epoch: pending.epoch, ...(lastAlertAt === null ? {} : { detail: `attempt-${pending.attempts}` }),
    });
    lastAlertAt = now;
  }
  state.pendingFlip = { ...pending, applied: (pending.applied ?? false) || c.landed, failingSince, lastAlertAt, announce };
}

/** The decision behind a flip saved by 0.1 whose lastDecision was overwritten (never expected). */
function fallbackDecision(state: ServiceState, pending: PendingFlip, now: UnixMs, policy: Policy): Decision {
  const from = pending.from ?? (pending.to === 'primary' ? 'secondary' : 'primary');
  return {
    service: state.service, at: pending.decidedAt, from, to: pending.to, epoch: pending.epoch, cause: causeOf(state, pending) ?? 'override',
    summary: `${state.service}: serving ${pending.to} (epoch ${pending.epoch})`, evidence: evidenceOfColumns(columnsOf(state), now, policy),
  };
}

/** Raises one `degraded` alert per gray-failure incident of the active primary, and closes it. */
function updateDegraded(
  state: Mutable<ServiceState>,
  automated: boolean,
  now: UnixMs,
  policy: Policy,
  audit: (entry: Omit<AuditEntry, 'at' | 'service'>) => void,
  notify: (event: NotifyEvent, text: string, extra?: NotifyExtra) => void,
): void {
  const v = grayVerdict(state.gray, now, policy);
  const open = state.gray.degradedSince !== null;
  // Built only when an alert or audit entry needs it: this runs for every service on every evaluation.
  const rates = () => Object.entries(v.rates).map(([p, r]) => `${p} ${Math.round(r * 100)}%`).join(', ');
  const minutes = Math.round(policy.degradedWindowMs / 60_000);
  if (!open && v.degraded && automated && state.active === 'primary' && state.pendingFlip === null) {
    state.gray = { ...state.gray, degradedSince: now };
    const text = `${state.service}: primary degraded: probes failing over the last ${minutes} min (${rates()}), but not enough at once to fail over; check it`;
    audit({ kind: 'degraded', message: text, data: { rates: v.rates } });
    notify('degraded', text); // one key per epoch: both coordinators raise the same alert
  } else if (open && (v.clear || state.active !== 'primary')) {
    state.gray = { ...state.gray, degradedSince: null };
    audit({ kind: 'degraded', message: `${state.service}: primary no longer degraded (${rates() || 'no votes'})`, data: { rates: v.rates, cleared: true } });
  }
}

/** Raises a hold once when it starts (one alert per incident), and clears it when it ends. */
function updateHold(
  state: Mutable<ServiceState>,
  hold: HoldReason | null,
  now: UnixMs,
  describe: () => string,
  evidence: () => Evidence,
  audit: (entry: Omit<AuditEntry, 'at' | 'service'>) => void,
  notify: (event: NotifyEvent, text: string, extra?: NotifyExtra) => void,
): void {
  if (hold === (state.hold?.reason ?? null)) return;
  state.hold = hold === null ? null : { reason: hold, since: now };
  if (hold === null) return;
  const text = HOLD_TEXT[hold](state.service, describe(), state.active);
  audit({ kind: 'hold', message: text, evidence: evidence(), data: { reason: hold } });
  notify('hold', text, { hold });
}

const HOLD_TEXT: Record<HoldReason, (service: ServiceName, votes: string, active: TargetRole) => string> = {
  'secondary-unhealthy': (s, v) => `${s}: primary is down but the secondary is unhealthy too; NOT failing over (${v})`,
  'both-unhealthy': (s, v) => `${s}: the active secondary and the primary are both unhealthy; staying put, records unchanged (${v})`,
  'min-dwell': (s, v) => `${s}: primary is down again within minDwell of the last failover; holding to stop flapping (${v})`,
  'providers-disagree': (s, v, active) => `${s}: the providers disagree on whether the ${active} is down; NOT acting while they do (${v})`,
};

function fmt(j: Judgement): string {
  const t = j.tally;
  const per = j.providers.length > 1
    ? ` [${j.providers.map((p) => `${p.provider} ${p.tally.unhealthy}/${p.tally.fresh} ${p.verdict ?? 'no verdict'}`).join(', ')}]`
    : '';
  return `${t.unhealthy}/${t.fresh} unhealthy${t.abstain ? `, ${t.abstain} abstaining` : ''}${t.stale ? `, ${t.stale} stale` : ''}${per}`;
}

function compareCommands(a: OverrideCommand, b: OverrideCommand): number {
  if (a.at !== b.at) return a.at - b.at;
  const ka = `${a.action}|${a.by}|${a.until ?? ''}|${a.reason}`;
  const kb = `${b.action}|${b.by}|${b.until ?? ''}|${b.reason}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
