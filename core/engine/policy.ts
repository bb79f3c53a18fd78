import * as z from 'zod';

/**
 * The failover policy of one service. Config values are in seconds for people; the engine works
 * on the resolved form in milliseconds (`Policy`).
 */
export const policySchema = z.strictObject({
  minVotes: z.number().int().min(1).default(3)
    .describe('Unhealthy fresh votes needed, at least, before a failover.'),
  providerMinVotes: z.number().int().min(1).default(2)
    .describe('Fresh votes a provider (aws, cloudflare) needs to give a verdict of its own. Every provider with a verdict must agree before any automatic change; a provider with fewer fresh votes (e.g. silent) does not block the other.'),
  quorumFraction: z.number().gt(0.5).lt(1).default(2 / 3)
    .describe('Unhealthy votes must be MORE than this share of fresh votes.'),
  failAfter: z.number().int().min(1).max(60).default(2)
    .describe('Consecutive evaluations, one interval apart, that must agree before acting.'),
  freshnessIntervals: z.number().int().min(1).max(20).default(3)
    .describe('A vote counts for this many probe intervals after it was received.'),
  failback: z.enum(['manual', 'auto']).default('manual')
    .describe('manual: stay on the secondary until an operator acts. auto: return after recoverAfterSeconds.'),
  recoverAfterSeconds: z.number().int().min(0).default(600)
    .describe('With failback auto, how long the primary must be quorum-healthy before returning.'),
  minDwellSeconds: z.number().int().min(0).default(900)
    .describe('At most one automatic failover per this window (flap damping).'),
  degradedFailureRate: z.number().min(0).max(1).default(0.2)
    .describe('Gray failures: raise one `degraded` alert when every provider sees at least this share of primary votes unhealthy over degradedWindowSeconds (0: off). No DNS change.'),
  degradedWindowSeconds: z.number().int().min(10).max(3600).default(300)
    .describe('The window the degraded failure rate is measured over.'),
});

export type PolicyInput = z.input<typeof policySchema>;
export type PolicyConfig = z.output<typeof policySchema>;

/** The policy as the engine uses it. */
export interface Policy {
  readonly intervalMs: number;
  readonly minVotes: number;
  /** Fresh votes one provider needs before its verdict counts (and can veto). */
  readonly providerMinVotes: number;
  readonly quorumFraction: number;
  readonly failAfter: number;
  readonly freshForMs: number;
  readonly failback: 'manual' | 'auto';
  readonly recoverAfterMs: number;
  readonly minDwellMs: number;
  /** Gray failures (core/engine/gray.ts): unhealthy share that raises `degraded`; 0 is off. */
  readonly degradedFailureRate: number;
  readonly degradedWindowMs: number;
}

export const DEFAULT_INTERVAL_SECONDS = 10;

export function resolvePolicy(config: Partial<PolicyConfig>, intervalSeconds: number): Policy {
  const p = policySchema.parse(config);
  const intervalMs = intervalSeconds * 1000;
  return {
    intervalMs,
    minVotes: p.minVotes,
    providerMinVotes: p.providerMinVotes,
    quorumFraction: p.quorumFraction,
    failAfter: p.failAfter,
    freshForMs: p.freshnessIntervals * intervalMs,
    failback: p.failback,
    recoverAfterMs: p.recoverAfterSeconds * 1000,
    minDwellMs: p.minDwellSeconds * 1000,
    degradedFailureRate: p.degradedFailureRate,
    degradedWindowMs: p.degradedWindowSeconds * 1000,
  };
}

/**
 * The bound of DESIGN property 1 (without the DNS write): a hard-down primary is decided on
 * within interval x (failAfter + 1). One interval lets every VP see the fault (the rapid recheck
 * fits in it), the streak takes (failAfter - 1) more, and one is slack for evaluation timing.
 */
export function decisionDeadlineMs(policy: Policy): number {
  return policy.intervalMs * (policy.failAfter + 1);
}
