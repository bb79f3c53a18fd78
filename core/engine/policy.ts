// The config-file schema (zod) lives in core/config/policy-schema.ts: the runtimes resolve
// already-validated policies and must not bundle zod for it.

/** The policy as the config writes it, every field present (policy-schema.ts checks it matches the schema's output). */
export interface PolicyConfig {
  readonly minVotes: number;
  readonly providerMinVotes: number;
  readonly quorumFraction: number;
  readonly failAfter: number;
  readonly freshnessIntervals: number;
  readonly failback: 'manual' | 'auto';
  readonly recoverAfterSeconds: number;
  readonly minDwellSeconds: number;
  readonly degradedFailureRate: number;
  readonly degradedWindowSeconds: number;
}

/** Every policy field's default; the config schema's `.default()`s are these values. */
export const POLICY_DEFAULTS: PolicyConfig = {
  minVotes: 3,
  providerMinVotes: 2,
  quorumFraction: 2 / 3,
  failAfter: 2,
  freshnessIntervals: 3,
  failback: 'manual',
  recoverAfterSeconds: 600,
  minDwellSeconds: 900,
  degradedFailureRate: 0.2,
  degradedWindowSeconds: 300,
};

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

/**
 * The engine's policy from a validated partial one (config or scenario, already checked by its
 * schema): absent or undefined fields take their defaults.
 */
export function resolvePolicy(config: Partial<PolicyConfig>, intervalSeconds: number): Policy {
  const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<PolicyConfig>;
  const p: PolicyConfig = { ...POLICY_DEFAULTS, ...given };
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
