/**
 * CloudWatch metrics as Embedded Metric Format log lines: no PutMetricData call, no extra IAM,
 * no latency. The alarms in infra/ read these (namespace and names are shared from here).
 */
export const METRIC_NAMESPACE = 'Lifeboat';
export const METRICS = {
  /** Signed observation batches accepted by the coordinator. Missing data = no VP reached it. */
  observationBatches: 'ObservationBatches',
  /** Requests refused with 401/413 (forged, replayed, expired, oversized). */
  rejectedRequests: 'RejectedRequests',
} as const;
export const COORDINATOR_DIMENSION = 'Coordinator';

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** One EMF line with a single Count metric under the Coordinator dimension. */
export function emfLine(metric: MetricName, value: number, coordinator: string, at: number): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[COORDINATOR_DIMENSION]], Metrics: [{ Name: metric, Unit: 'Count' }] }],
    },
    [COORDINATOR_DIMENSION]: coordinator,
    [metric]: value,
  });
}
