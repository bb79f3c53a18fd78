/** What a coordinator remembers about one service between evaluations. Plain JSON. */
import type {
  ActiveOverride, FailureKind, ServiceName, TargetRole, UnixMs, Verdict, VantagePoint,
} from '../model.ts';
import type { Decision } from './actions.ts';

/**
 * The latest vote of one vantage point on one target. Every field is always present (null when
 * unknown): one object shape for the JIT, and the same value after a JSON round trip.
 */
export interface Vote {
  readonly verdict: Verdict;
  readonly observedAt: UnixMs;
  readonly receivedAt: UnixMs;
  readonly failure: FailureKind | null;
  readonly latencyMs: number | null;
  readonly ranIn: string | null;
}

export interface VoteEntry {
  readonly vantagePoint: VantagePoint;
  readonly primary: Vote | null;
  readonly secondary: Vote | null;
}

/**
 * One entry per vantage point that has voted, sorted by vantage point. An array rather than a
 * record keyed by VP: copying it on every merge is one slice, not a dictionary rebuild.
 */
export type VoteBook = readonly VoteEntry[];

/** A DNS change decided and saved, but not yet confirmed applied at every provider. */
export interface PendingFlip {
  readonly to: TargetRole;
  readonly epoch: number;
  readonly decidedAt: UnixMs;
  /** Failed attempts so far; retries back off (core/coordinator/coordinator.ts flipRetryDelayMs). */
  readonly attempts: number;
  readonly lastAttemptAt: UnixMs | null;
}

/** Why automation is holding back right now; raised once, cleared when the cause goes. */
export type HoldReason = 'secondary-unhealthy' | 'both-unhealthy' | 'min-dwell';

export interface ServiceState {
  readonly service: ServiceName;
  readonly active: TargetRole;
  /** Increases by one on every change of the active target (matches the DNS state record). */
  readonly epoch: number;
  readonly changedAt: UnixMs | null;
  /** Last automatic move off the primary; flap damping (minDwell) counts from here. */
  readonly lastFailoverAt: UnixMs | null;
  /** Since when the active target has been quorum-unhealthy and the other one fit to take over. */
  readonly failStreakSince: UnixMs | null;
  /** Since when the primary has been quorum-healthy while the secondary is active. */
  readonly recoverStreakSince: UnixMs | null;
  readonly hold: { readonly reason: HoldReason; readonly since: UnixMs } | null;
  readonly override: ActiveOverride | null;
  readonly pendingFlip: PendingFlip | null;
  readonly votes: VoteBook;
  readonly lastDecision: Decision | null;
}

export function initialServiceState(service: ServiceName, active: TargetRole = 'primary', epoch = 0): ServiceState {
  return {
    service,
    active,
    epoch,
    changedAt: null,
    lastFailoverAt: null,
    failStreakSince: null,
    recoverStreakSince: null,
    hold: null,
    override: null,
    pendingFlip: null,
    votes: [],
    lastDecision: null,
  };
}
