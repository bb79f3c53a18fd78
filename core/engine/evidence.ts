/** Which vantage point said what, and when: the tally and votes behind a decision, alert or audit entry. */
import type { FailureKind, TargetRole, UnixMs, Verdict, VantagePoint } from '../model.ts';

export interface TallyCounts {
  readonly healthy: number;
  readonly unhealthy: number;
  readonly abstain: number;
  readonly stale: number;
  /** healthy + unhealthy: the votes that count. */
  readonly fresh: number;
}

export interface EvidenceVote {
  readonly vantagePoint: VantagePoint;
  readonly target: TargetRole;
  readonly verdict: Verdict;
  readonly fresh: boolean;
  readonly observedAt: UnixMs;
  readonly receivedAt: UnixMs;
  readonly failure?: FailureKind;
}

/** Which vantage point said what, and when: carried by every decision, alert and audit entry. */
export interface Evidence {
  readonly tally: Readonly<Record<TargetRole, TallyCounts>>;
  readonly votes: readonly EvidenceVote[];
}
