/**
 * The failover policy as the config file and scenarios write it (zod, for path-precise errors at
 * validation time). The engine's side, defaults included, is core/engine/policy.ts.
 */
import * as z from 'zod';
import { POLICY_DEFAULTS as D, type PolicyConfig } from '../engine/policy.ts';

/**
 * The failover policy of one service. Config values are in seconds for people; the engine works
 * on the resolved form in milliseconds (`Policy`).
 */
export const policySchema = z.strictObject({
  minVotes: z.number().int().min(1).default(D.minVotes)
    .describe('Unhealthy fresh votes needed, at least, before a failover.'),
  providerMinVotes: z.number().int().min(1).default(D.providerMinVotes)
    .describe('Fresh votes a provider (aws, cloudflare) needs to give a verdict of its own. Every provider with a verdict must agree before any automatic change; a provider with fewer fresh votes (e.g. silent) does not block the other.'),
  quorumFraction: z.number().gt(0.5).lt(1).default(D.quorumFraction)
    .describe('Unhealthy votes must be MORE than this share of fresh votes.'),
  failAfter: z.number().int().min(1).max(60).default(D.failAfter)
    .describe('Consecutive evaluations, one interval apart, that must agree before acting.'),
  freshnessIntervals: z.number().int().min(1).max(20).default(D.freshnessIntervals)
    .describe('A vote counts for this many probe intervals after it was received.'),
  failback: z.enum(['manual', 'auto']).default(D.failback)
    .describe('manual: stay on the secondary until an operator acts. auto: return after recoverAfterSeconds.'),
  recoverAfterSeconds: z.number().int().min(0).default(D.recoverAfterSeconds)
    .describe('With failback auto, how long the primary must be quorum-healthy before returning.'),
  minDwellSeconds: z.number().int().min(0).default(D.minDwellSeconds)
    .describe('At most one automatic failover per this window (flap damping).'),
  degradedFailureRate: z.number().min(0).max(1).default(D.degradedFailureRate)
    .describe('Gray failures: raise one `degraded` alert when every provider sees at least this share of primary votes unhealthy over degradedWindowSeconds (0: off). No DNS change.'),
  degradedWindowSeconds: z.number().int().min(10).max(3600).default(D.degradedWindowSeconds)
    .describe('The window the degraded failure rate is measured over.'),
});

/** Compiles only while the schema's output and the engine's PolicyConfig name the same fields with the same types. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type PolicySchemaMatchesEngine = Assert<Same<z.output<typeof policySchema>, { -readonly [K in keyof PolicyConfig]: PolicyConfig[K] }>>;
/** The policy as a config file may write it (defaults not yet applied). */
export type PolicyInput = z.input<typeof policySchema>;
