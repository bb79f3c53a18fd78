/** Frozen copy of core/engine/gray.ts before the issue 13 speed-up: the oracle of test/engine/fast-path.test.ts. Do not optimise. */
/**
 * Gray failures: a primary that fails a large share of probes, intermittently, without ever
 * making the quorum unhealthy for `failAfter` in a row (the rapid recheck and the latest-vote rule
 * hide it). The rule: per provider, count the primary's healthy and unhealthy votes received in
 * the last `degradedWindowSeconds`, in one bucket per interval (bounded state). When every
 * provider with enough votes to judge (at least one per interval of the window, on average) sees
 * at least `degradedFailureRate` of them unhealthy, and at least half the window has been
 * observed, the primary is *degraded*: one `degraded` alert per incident, no DNS change (a gray
 * failure is for people to judge; a real outage still fails over by the quorum). It clears, with
 * an audit entry, once every judging provider is under half that rate. Pure.
 */
import type { Observation, UnixMs } from '#core/model.ts';
import type { Policy } from '#core/engine/policy.ts';
import type { GrayState } from '#core/engine/state.ts';
import { providerOf, refuseObservationTime } from './votes.ts';

export { initialGrayState, type GrayBucket, type GrayState } from '#core/engine/state.ts';

/** Adds the primary votes among `observations` (those whose time is accepted) and drops old buckets. */
export function recordVotes(gray: GrayState, observations: readonly Observation[], now: UnixMs, policy: Policy): GrayState {
  const bucketAt = Math.floor(now / policy.intervalMs) * policy.intervalMs;
  let buckets = gray.buckets.filter((b) => b.at > now - policy.degradedWindowMs);
  const votes = observations.filter((o) => o.target === 'primary' && o.verdict !== 'abstain' && refuseObservationTime(o, policy) === null);
  if (votes.length > 0) {
    const last = buckets.at(-1);
    const counts: Record<string, [number, number]> = {};
    if (last?.at === bucketAt) for (const [p, c] of Object.entries(last.counts)) counts[p] = [c[0], c[1]];
    for (const o of votes) {
      const c = counts[providerOf(o.vantagePoint)] ??= [0, 0];
      if (o.verdict === 'unhealthy') c[0]++;
      c[1]++;
    }
    buckets = last?.at === bucketAt ? [...buckets.slice(0, -1), { at: bucketAt, counts }] : [...buckets, { at: bucketAt, counts }];
  }
  return buckets === gray.buckets ? gray : { ...gray, buckets };
}

export interface GrayVerdict {
  /** Unhealthy share per provider that has enough votes to judge. */
  readonly rates: Readonly<Record<string, number>>;
  readonly degraded: boolean;
  /** Every judging provider is under half the rate: an open incident may close. */
  readonly clear: boolean;
}

export function grayVerdict(gray: GrayState, now: UnixMs, policy: Policy): GrayVerdict {
  const perWindow = Math.max(1, Math.floor(policy.degradedWindowMs / policy.intervalMs));
  const totals = new Map<string, [number, number]>();
  for (const b of gray.buckets) {
    for (const [p, [u, t]] of Object.entries(b.counts)) {
      const c = totals.get(p) ?? [0, 0];
      c[0] += u;
      c[1] += t;
      totals.set(p, c);
    }
  }
  const rates: Record<string, number> = {};
  for (const [p, [u, t]] of totals) if (t >= perWindow) rates[p] = u / t;
  const judged = Object.values(rates);
  const covered = gray.buckets.length > 0 && now - gray.buckets[0]!.at >= policy.degradedWindowMs / 2;
  const on = policy.degradedFailureRate > 0;
  return {
    rates,
    degraded: on && covered && judged.length > 0 && judged.every((r) => r >= policy.degradedFailureRate),
    clear: !on || judged.every((r) => r < policy.degradedFailureRate / 2),
  };
}
