/**
 * Monthly cost of running a config, from the price constants in prices.ts and stated usage
 * assumptions. Pure arithmetic: every line says what was counted, so the estimate can be checked
 * by hand and the assumptions changed when measurements say otherwise.
 */
import type { LifeboatConfig } from '../config/schema.ts';
import {
  AWS_PRICES as P_AWS, CLOUDFLARE_FREE_DAILY, CLOUDFLARE_INCLUDED, CLOUDFLARE_PRICES as P_CF,
  ROUTE53_EQUIVALENT_CHECK_USD, SECONDS_PER_MONTH,
} from './prices.ts';

/** How the deployed parts behave; defaults match the CDK stacks and the Worker. */
export interface CostAssumptions {
  readonly probeLambdaMemoryMb: number;
  readonly coordinatorLambdaMemoryMb: number;
  /** Wall-clock time of one probe round (probes, recheck, posts). */
  readonly roundSeconds: number;
  /** One coordinator call (verify, evaluate, store). */
  readonly coordinatorCallMs: number;
  readonly workerCpuMsPerRequest: number;
  /** Serialised size of one service's state (votes of every VP) in DynamoDB / DO storage. */
  readonly stateItemKb: number;
  readonly logBytesPerInvocation: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  probeLambdaMemoryMb: 256,
  coordinatorLambdaMemoryMb: 512,
  roundSeconds: 2,
  coordinatorCallMs: 60,
  workerCpuMsPerRequest: 5,
  stateItemKb: 3,
  logBytesPerInvocation: 1_000,
};

export interface CostLine {
  readonly provider: 'aws' | 'cloudflare';
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly awsUsd: number;
  readonly cloudflareUsd: number;
  readonly totalUsd: number;
  readonly services: number;
  /** Primary and secondary of every service: what a health check would be bought for. */
  readonly endpoints: number;
  readonly perEndpointUsd: number;
  readonly route53: { readonly checks: number; readonly perCheckUsd: number; readonly totalUsd: number };
  /** Whether the Cloudflare side's daily usage fits the Workers Free plan. */
  readonly fitsWorkersFree: boolean;
  readonly notes: readonly string[];
}

type CostInput = Pick<LifeboatConfig, 'services' | 'vantagePoints' | 'probing' | 'coordinators'>;

const perMillion = (count: number, usd: number) => (count / 1e6) * usd;
const over = (count: number, included: number) => Math.max(0, count - included);
const round2 = (n: number) => Math.round(n * 100) / 100;

