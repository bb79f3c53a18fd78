/**
 * Monthly cost of running a config: the operations operations.ts counts for a month, priced with
 * the constants in prices.ts. Every line says what was counted, so the estimate can be checked by
 * hand; monitoring (CloudWatch alarms, metrics, logs) is priced on lines of its own.
 */
import { countOperations, DEFAULT_ASSUMPTIONS, type CostAssumptions, type CostInput } from './operations.ts';
import {
  AWS_PRICES as P_AWS, CLOUDFLARE_FREE_DAILY, CLOUDFLARE_INCLUDED, CLOUDFLARE_PRICES as P_CF,
  ROUTE53_EQUIVALENT_CHECK_USD, SECONDS_PER_MONTH,
} from './prices.ts';
import { probeInvocationMs, probeMemoryMb } from './probe-sizing.ts';

export { DEFAULT_ASSUMPTIONS, type CostAssumptions } from './operations.ts';

export interface CostLine {
  readonly provider: 'aws' | 'cloudflare';
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
  /** CloudWatch alarms, metrics and logs: what an operator adds to watch the system. */
  readonly monitoring?: boolean;
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly awsUsd: number;
  readonly cloudflareUsd: number;
  readonly totalUsd: number;
  /** The monitoring lines' sum, included in totalUsd. */
  readonly monitoringUsd: number;
  readonly totalExcludingMonitoringUsd: number;
  readonly services: number;
  /** Primary and secondary of every service: what a health check would be bought for. */
  readonly endpoints: number;
  readonly perEndpointUsd: number;
  readonly route53: { readonly checks: number; readonly perCheckUsd: number; readonly totalUsd: number };
  /** Whether the Cloudflare side's daily usage fits the Workers Free plan. */
  readonly fitsWorkersFree: boolean;
  readonly notes: readonly string[];
}

const perMillion = (count: number, usd: number) => (count / 1e6) * usd;
const over = (count: number, included: number) => Math.max(0, count - included);
const round2 = (n: number) => Math.round(n * 100) / 100;

