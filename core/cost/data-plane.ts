/**
 * What Route 53 data-plane mode adds to the bill (docs/data-plane.md): per data-plane service,
 * one HTTPS string-match check per coordinator (10 s interval, a non-AWS endpoint as Route 53
 * prices it) and one calculated check; the checkers' requests, which land on the coordinators;
 * and the memory (core/dns/data-plane-memory.ts): per coordinator, a custom metric the AWS
 * coordinator publishes as EMF lines each tick, an alarm on it, and a check on the alarm.
 */
import type { LifeboatConfig } from '../config/schema.ts';
import { AWS_PRICES, CLOUDFLARE_PRICES, ROUTE53_EQUIVALENT_CHECK_USD, SECONDS_PER_MONTH } from './prices.ts';

/** Route 53's price of a calculated check: the basic (AWS endpoint) check price. */
export const ROUTE53_CALCULATED_CHECK_USD = 0.5;
/** Checkers sending requests to each endpoint check (Route 53 uses ~15+ locations by default). */
export const DEFAULT_CHECKERS = 16;
export const DATA_PLANE_INTERVAL_SECONDS = 10;
/** A check on a CloudWatch alarm is priced as a basic check on an AWS endpoint. */
export const ROUTE53_ALARM_CHECK_USD = 0.5;
/** One verdict EMF line (functions/emf.ts verdictEmfLine) with the Lambda's log framing, bytes. */
export const VERDICT_EMF_LINE_BYTES = 300;
/** CloudWatch PutMetricData, $0.01 per 1,000 requests (one request a tick could carry every service). */
export const PUT_METRIC_DATA_USD_PER_1000 = 0.01;
const TICKS_PER_MONTH = SECONDS_PER_MONTH / 60;

export interface DataPlaneMemoryCost {
  /** Custom metrics: one per (service, coordinator). */
  readonly metrics: number;
  readonly alarms: number;
  /** CLOUDWATCH_METRIC health checks. */
  readonly alarmChecks: number;
  readonly metricsUsd: number;
  readonly alarmsUsd: number;
  readonly alarmChecksUsd: number;
  /** The AWS coordinator's tick writes one line per verdict it knows (its own and its peer's). */
  readonly emfLinesPerMonth: number;
  readonly emfIngestionUsd: number;
  /** What PutMetricData would cost instead (one call a tick), not counted: EMF needs no call and no IAM. */
  readonly putMetricDataAlternativeUsd: number;
  /** How long after the tick that publishes it a verdict reaches the alarm check (estimate). */
  readonly delaySeconds: { readonly min: number; readonly max: number };
  readonly usd: number;
}

export interface DataPlaneCost {
  readonly services: number;
  readonly endpointChecks: number;
  readonly calculatedChecks: number;
  readonly healthChecksUsd: number;
  /** Requests per second one coordinator receives from Route 53's checkers, all services. */
  readonly requestsPerSecondPerCoordinator: number;
  readonly requestsPerMonthPerCoordinator: number;
  /** Lambda requests for those calls (the Worker's are in its request price, below). */
  readonly awsRequestsUsd: number;
  readonly cloudflareRequestsUsd: number;
  readonly memory: DataPlaneMemoryCost;
  readonly totalUsd: number;
}

/** Zero services in data-plane mode: all zeros. */
export function dataPlaneCost(config: Pick<LifeboatConfig, 'services'>, checkers = DEFAULT_CHECKERS): DataPlaneCost {
  const services = config.services.filter((s) => s.mode === 'data-plane').length;
  const coordinators = 2;
  const endpointChecks = services * coordinators;
  const calculatedChecks = services;
  const healthChecksUsd = endpointChecks * ROUTE53_EQUIVALENT_CHECK_USD + calculatedChecks * ROUTE53_CALCULATED_CHECK_USD;
  const perSecond = services * (checkers / DATA_PLANE_INTERVAL_SECONDS);
  const perMonth = perSecond * SECONDS_PER_MONTH;
  const awsRequestsUsd = (perMonth / 1e6) * AWS_PRICES.lambdaRequests.usd;
  const cloudflareRequestsUsd = (perMonth / 1e6) * CLOUDFLARE_PRICES.workersRequests.usd;
  const r2 = (n: number) => Math.round(n * 100) / 100;
  const memory = memoryCost(services * coordinators, r2);
  return {
    services, endpointChecks, calculatedChecks, healthChecksUsd: r2(healthChecksUsd),
    requestsPerSecondPerCoordinator: perSecond, requestsPerMonthPerCoordinator: Math.round(perMonth),
    awsRequestsUsd: r2(awsRequestsUsd), cloudflareRequestsUsd: r2(cloudflareRequestsUsd),
    memory,
    totalUsd: r2(healthChecksUsd + awsRequestsUsd + cloudflareRequestsUsd + memory.usd),
  };
}

function memoryCost(verdicts: number, r2: (n: number) => number): DataPlaneMemoryCost {
  const metricsUsd = verdicts * AWS_PRICES.cloudwatchMetric.usd;
  const alarmsUsd = verdicts * AWS_PRICES.cloudwatchAlarm.usd;
  const alarmChecksUsd = verdicts * ROUTE53_ALARM_CHECK_USD;
  const emfLinesPerMonth = verdicts * TICKS_PER_MONTH;
  const emfIngestionUsd = (emfLinesPerMonth * VERDICT_EMF_LINE_BYTES / 1e9) * AWS_PRICES.logsIngestion.usd;
  return {
    metrics: verdicts, alarms: verdicts, alarmChecks: verdicts,
    metricsUsd: r2(metricsUsd), alarmsUsd: r2(alarmsUsd), alarmChecksUsd: r2(alarmChecksUsd),
    emfLinesPerMonth, emfIngestionUsd: Math.round(emfIngestionUsd * 10_000) / 10_000,
    putMetricDataAlternativeUsd: verdicts ? r2((TICKS_PER_MONTH / 1000) * PUT_METRIC_DATA_USD_PER_1000) : 0,
    // Published at the tick after the decision; EMF extraction and the alarm's one-minute period follow.
    delaySeconds: { min: 60, max: 180 },
    usd: r2(metricsUsd + alarmsUsd + alarmChecksUsd + emfIngestionUsd),
  };
}
