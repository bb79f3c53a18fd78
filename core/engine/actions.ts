/** What an evaluation asks the runtime to do: change DNS, notify people, write the audit log. */
import type {
  ActiveOverride, FailureKind, OverrideAction, ServiceName, TargetRole, UnixMs, Verdict, VantagePoint,
} from '../model.ts';
import type { HoldReason } from './state.ts';

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

export type DecisionCause =
  | 'primary-unhealthy'
  | 'primary-recovered'
  | 'secondary-unhealthy'
  | 'override';

export interface Decision {
  readonly service: ServiceName;
  readonly at: UnixMs;
  readonly from: TargetRole;
  readonly to: TargetRole;
  /** The epoch after the change. */
  readonly epoch: number;
  readonly cause: DecisionCause;
  readonly summary: string;
  readonly evidence: Evidence;
  readonly override?: { readonly action: OverrideAction; readonly by: string; readonly reason: string };
}

/** `disagreement`: DNS showed another target than this coordinator decided (the other coordinator differs). */
export type NotifyEvent = 'failover' | 'failback' | 'override' | 'hold' | 'override-expired' | 'disagreement';

export type AuditKind = 'decision' | 'override' | 'override-expired' | 'hold' | 'rejected' | 'dns';

export interface AuditEntry {
  readonly at: UnixMs;
  readonly service: ServiceName | null;
  readonly kind: AuditKind;
  readonly message: string;
  /** Key id of the caller, when a signed call caused it. */
  readonly by?: string;
  readonly evidence?: Evidence;
  readonly data?: Readonly<Record<string, unknown>>;
}

export type Action =
  /** Make DNS serve `to`. Applied with a compare-and-swap; only the winner notifies. */
  | { readonly type: 'dns'; readonly decision: Decision }
  /** Tell people. `key` (service + epoch + event) lets receivers drop duplicates. */
  | {
    readonly type: 'notify';
    readonly event: NotifyEvent;
    readonly service: ServiceName;
    readonly key: string;
    readonly text: string;
    readonly hold?: HoldReason;
    readonly override?: ActiveOverride;
  }
  | { readonly type: 'audit'; readonly entry: AuditEntry };
