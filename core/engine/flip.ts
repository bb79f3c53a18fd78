/**
 * The life of a pending DNS flip, as the engine sees it: when the next attempt is due, and what
 * one attempt's outcome means. Pure; the coordinator only carries attempts out and reports back.
 */
import type { FlipOutcome } from './actions.ts';

/**
 * How long the next attempt of a flip waits after the last one started: none before the first,
 * then 1 s, 2 s, 4 s ... capped at 30 s. Without it, every batch (24 a round) would retry at once
 * and spend the DNS API's rate limit (Route 53: about 10 requests/s per account) while it is
 * already refusing us.
 */
export function flipRetryDelayMs(attempts: number): number {
  return attempts <= 0 ? 0 : Math.min(30_000, 1_000 * 2 ** (attempts - 1));
}

/** A flip that keeps failing alerts after its first failed attempt, then at most this often. */
export const FLIP_FAILING_REMINDER_MS = 15 * 60_000;

export type FlipResultKind =
  /** This coordinator's write changed DNS at one provider at least. */
  | 'applied'
  /** Nothing written by us; DNS already showed this very decision (same target and epoch): the peer's work. */
  | 'doneByPeer'
  /** Nothing failed, but some provider still showed a rival write after the re-plans. */
  | 'conflict'
  /** Some provider's call failed. */
  | 'failed'
  /** Every provider already served the target (e.g. under another epoch): nothing to write. */
  | 'unchanged';

export interface FlipClassification {
  readonly kind: FlipResultKind;
  /** True when this coordinator's write landed somewhere: it owes the failover/failback notice. */
  readonly won: boolean;
  /** Every provider serves the target: the flip is done. */
  readonly complete: boolean;
  /** Some provider serves this decision now (ours or the peer's write): it can no longer be abandoned. */
  readonly landed: boolean;
  /** We wrote nothing and DNS already showed this decision: the peer's notice to send, not ours. */
  readonly doneByPeer: boolean;
  /** Some provider's call failed. */
  readonly failed: boolean;
}

export function classifyFlip(o: FlipOutcome): FlipClassification {
  const ps = o.providers;
  const won = ps.some((p) => p.outcome === 'applied');
  const complete = ps.length > 0 && ps.every((p) => p.outcome === 'applied' || p.outcome === 'unchanged');
  const serves = (p: FlipOutcome['providers'][number]) => p.dns !== null && p.dns.active === o.to && p.dns.epoch === o.epoch;
  const byPeer = !won && ps.some((p) => p.outcome === 'unchanged' && serves(p));
  const landed = won || ps.some((p) => p.outcome !== 'failed' && serves(p));
  const failed = ps.some((p) => p.outcome === 'failed');
  const kind: FlipResultKind = won ? 'applied'
    : failed ? 'failed'
      : ps.some((p) => p.outcome === 'conflict') ? 'conflict'
        : byPeer ? 'doneByPeer' : 'unchanged';
  return { kind, won, complete, landed, doneByPeer: byPeer, failed };
}
