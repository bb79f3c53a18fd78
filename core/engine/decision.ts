/** A decided change of the active target, why it was made, why one was held back, and who is told. */
import type { OverrideAction, ServiceName, TargetRole, UnixMs } from '../model.ts';
import type { Evidence } from './evidence.ts';

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

/**
 * `disagreement`: DNS showed another target than this coordinator decided (the other coordinator differs).
 * `flip-failing`: a decided DNS change could not be written (once per flip, then every 15 min).
 * `flip-abandoned`: a flip not yet written anywhere was dropped because its reason went away.
 */
export const NOTIFY_EVENTS = [
  'failover', 'failback', 'override', 'hold', 'override-expired', 'disagreement', 'flip-failing', 'flip-abandoned', 'degraded',
] as const;
/** The config's webhook `events` filter is built from the same list (core/config/schema.ts). */
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** Why automation is holding back right now; raised once, cleared when the cause goes. */
export type HoldReason = 'secondary-unhealthy' | 'both-unhealthy' | 'min-dwell' | 'providers-disagree';
