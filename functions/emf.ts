/**
 * CloudWatch metrics as Embedded Metric Format log lines: no PutMetricData call, no extra IAM,
 * no latency. The alarms in infra/ read these (namespace and names are shared from here; the
 * names themselves are core's, core/notify/metrics.ts, so every runtime reports the same ones).
 */
import { COORDINATOR_METRICS, type CoordinatorMetric, type MetricDimensions, type MetricsSink } from '#core/notify/metrics.ts';
import { SERVICE_DIMENSION, VERDICT_METRIC, type VerdictDatapoint } from '#core/dns/data-plane-memory.ts';

export const METRIC_NAMESPACE = 'Lifeboat';
export const METRICS = {
  ...COORDINATOR_METRICS,
  /** Old name of refusedRequests (0.1 emitted `RejectedRequests`); kept for code that imports it. */
  rejectedRequests: COORDINATOR_METRICS.refusedRequests,
} as const;
export const COORDINATOR_DIMENSION = 'Coordinator';

export type MetricName = CoordinatorMetric;

/**
 * One EMF line with a single Count metric under the Coordinator dimension and, when given, also
 * under Coordinator + each extra dimension (e.g. per VantagePoint), so alarms can read either.
 */
export function emfLine(metric: MetricName, value: number, coordinator: string, at: number, dimensions: MetricDimensions = {}): string {
  const extra = Object.keys(dimensions).filter((k) => dimensions[k as keyof MetricDimensions] !== undefined);
  return JSON.stringify({
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [{
        Namespace: METRIC_NAMESPACE,
        Dimensions: [[COORDINATOR_DIMENSION], ...extra.map((k) => [COORDINATOR_DIMENSION, k])],
        Metrics: [{ Name: metric, Unit: 'Count' }],
      }],
    },
    [COORDINATOR_DIMENSION]: coordinator,
    ...dimensions,
    [metric]: value,
  });
}

/** core's MetricsSink as EMF lines written by `write` (stdout in Lambda). */
export function emfSink(write: (line: string) => void, coordinator: string, now: () => number): MetricsSink {
  return { count: (metric, value, dimensions) => write(emfLine(metric, value, coordinator, now(), dimensions)) };
}

/**
 * Data-plane memory (core/dns/data-plane-memory.ts): one coordinator's verdict for one service,
 * under exactly one dimension set (Service, Coordinator) so each pair is one custom metric. The
 * alarm behind the CLOUDWATCH_METRIC health check reads it; a tick that cannot know a verdict
 * writes no line, and the check keeps its last known status.
 */
export function verdictEmfLine(point: VerdictDatapoint, at: number): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [{
        Namespace: METRIC_NAMESPACE,
        Dimensions: [[SERVICE_DIMENSION, COORDINATOR_DIMENSION]],
        Metrics: [{ Name: VERDICT_METRIC, Unit: 'None' }],
      }],
    },
    [SERVICE_DIMENSION]: point.service,
    [COORDINATOR_DIMENSION]: point.coordinator,
    [VERDICT_METRIC]: point.value,
  });
}
