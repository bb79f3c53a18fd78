/** `GET /v1/status`: every service's state, each vantage point's latest vote, recent decisions. */
import type { Coordinator } from '../coordinator/coordinator.ts';
import type { PropagationView } from '../coordinator/propagation.ts';
import type { Evidence, TallyCounts } from '../engine/evidence.ts';
import { historyOf, type ServiceHistory } from './status-history.ts';
import type { PendingFlip } from '../engine/state.ts';
import type { HoldReason } from '../engine/decision.ts';
import { isFresh, type ProviderJudgement } from '../engine/votes.ts';
import { TARGET_ROLES, type ActiveOverride, type FailureKind, type TargetRole, type UnixMs, type Verdict, type VantagePoint } from '../model.ts';

export interface VoteView {
  readonly verdict: Verdict;
  readonly ageSeconds: number;
  readonly fresh: boolean;
  readonly failure?: FailureKind;
  readonly latencyMs?: number;
  readonly ranIn?: string;
}

export interface ServiceStatus {
  readonly service: string;
  readonly active: TargetRole;
  readonly epoch: number;
  readonly changedAt: UnixMs | null;
  readonly override: ActiveOverride | null;
  readonly hold: { readonly reason: HoldReason; readonly since: UnixMs } | null;
  /** The DNS change not yet confirmed everywhere: attempts so far, failingSince when it has failed. */
  readonly pendingFlip: PendingFlip | null;
  /** Each provider's own verdict per target (null: too few fresh votes to judge). */
  readonly providers?: Readonly<Record<TargetRole, readonly ProviderJudgement[]>>;
  readonly tally: Readonly<Record<TargetRole, TallyCounts>>;
  readonly votes: Readonly<Record<VantagePoint, Partial<Record<TargetRole, VoteView>>>>;
  readonly lastDecision: { at: UnixMs; from: TargetRole; to: TargetRole; cause: string; summary: string } | null;
  /**
   * The latest DNS change per zone that can be followed until live (Route 53: GetChange INSYNC),
   * as this coordinator instance wrote it: pending since, propagated at, or unconfirmed.
   */
  readonly propagation?: readonly PropagationView[];
  /** The last hour of votes in 1-minute buckets, as this coordinator instance saw them (core/api/status-history.ts). */
  readonly history?: ServiceHistory;
}

export interface RecentEntry {
  readonly at: UnixMs;
  readonly service: string | null;
  readonly kind: string;
  readonly message: string;
  /** Key id of the caller who caused it (overrides). */
  readonly by?: string;
  /** Which vantage point said what: on decisions, holds and abandoned flips. */
  readonly evidence?: Evidence;
}

export interface StatusReport {
  readonly coordinator: string;
  readonly now: UnixMs;
  readonly services: readonly ServiceStatus[];
  readonly recent: readonly RecentEntry[];
}

export async function statusReport(coordinator: Coordinator, now: UnixMs): Promise<StatusReport> {
  const history = historyOf(coordinator);
  const services = (await coordinator.states()).map(({ state, policy, evidence, providers }): ServiceStatus => {
    const votes: Record<VantagePoint, Partial<Record<TargetRole, VoteView>>> = {};
    for (const entry of state.votes) {
      const view: Partial<Record<TargetRole, VoteView>> = {};
      for (const role of TARGET_ROLES) {
        const v = entry[role];
        if (v === null) continue;
        view[role] = {
          verdict: v.verdict,
          ageSeconds: Math.max(0, Math.round((now - v.receivedAt) / 1000)),
          fresh: isFresh(v, now, policy),
          ...(v.failure ? { failure: v.failure } : {}),
          ...(v.latencyMs !== null ? { latencyMs: v.latencyMs } : {}),
          ...(v.ranIn ? { ranIn: v.ranIn } : {}),
        };
      }
      votes[entry.vantagePoint] = view;
    }
    history.sample(state.service, state.votes, now);
    const d = state.lastDecision;
    const propagation = coordinator.propagation(state.service);
    return {
      service: state.service, active: state.active, epoch: state.epoch, changedAt: state.changedAt,
      override: state.override, hold: state.hold, pendingFlip: state.pendingFlip, providers, tally: evidence.tally, votes,
      lastDecision: d ? { at: d.at, from: d.from, to: d.to, cause: d.cause, summary: d.summary } : null,
      history: history.view(state.service, now),
      ...(propagation.length ? { propagation } : {}),
    };
  });
  const recent = (await coordinator.audit({ limit: 50 })).map((e): RecentEntry => ({
    at: e.at, service: e.service, kind: e.kind, message: e.message, ...(e.by ? { by: e.by } : {}), ...(e.evidence ? { evidence: e.evidence } : {}),
  }));
  return { coordinator: coordinator.name, now, services, recent };
}
