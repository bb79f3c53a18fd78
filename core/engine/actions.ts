/** What an evaluation asks the runtime to do: change DNS, notify people, write the audit log. */
import type { ActiveOverride, ServiceName, TargetRole, UnixMs } from '../model.ts';
import type { Decision, HoldReason, NotifyEvent } from './decision.ts';
import type { Evidence } from './evidence.ts';

export type AuditKind = 'decision' | 'override' | 'override-expired' | 'hold' | 'rejected' | 'dns' | 'abandoned' | 'degraded';

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

/** What one provider did with one DNS attempt, as the coordinator saw it. */
export interface ProviderOutcome {
  readonly provider: string;
  readonly zone: string;
  /** `failed`: the call threw (after the DNS client's own retries). */
  readonly outcome: 'applied' | 'unchanged' | 'conflict' | 'failed';
  /** The state record DNS held after the call, when known. */
  readonly dns: { readonly active: TargetRole; readonly epoch: number } | null;
  /** The error message of a failed call (never contains secrets: DNS errors name provider and zone). */
  readonly error?: string;
}

/**
 * The result of carrying out one `dns` action, handed back to the engine as an input of the next
 * evaluation (EvaluateInput.flipOutcomes). Facts only; core/engine/flip.ts classifies them.
 */
export interface FlipOutcome {
  readonly epoch: number;
  readonly to: TargetRole;
  readonly at: UnixMs;
  readonly providers: readonly ProviderOutcome[];
  /** `provider zone serves X (epoch N)` for each provider that showed another target after the retries. */
  readonly disagreements?: readonly string[];
}

export type Action =
  /**
   * Make DNS serve `decision.to`, writing `epoch` in the state record. Applied with a
   * compare-and-swap; report the outcome back as a FlipOutcome. Emitted at each attempt.
   */
  | { readonly type: 'dns'; readonly decision: Decision; readonly epoch: number; readonly attempt: number }
  /** Tell people. `key` (`service#epoch#event[#detail]`) lets receivers drop duplicates. */
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