export function estimateCost(config: CostInput, assumptions: Partial<CostAssumptions> = {}): CostEstimate {
  const a = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  const S = config.services.length;
  const awsVps = config.vantagePoints.aws.length;
  const cfVps = config.vantagePoints.cloudflare.length;
  const interval = config.probing.intervalSeconds;
  const rounds = SECONDS_PER_MONTH / interval;
  const minutes = SECONDS_PER_MONTH / 60;
  const posts = (awsVps + cfVps) * rounds;
  const hasAws = awsVps > 0 || config.coordinators.aws !== undefined;
  const hasCf = cfVps > 0 || config.coordinators.cloudflare !== undefined;
  const lines: CostLine[] = [];
  const add = (provider: CostLine['provider'], item: string, quantity: number, unit: string, usd: number) =>
    lines.push({ provider, item, quantity: Math.round(quantity), unit, usd });
  const wru = Math.ceil(a.stateItemKb);
  const rru = Math.ceil(a.stateItemKb / 4);

  if (hasAws) {
    // One probe invocation per minute runs every round of that minute (the Lambda waits between them).
    const probeInvocations = awsVps * (interval < 60 ? minutes : rounds);
    const probeSeconds = interval < 60 ? 60 : a.roundSeconds;
    const probeGbS = probeInvocations * probeSeconds * (a.probeLambdaMemoryMb / 1024);
    const coordInvocations = posts + minutes; // every VP's post + the one-minute tick
    const coordGbS = coordInvocations * (a.coordinatorCallMs / 1000) * (a.coordinatorLambdaMemoryMb / 1024);
    add('aws', 'Lambda requests (probes + coordinator)', probeInvocations + coordInvocations, 'requests', perMillion(probeInvocations + coordInvocations, P_AWS.lambdaRequests.usd));
    add('aws', 'Lambda duration, probes (arm64)', probeGbS, 'GB-s', probeGbS * P_AWS.lambdaArmGbSecond.usd);
    add('aws', 'Lambda duration, coordinator (arm64)', coordGbS, 'GB-s', coordGbS * P_AWS.lambdaArmGbSecond.usd);
    // Per post and per tick: read and write each service's state; per post also one nonce write.
    const writes = (posts + minutes) * S * wru + posts;
    const reads = (posts + minutes) * S * rru;
    add('aws', 'DynamoDB writes (on-demand)', writes, 'WRU', perMillion(writes, P_AWS.dynamoWriteRequest.usd));
    add('aws', 'DynamoDB reads (on-demand)', reads, 'RRU', perMillion(reads, P_AWS.dynamoReadRequest.usd));
    add('aws', 'EventBridge scheduled rules', (awsVps > 0 ? awsVps : 0) * minutes + minutes, 'events', 0);
    const logGb = ((probeInvocations + coordInvocations) * a.logBytesPerInvocation) / 1e9;
    add('aws', 'CloudWatch Logs ingestion', logGb, 'GB', logGb * P_AWS.logsIngestion.usd);
    add('aws', 'Route 53 API calls (flips)', 0, 'calls', 0);
  }

  let fitsWorkersFree = true;
  if (hasCf) {
    const awsPostsToCf = awsVps * rounds; // over HTTP: a Worker request, then a DO request
    const cron = minutes; // the watchdog re-arming alarms
    const workerRequests = awsPostsToCf + cron;
    const proberAlarms = cfVps * rounds;
    const coordRequests = posts + rounds + cron * (cfVps + 1); // posts, tick alarms, watchdog RPCs
    const doRequests = proberAlarms + coordRequests;
    const doGbS = (proberAlarms * a.roundSeconds + (posts + rounds) * (a.coordinatorCallMs / 1000)) * 0.125;
    const rowsWritten = (posts + rounds) * S + posts;
    const rowsRead = (posts + rounds) * S * 2;
    add('cloudflare', 'Workers Paid plan', 1, 'month', P_CF.workersPaidBase.usd);
    add('cloudflare', 'Worker requests', workerRequests, 'requests', perMillion(over(workerRequests, CLOUDFLARE_INCLUDED.workersRequests), P_CF.workersRequests.usd));
    const cpuMs = workerRequests * a.workerCpuMsPerRequest;
    add('cloudflare', 'Worker CPU time', cpuMs, 'CPU-ms', perMillion(over(cpuMs, CLOUDFLARE_INCLUDED.workersCpuMs), P_CF.workersCpu.usd));
    add('cloudflare', 'Durable Object requests (incl. alarms)', doRequests, 'requests', perMillion(over(doRequests, CLOUDFLARE_INCLUDED.doRequests), P_CF.doRequests.usd));
    add('cloudflare', 'Durable Object duration', doGbS, 'GB-s', perMillion(over(doGbS, CLOUDFLARE_INCLUDED.doGbSeconds), P_CF.doDuration.usd));
    add('cloudflare', 'Durable Object SQLite rows written', rowsWritten, 'rows', perMillion(over(rowsWritten, CLOUDFLARE_INCLUDED.doRowsWritten), P_CF.doRowsWritten.usd));
    add('cloudflare', 'Durable Object SQLite rows read', rowsRead, 'rows', perMillion(over(rowsRead, CLOUDFLARE_INCLUDED.doRowsRead), P_CF.doRowsRead.usd));
    const days = SECONDS_PER_MONTH / 86_400;
    fitsWorkersFree = workerRequests / days <= CLOUDFLARE_FREE_DAILY.workersRequests
      && doRequests / days <= CLOUDFLARE_FREE_DAILY.doRequests
      && doGbS / days <= CLOUDFLARE_FREE_DAILY.doGbSeconds
      && rowsWritten / days <= CLOUDFLARE_FREE_DAILY.doRowsWritten
      && rowsRead / days <= CLOUDFLARE_FREE_DAILY.doRowsRead;
  }

  const sum = (p: CostLine['provider']) => lines.filter((l) => l.provider === p).reduce((t, l) => t + l.usd, 0);
  const awsUsd = round2(sum('aws'));
  const cloudflareUsd = round2(sum('cloudflare'));
  const totalUsd = round2(awsUsd + cloudflareUsd);
  const endpoints = S * 2;
  const checks = endpoints;
  return {
    lines: lines.map((l) => ({ ...l, usd: Math.round(l.usd * 10_000) / 10_000 })),
    awsUsd, cloudflareUsd, totalUsd, services: S, endpoints,
    perEndpointUsd: endpoints ? round2(totalUsd / endpoints) : 0,
    route53: { checks, perCheckUsd: ROUTE53_EQUIVALENT_CHECK_USD, totalUsd: round2(checks * ROUTE53_EQUIVALENT_CHECK_USD) },
    fitsWorkersFree,
    notes: [
      'AWS list prices of us-east-1 without the free tier (Lambda gives 1M requests and 400,000 GB-s a month free per account).',
      `Probes run every ${interval} s from ${awsVps + cfVps} vantage points; each probes both targets of every service.`,
      'Route 53 hosted zones and DNS queries are not counted: you pay for them with or without Lifeboat.',
      `Route 53 health checks for the same endpoints: non-AWS, 10 s interval, HTTPS, string match = $${ROUTE53_EQUIVALENT_CHECK_USD.toFixed(2)} each per month.`,
    ],
  };
}
