/**
 * Price constants for `lifeboat cost`, in USD, list prices of us-east-1 (AWS) and of the
 * Workers Paid plan (Cloudflare). Each names the page it came from and when it was read, so a
 * reader can re-check it: prices change, and this file is the one place to update.
 */

export interface Price {
  readonly usd: number;
  /** What `usd` buys, e.g. "per 1M requests". */
  readonly unit: string;
  readonly source: string;
  /** When the source was read (YYYY-MM-DD). */
  readonly read: string;
}

const READ = '2026-11-25';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const DYNAMO = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const LOGS = 'https://aws.amazon.com/cloudwatch/pricing/';
const ROUTE53 = 'https://aws.amazon.com/route53/pricing/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const SCHEDULER = 'https://aws.amazon.com/eventbridge/pricing/#Scheduler';
const WORKERS = 'https://developers.cloudflare.com/workers/platform/pricing/';
const DO = 'https://developers.cloudflare.com/durable-objects/platform/pricing/';

export const AWS_PRICES = {
  lambdaRequests: { usd: 0.20, unit: 'per 1M requests', source: LAMBDA, read: READ },
  /** arm64 (the stacks deploy arm64), first 6 billion GB-s tier. */
  lambdaArmGbSecond: { usd: 0.0000133334, unit: 'per GB-second (arm64)', source: LAMBDA, read: READ },
  /** On-demand, Standard table class (after the November 2024 price cut). */
  dynamoWriteRequest: { usd: 0.625, unit: 'per 1M write request units', source: DYNAMO, read: READ },
  dynamoReadRequest: { usd: 0.125, unit: 'per 1M read request units', source: DYNAMO, read: READ },
  dynamoStorage: { usd: 0.25, unit: 'per GB-month (first 25 GB free)', source: DYNAMO, read: READ },
  /** Standard queue, first tier; every API action is a request (per 64 KB chunk). */
  sqsRequests: { usd: 0.40, unit: 'per 1M requests (standard queue)', source: SQS, read: READ },
  /** EventBridge Scheduler invocations: the probe watchdogs and the coordinator tick (14M a month free: not counted, list prices only). */
  schedulerInvocations: { usd: 1.00, unit: 'per 1M scheduled invocations', source: SCHEDULER, read: READ },
  cloudwatchMetric: { usd: 0.30, unit: 'per custom metric-month (first 10,000)', source: LOGS, read: READ },
  cloudwatchAlarm: { usd: 0.10, unit: 'per standard-resolution alarm metric-month', source: LOGS, read: READ },
  logsIngestion: { usd: 0.50, unit: 'per GB ingested (Standard class)', source: LOGS, read: READ },
  logsStorage: { usd: 0.03, unit: 'per GB-month archived', source: LOGS, read: READ },
  /** ChangeResourceRecordSets, ListResourceRecordSets and GetChange carry no charge. */
  route53ApiCall: { usd: 0, unit: 'per API call', source: ROUTE53, read: READ },
  route53HostedZone: { usd: 0.50, unit: 'per hosted zone-month (first 25)', source: ROUTE53, read: READ },
  route53HealthCheckNonAws: { usd: 0.75, unit: 'per health check-month, non-AWS endpoint', source: ROUTE53, read: READ },
  route53HealthCheckHttps: { usd: 2.00, unit: 'per health check-month, HTTPS option (non-AWS)', source: ROUTE53, read: READ },
  route53HealthCheckStringMatch: { usd: 2.00, unit: 'per health check-month, string matching (non-AWS)', source: ROUTE53, read: READ },
  route53HealthCheckFastInterval: { usd: 2.00, unit: 'per health check-month, 10 s interval (non-AWS)', source: ROUTE53, read: READ },
} as const satisfies Record<string, Price>;

export const CLOUDFLARE_PRICES = {
  workersPaidBase: { usd: 5.00, unit: 'per month, Workers Paid (includes the allowances below)', source: WORKERS, read: READ },
  workersRequests: { usd: 0.30, unit: 'per 1M requests over 10M/month', source: WORKERS, read: READ },
  workersCpu: { usd: 0.02, unit: 'per 1M CPU-ms over 30M/month', source: WORKERS, read: READ },
  doRequests: { usd: 0.15, unit: 'per 1M Durable Object requests (incl. alarms, RPC) over 1M/month', source: DO, read: READ },
  doDuration: { usd: 12.50, unit: 'per 1M GB-s over 400,000 GB-s/month (128 MB per active object)', source: DO, read: READ },
  doRowsRead: { usd: 0.001, unit: 'per 1M SQLite rows read over 25B/month', source: DO, read: READ },
  doRowsWritten: { usd: 1.00, unit: 'per 1M SQLite rows written over 50M/month', source: DO, read: READ },
  doStorage: { usd: 0.20, unit: 'per GB-month over 5 GB', source: DO, read: READ },
} as const satisfies Record<string, Price>;

/** Allowances that come with the Workers Paid plan, per month. */
export const CLOUDFLARE_INCLUDED = {
  workersRequests: 10_000_000,
  workersCpuMs: 30_000_000,
  doRequests: 1_000_000,
  doGbSeconds: 400_000,
  doRowsRead: 25_000_000_000,
  doRowsWritten: 50_000_000,
  doStorageGb: 5,
} as const;

/** Workers Free: daily limits; Durable Objects with SQLite storage are available on it too. */
export const CLOUDFLARE_FREE_DAILY = {
  workersRequests: 100_000,
  doRequests: 100_000,
  doGbSeconds: 13_000,
  doRowsRead: 5_000_000,
  doRowsWritten: 100_000,
} as const;

/** The Route 53 health check the issue compares against: non-AWS, 10 s, HTTPS, string match ($6.75). */
export const ROUTE53_EQUIVALENT_CHECK_USD = AWS_PRICES.route53HealthCheckNonAws.usd + AWS_PRICES.route53HealthCheckHttps.usd
  + AWS_PRICES.route53HealthCheckStringMatch.usd + AWS_PRICES.route53HealthCheckFastInterval.usd;

export const SECONDS_PER_MONTH = 30 * 24 * 3600;