export function estimateCost(config: CostInput, assumptions: Partial<CostAssumptions> = {}): CostEstimate {
  const a = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  const ops = countOperations(config, SECONDS_PER_MONTH, a);
  const S = config.services.length;
  const lines: CostLine[] = [];
  const add = (provider: CostLine['provider'], item: string, quantity: number, unit: string, usd: number, monitoring = false) =>
    lines.push({ provider, item, quantity: Math.round(quantity), unit, usd, ...(monitoring ? { monitoring } : {}) });

  if (ops.aws) {
    const w = ops.aws;
    const requests = w.probeInvocations + w.watchdogInvocations + w.coordinatorInvocations;
    add('aws', 'Lambda requests (probe hops, watchdog, coordinator)', requests, 'requests', perMillion(requests, P_AWS.lambdaRequests.usd));
    add('aws', 'Lambda duration, probes (arm64)', w.probeGbSeconds, 'GB-s', w.probeGbSeconds * P_AWS.lambdaArmGbSecond.usd);
    add('aws', 'Lambda duration, coordinator (arm64)', w.coordinatorGbSeconds, 'GB-s', w.coordinatorGbSeconds * P_AWS.lambdaArmGbSecond.usd);
    const sqs = w.sqsSends + w.sqsReceives + w.sqsDeletes;
    add('aws', 'SQS requests (probe chain: send, poll, delete)', sqs, 'requests', perMillion(sqs, P_AWS.sqsRequests.usd));
    add('aws', 'EventBridge Scheduler (probe watchdog)', w.watchdogInvocations, 'invocations', perMillion(w.watchdogInvocations, P_AWS.schedulerInvocations.usd));
    add('aws', 'DynamoDB writes, probe slot claims', w.claimWriteUnits, 'WRU', perMillion(w.claimWriteUnits, P_AWS.dynamoWriteRequest.usd));
    add('aws', 'DynamoDB reads, probe watchdog', w.claimReadUnits, 'RRU', perMillion(w.claimReadUnits, P_AWS.dynamoReadRequest.usd));
    add('aws', 'DynamoDB writes, coordinator (on-demand)', w.storage.dynamoWriteUnits, 'WRU', perMillion(w.storage.dynamoWriteUnits, P_AWS.dynamoWriteRequest.usd));
    add('aws', 'DynamoDB reads, coordinator (on-demand)', w.storage.dynamoReadUnits, 'RRU', perMillion(w.storage.dynamoReadUnits, P_AWS.dynamoReadRequest.usd));
    add('aws', 'EventBridge Scheduler (coordinator tick)', w.tickInvocations, 'invocations', perMillion(w.tickInvocations, P_AWS.schedulerInvocations.usd));
    add('aws', 'Route 53 API calls (flips)', 0, 'calls', 0);
    const logGb = w.logBytes / 1e9;
    add('aws', 'CloudWatch Logs ingestion', logGb, 'GB', logGb * P_AWS.logsIngestion.usd, true);
    add('aws', 'CloudWatch alarms', w.alarms, 'alarms', w.alarms * P_AWS.cloudwatchAlarm.usd, true);
    const metrics = w.coordinatorInvocations > 0 ? a.customMetrics : 0;
    add('aws', 'CloudWatch custom metrics (EMF)', metrics, 'metrics', metrics * P_AWS.cloudwatchMetric.usd, true);
  }

  let fitsWorkersFree = true;
  if (ops.cloudflare) {
    const c = ops.cloudflare;
    add('cloudflare', 'Workers Paid plan', 1, 'month', P_CF.workersPaidBase.usd);
    add('cloudflare', 'Worker requests', c.workerRequests, 'requests', perMillion(over(c.workerRequests, CLOUDFLARE_INCLUDED.workersRequests), P_CF.workersRequests.usd));
    add('cloudflare', 'Worker CPU time', c.workerCpuMs, 'CPU-ms', perMillion(over(c.workerCpuMs, CLOUDFLARE_INCLUDED.workersCpuMs), P_CF.workersCpu.usd));
    add('cloudflare', 'Durable Object requests (incl. alarms)', c.doRequests, 'requests', perMillion(over(c.doRequests, CLOUDFLARE_INCLUDED.doRequests), P_CF.doRequests.usd));
    add('cloudflare', 'Durable Object duration', c.doGbSeconds, 'GB-s', perMillion(over(c.doGbSeconds, CLOUDFLARE_INCLUDED.doGbSeconds), P_CF.doDuration.usd));
    add('cloudflare', 'Durable Object SQLite rows written', c.storage.doRowsWritten, 'rows', perMillion(over(c.storage.doRowsWritten, CLOUDFLARE_INCLUDED.doRowsWritten), P_CF.doRowsWritten.usd));
    add('cloudflare', 'Durable Object SQLite rows read', c.storage.doRowsRead, 'rows', perMillion(over(c.storage.doRowsRead, CLOUDFLARE_INCLUDED.doRowsRead), P_CF.doRowsRead.usd));
    const days = SECONDS_PER_MONTH / 86_400;
    fitsWorkersFree = c.workerRequests / days <= CLOUDFLARE_FREE_DAILY.workersRequests
      && c.doRequests / days <= CLOUDFLARE_FREE_DAILY.doRequests
      && c.doGbSeconds / days <= CLOUDFLARE_FREE_DAILY.doGbSeconds
      && c.storage.doRowsWritten / days <= CLOUDFLARE_FREE_DAILY.doRowsWritten
      && c.storage.doRowsRead / days <= CLOUDFLARE_FREE_DAILY.doRowsRead;
  }

  const sum = (keep: (l: CostLine) => boolean) => lines.filter(keep).reduce((t, l) => t + l.usd, 0);
  // The figures a reader adds up must add up, and the headline (without monitoring) must be its
  // lines' sum: each of the two parts is rounded once from its lines, the total is their sum, and the
  // AWS subtotal (where every monitoring line is) is what the total leaves after Cloudflare. Rounding
  // rounded subtotals again drifts: the production example's lines without monitoring are $14.9545,
  // its rounded provider subtotals made $14.96.
  const totalExcludingMonitoringUsd = round2(sum((l) => l.monitoring !== true));
  const monitoringUsd = round2(sum((l) => l.monitoring === true));
  const totalUsd = round2(totalExcludingMonitoringUsd + monitoringUsd);
  const cloudflareUsd = round2(sum((l) => l.provider === 'cloudflare'));
  const awsUsd = round2(totalUsd - cloudflareUsd);
  const endpoints = S * 2;
  const awsVps = config.vantagePoints.aws.length;
  const cfVps = config.vantagePoints.cloudflare.length;
  return {
    lines: lines.map((l) => ({ ...l, usd: Math.round(l.usd * 10_000) / 10_000 })),
    awsUsd, cloudflareUsd, totalUsd, monitoringUsd, totalExcludingMonitoringUsd,
    services: S, endpoints,
    perEndpointUsd: endpoints ? round2(totalUsd / endpoints) : 0,
    route53: { checks: endpoints, perCheckUsd: ROUTE53_EQUIVALENT_CHECK_USD, totalUsd: round2(endpoints * ROUTE53_EQUIVALENT_CHECK_USD) },
    fitsWorkersFree,
    notes: [
      'AWS list prices of us-east-1 without any free tier (Lambda, SQS, EventBridge Scheduler and DynamoDB all have one).',
      `Probes run every ${config.probing.intervalSeconds} s from ${awsVps + cfVps} vantage points; each probes both targets of every service.`,
      `Probe Lambdas run once per round (an SQS delay-queue chain), ${a.probeLambdaMemoryMb ?? probeMemoryMb(S)} MB, ${a.probeInvocationMs ?? probeInvocationMs(S)} ms each: modelled from LOCAL measurements (bench/cost-probe.ts, targets answering in 100 ms), not measured on Lambda.`,
      'Coordinator storage modelled as the vote ledger (core/cost/storage.ts): per batch one heartbeat write (also its replay guard, no nonce item), two Queries; sheets and states written only on change.',
      'Route 53 hosted zones and DNS queries are not counted: you pay for them with or without Lifeboat.',
      `Route 53 health checks for the same endpoints: non-AWS, 10 s interval, HTTPS, string match = $${ROUTE53_EQUIVALENT_CHECK_USD.toFixed(2)} each per month.`,
    ],
  };
}

