/**
 * The last hour of votes, per service x target x vantage point, in 1-minute buckets: what the
 * status page's latency chart and availability bars are drawn from.
 *
 * Kept in memory per coordinator instance, never stored: it costs no storage write per round, and
 * losing it (a cold start, a new Durable Object instance) only blanks the charts until votes come
 * back. It is fed twice, deduplicated by each vote's receivedAt: by every accepted batch
 * (`recordBatch`, from the API) and by the stored votes each time status is read (`sampleVotes`).
 * The second catches votes another instance took (several warm Lambdas share one table), so on
 * AWS a status read every minute (the peer check) keeps the history whole.
 */
import type { Coordinator } from '../coordinator/coordinator.ts';
import type { VoteBook } from '../engine/state.ts';
import { TARGET_ROLES, normaliseName, type ObservationBatch, type ServiceName, type TargetRole, type UnixMs, type Verdict, type VantagePoint } from '../model.ts';

export const HISTORY_BUCKET_MS = 60_000;
export const HISTORY_BUCKETS = 60;

/** One minute of one vantage point's votes on one target. */
export interface HistoryBucket {
  /** Start of the minute (unix ms, a multiple of 60 000). */
  readonly at: UnixMs;
  readonly healthy: number;
  readonly unhealthy: number;
  readonly abstain: number;
  /** Mean and worst latency of the votes that carried one. */
  readonly latencyMs?: { readonly mean: number; readonly max: number };
}

export interface HistorySeries {
  readonly vantagePoint: VantagePoint;
  readonly target: TargetRole;
  /** Oldest first; minutes without a vote are left out. */
  readonly buckets: readonly HistoryBucket[];
}

export interface ServiceHistory {
  readonly bucketSeconds: number;
  /** Start of the oldest minute the history covers (now minus an hour). */
  readonly from: UnixMs;
  readonly series: readonly HistorySeries[];
}

interface Cell { healthy: number; unhealthy: number; abstain: number; latencySum: number; latencyCount: number; latencyMax: number }

export interface VoteSample {
  readonly vantagePoint: VantagePoint;
  readonly target: TargetRole;
  readonly verdict: Verdict;
  readonly receivedAt: UnixMs;
  readonly latencyMs?: number | null;
}

export class VoteHistory {
  /** service|vp|target -> minute -> counts. */
  private readonly cells = new Map<string, Map<number, Cell>>();
  /** service|vp|target -> receivedAt of the newest vote counted (a vote is counted once). */
  private readonly newest = new Map<string, UnixMs>();

  /** Counts one vote unless it is not newer than the last one counted for its series, or over an hour old. */
  record(service: ServiceName, vote: VoteSample, now: UnixMs): void {
    const key = `${service}|${vote.vantagePoint}|${vote.target}`;
    if (vote.receivedAt <= (this.newest.get(key) ?? -Infinity) || vote.receivedAt < now - HISTORY_BUCKETS * HISTORY_BUCKET_MS) return;
    this.newest.set(key, vote.receivedAt);
    let minutes = this.cells.get(key);
    if (!minutes) this.cells.set(key, (minutes = new Map()));
    const at = Math.floor(vote.receivedAt / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS;
    let cell = minutes.get(at);
    if (!cell) minutes.set(at, (cell = { healthy: 0, unhealthy: 0, abstain: 0, latencySum: 0, latencyCount: 0, latencyMax: 0 }));
    cell[vote.verdict]++;
    if (typeof vote.latencyMs === 'number' && Number.isFinite(vote.latencyMs)) {
      cell.latencySum += vote.latencyMs;
      cell.latencyCount++;
      cell.latencyMax = Math.max(cell.latencyMax, vote.latencyMs);
    }
    this.prune(minutes, now);
  }

  /** Every latest vote of a stored vote book (those already counted are skipped). */
  sample(service: ServiceName, votes: VoteBook, now: UnixMs): void {
    for (const entry of votes) {
      for (const target of TARGET_ROLES) {
        const v = entry[target];
        if (v) this.record(service, { vantagePoint: entry.vantagePoint, target, verdict: v.verdict, receivedAt: v.receivedAt, latencyMs: v.latencyMs }, now);
      }
    }
  }

  /** The service's last hour, series sorted by vantage point then target. */
  view(service: ServiceName, now: UnixMs): ServiceHistory {
    const from = Math.floor(now / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS - (HISTORY_BUCKETS - 1) * HISTORY_BUCKET_MS;
    const series: HistorySeries[] = [];
    for (const [key, minutes] of this.cells) {
      const [s, vantagePoint, target] = key.split('|') as [string, VantagePoint, TargetRole];
      if (s !== service) continue;
      this.prune(minutes, now);
      const buckets = [...minutes].filter(([at]) => at >= from).sort(([a], [b]) => a - b).map(([at, c]): HistoryBucket => ({
        at, healthy: c.healthy, unhealthy: c.unhealthy, abstain: c.abstain,
        ...(c.latencyCount ? { latencyMs: { mean: Math.round(c.latencySum / c.latencyCount), max: Math.round(c.latencyMax) } } : {}),
      }));
      if (buckets.length) series.push({ vantagePoint, target, buckets });
    }
    series.sort((a, b) => (a.vantagePoint === b.vantagePoint ? (a.target < b.target ? -1 : 1) : a.vantagePoint < b.vantagePoint ? -1 : 1));
    return { bucketSeconds: HISTORY_BUCKET_MS / 1000, from, series };
  }

  private prune(minutes: Map<number, Cell>, now: UnixMs): void {
    const oldest = now - HISTORY_BUCKETS * HISTORY_BUCKET_MS;
    for (const at of minutes.keys()) if (at + HISTORY_BUCKET_MS <= oldest) minutes.delete(at);
  }
}

/** One history per coordinator instance; it goes when the instance goes. */
const histories = new WeakMap<Coordinator, VoteHistory>();

export function historyOf(coordinator: Coordinator): VoteHistory {
  let h = histories.get(coordinator);
  if (!h) histories.set(coordinator, (h = new VoteHistory()));
  return h;
}

/**
 * Counts an accepted batch (call after `coordinator.ingest`). A batch with results refused for
 * their time is left to `sample`, which sees only what the coordinator stored.
 */
export function recordBatch(coordinator: Coordinator, batch: ObservationBatch, result: { readonly refused: number }, now: UnixMs): void {
  if (result.refused > 0) return;
  const known = new Set(coordinator.serviceNames());
  const history = historyOf(coordinator);
  for (const r of batch.results) {
    const service = normaliseName(r.service);
    if (!known.has(service)) continue;
    history.record(service, { vantagePoint: batch.vantagePoint, target: r.target, verdict: r.verdict, receivedAt: now, latencyMs: r.latencyMs ?? null }, now);
  }
}
