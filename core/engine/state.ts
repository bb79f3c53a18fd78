/** What a coordinator remembers about one service between evaluations. Plain JSON. */
import type {
  ActiveOverride, FailureKind, ServiceName, TargetRole, UnixMs, Verdict, VantagePoint,
} from '../model.ts';
import type { Decision, DecisionCause, HoldReason, NotifyEvent } from './decision.ts';

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

/** The notice a decision owes people, sent once DNS says who carried it out (core/engine/decide.ts). */
export interface Announcement {
  readonly event: Extract<NotifyEvent, 'failover' | 'failback' | 'override'>;
  readonly text: string;
  readonly override?: ActiveOverride;
}

/**
 * A DNS change decided and saved, but not yet confirmed applied at every provider. Fields after
 * `lastAttemptAt` are absent in state saved by 0.1; the engine reads them as null/false.
 */
export interface PendingFlip {
  readonly to: TargetRole;
  readonly epoch: number;
  readonly decidedAt: UnixMs;
  /** Attempts started so far; the next one waits flipRetryDelayMs(attempts) after the last (core/engine/flip.ts). */
  readonly attempts: number;
  readonly lastAttemptAt: UnixMs | null;
  /** The active target before the decision: where an abandoned flip returns to. */
  readonly from?: TargetRole;
  readonly cause?: DecisionCause;
  /** lastFailoverAt before this decision, restored when an automatic failover is abandoned. */
  readonly priorFailoverAt?: UnixMs | null;
  /** True once any provider serves it: from then on it is finished, never abandoned. */
  readonly applied?: boolean;
  /** First failed attempt of this flip, and the last flip-failing alert sent for it. */
  readonly failingSince?: UnixMs | null;
  readonly lastAlertAt?: UnixMs | null;
  /** Sent when this coordinator's write lands (dropped when the peer's did); null once sent. */
  readonly announce?: Announcement | null;
}


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
  /** Since when the providers with a verdict have disagreed on the active target (hold after failAfter). */
  readonly disagreeSince: UnixMs | null;
  /**
   * Since when this coordinator has had fresh votes, by its clock; null when every vote is stale.
   * No automatic decision before one interval of observing (cold start).
   */
  readonly observingSince: UnixMs | null;
  readonly hold: { readonly reason: HoldReason; readonly since: UnixMs } | null;
  readonly override: ActiveOverride | null;
  readonly pendingFlip: PendingFlip | null;
  readonly votes: VoteBook;
  readonly lastDecision: Decision | null;
  /** The primary's recent vote counts and any open `degraded` incident (core/engine/gray.ts). */
  readonly gray: GrayState;
}

/** Gray-failure bookkeeping (core/engine/gray.ts). One interval's primary votes per provider: [unhealthy, healthy + unhealthy]. */
export interface GrayBucket {
  readonly at: UnixMs;
  readonly counts: Readonly<Record<string, readonly [number, number]>>;
}

export interface GrayState {
  readonly buckets: readonly GrayBucket[];
  /** When the current degraded incident was raised; null when none is open. */
  readonly degradedSince: UnixMs | null;
  /**
   * Votes received up to this time are not counted (a decision restarted the count). The
   * coordinator sets it, because it derives the buckets from its vote ledger
   * (core/coordinator/ledger.ts); absent and null count everything.
   */
  readonly countedFrom?: UnixMs | null;
}

export const initialGrayState = (): GrayState => ({ buckets: [], degradedSince: null });

export function initialServiceState(service: ServiceName, active: TargetRole = 'primary', epoch = 0): ServiceState {
  return {
    service,
    active,
    epoch,
    changedAt: null,
    lastFailoverAt: null,
    failStreakSince: null,
    recoverStreakSince: null,
    disagreeSince: null,
    observingSince: null,
    hold: null,
    override: null,
    pendingFlip: null,
    votes: [],
    lastDecision: null,
    gray: initialGrayState(),
  };
}

/** A stored state, with the fields added after 0.1 filled in (stored JSON may predate them). */
export function upgradeState(state: ServiceState): ServiceState {
  // Every evaluation passes here: a state with every field already (all saved since 0.2) is
  // returned as is rather than copied. States are never changed in place, so this is the same value.
  for (const key of STATE_FIELDS) if (!(key in state)) return { ...initialServiceState(state.service), ...state };
  return state;
}

const STATE_FIELDS = Object.keys(initialServiceState('')) as readonly (keyof ServiceState)[];