/** Service counts `lifeboat cost --scale` prices. */
export const SCALE_SERVICES = [1, 10, 100, 1_000] as const;

export interface ScaleRow {
  readonly services: number;
  readonly endpoints: number;
  readonly totalUsd: number;
  readonly monitoringUsd: number;
  readonly perEndpointUsd: number;
  readonly perEndpointExcludingMonitoringUsd: number;
  readonly route53PerEndpointUsd: number;
}

/** The config's vantage points, interval and coordinators, with 1, 10, 100, 1,000 copies of its first service. */
export function estimateScale(config: CostInput, counts: readonly number[] = SCALE_SERVICES, assumptions: Partial<CostAssumptions> = {}): ScaleRow[] {
  const template = config.services[0];
  if (!template) return [];
  return counts.map((n) => {
    const services = Array.from({ length: n }, (_, i) => ({ ...template, name: `svc${i}.${template.name}` }));
    const e = estimateCost({ ...config, services }, assumptions);
    return {
      services: n, endpoints: e.endpoints, totalUsd: e.totalUsd, monitoringUsd: e.monitoringUsd,
      perEndpointUsd: e.perEndpointUsd, perEndpointExcludingMonitoringUsd: round2(e.totalExcludingMonitoringUsd / e.endpoints),
      route53PerEndpointUsd: ROUTE53_EQUIVALENT_CHECK_USD,
    };
  });
}
