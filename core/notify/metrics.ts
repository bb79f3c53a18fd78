/**
 * The coordinator's metrics, named once for every runtime: EMF lines on AWS (functions/emf.ts),
 * structured log lines on Cloudflare (workers/), nothing in tests unless asked. Alarms in infra/
 * read these names. A sink must never throw: a metric is never worth a failed request.
 */
import type { FlipResult } from '../dns/flip.ts';
import type { NotifyAction, Notifier } from '../coordinator/coordinator.ts';

export const COORDINATOR_METRICS = {
  /** Signed observation batches accepted; per vantage point too. Missing data = nobody reached us. */
  observationBatches: 'ObservationBatches',
  /** Refused requests, per reason. */
  refusedRequests: 'RefusedRequests',
  /** DNS writes started, per provider target of a flip. */
  flipsAttempted: 'FlipsAttempted',
  /** DNS writes that left the provider serving the decision (applied or already so). */
  flipsApplied: 'FlipsApplied',
  /** DNS writes that failed (denied, bad credential, provider down after retries). */
  flipsFailed: 'FlipsFailed',
  /** `flip-failing` alerts raised (once per incident, then reminders). */
  flipFailing: 'FlipFailing',
  /** The other provider's coordinator was unreachable, stale or disagreed at a peer check. */
  peerUnhealthy: 'PeerUnhealthy',
} as const;

export type CoordinatorMetric = (typeof COORDINATOR_METRICS)[keyof typeof COORDINATOR_METRICS];

/** Extra dimensions a metric may carry: `VantagePoint`, `Reason`, `Provider`. */
export type MetricDimensions = Readonly<Partial<Record<'VantagePoint' | 'Reason' | 'Provider', string>>>;

export interface MetricsSink {
  count(metric: CoordinatorMetric, value: number, dimensions?: MetricDimensions): void;
}

export const noMetrics: MetricsSink = { count() {} };

/** The flip metrics of one DNS write round; a conflict (the peer wrote first) counts as neither. */
export function countFlip(metrics: MetricsSink, results: readonly FlipResult[]): void {
  for (const r of results) {
    const dims = { Provider: r.provider };
    metrics.count(COORDINATOR_METRICS.flipsAttempted, 1, dims);
    if (!r.ok) metrics.count(COORDINATOR_METRICS.flipsFailed, 1, dims);
    else if (r.outcome !== 'conflict') metrics.count(COORDINATOR_METRICS.flipsApplied, 1, dims);
  }
}

/** Wraps a notifier so `flip-failing` is also a metric (the alarm fires even if every webhook is dead). */
export function meteredNotifier(inner: Notifier | undefined, metrics: MetricsSink): Notifier {
  return {
    async send(n: NotifyAction) {
      if (n.event === 'flip-failing') metrics.count(COORDINATOR_METRICS.flipFailing, 1);
      await inner?.send(n);
    },
  };
}
