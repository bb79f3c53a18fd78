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
import type { Observation, UnixMs } from '../model.ts';
import type { Policy } from './policy.ts';
import type { GrayState } from './state.ts';
import { isProviderOf, providerOf, refuseObservationTime } from './votes.ts';

export { initialGrayState, type GrayBucket, type GrayState } from './state.ts';

/**
 * Adds the primary votes among `observations` (those whose time is accepted) and drops old buckets.
 * Runs for every service on every evaluation: returns `gray` itself when nothing changes, and
 * copies nothing per observation.
 */
export function recordVotes(gray: GrayState, observations: readonly Observation[], now: UnixMs, policy: Policy): GrayState {
  const bucketAt = Math.floor(now / policy.intervalMs) * policy.intervalMs;
  const cutoff = now - policy.degradedWindowMs;
  let buckets = gray.buckets;
  let kept = 0;
  for (let i = 0; i < buckets.length; i++) if (buckets[i]!.at > cutoff) kept++;
  if (kept !== buckets.length) buckets = buckets.filter((b) => b.at > cutoff);
  const last = buckets.length > 0 ? buckets[buckets.length - 1]! : undefined;
  let counts: Record<string, [number, number]> | null = null;
  // The provider of the previous vote and its counter: a batch holds one VP's votes together.
  let provider: string | null = null;
  let cell: [number, number] | null = null;
  for (let k = 0; k < observations.length; k++) {
    const o = observations[k]!;
    if (o.target !== 'primary' || o.verdict === 'abstain' || refuseObservationTime(o, policy) !== null) continue;
    if (counts === null) {
      counts = {};
      if (last?.at === bucketAt) for (const [p, c] of Object.entries(last.counts)) counts[p] = [c[0], c[1]];
    }
    if (provider === null || !isProviderOf(o.vantagePoint, provider)) {
      provider = providerOf(o.vantagePoint);
      cell = counts[provider] ??= [0, 0];
    }
    if (o.verdict === 'unhealthy') cell![0]++;
    cell![1]++;
  }
  if (counts !== null) {
    const out = buckets.slice(0, last?.at === bucketAt ? -1 : buckets.length);
    out.push({ at: bucketAt, counts });
    buckets = out;
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
  // Totals per provider in order of first appearance: [name, unhealthy, total] flattened.
  const names: string[] = [];
  const totals: number[] = [];
  for (const b of gray.buckets) {
    const counts = b.counts;
    for (const p in counts) {
      const c = counts[p]!;
      let j = names.indexOf(p);
      if (j < 0) { j = names.length; names.push(p); totals.push(0, 0); }
      totals[2 * j] = totals[2 * j]! + c[0];
      totals[2 * j + 1] = totals[2 * j + 1]! + c[1];
    }
  }
  const rates: Record<string, number> = {};
  let judged = 0;
  let allDegraded = true;
  let allClear = true;
  for (let j = 0; j < names.length; j++) {
    const t = totals[2 * j + 1]!;
    if (!(t >= perWindow)) continue;
    rates[names[j]!] = totals[2 * j]! / t;
  }
  // Judged from the object, as before (a key such as `__proto__` is not kept by it).
  for (const p in rates) {
    const r = rates[p]!;
    judged++;
    if (!(r >= policy.degradedFailureRate)) allDegraded = false;
    if (!(r < policy.degradedFailureRate / 2)) allClear = false;
  }
  const covered = gray.buckets.length > 0 && now - gray.buckets[0]!.at >= policy.degradedWindowMs / 2;
  const on = policy.degradedFailureRate > 0;
  return {
    rates,
    degraded: on && covered && judged > 0 && allDegraded,
    clear: !on || allClear,
  };
}
