import { describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import { estimateCost, estimateScale } from '#core/cost/estimate.ts';
import { probeInvocationMs, probeMemoryMb, WATCHDOG_INVOCATION_MS } from '#core/cost/probe-sizing.ts';
import { AWS_PRICES, CLOUDFLARE_PRICES, ROUTE53_EQUIVALENT_CHECK_USD, SECONDS_PER_MONTH } from '#core/cost/prices.ts';
import { testConfigInput } from '../support/coordinators.ts';
import { requireConfig } from '../../cli/config-file.ts';

const config = (extra = {}) => loadConfig(testConfigInput(extra));

describe('estimateCost', () => {
  it('prices the Route 53 equivalent at $6.75 per endpoint (non-AWS, 10 s, HTTPS, string match)', () => {
    expect(ROUTE53_EQUIVALENT_CHECK_USD).toBeCloseTo(6.75, 10);
    const e = estimateCost(config());
    expect(e.endpoints).toBe(2);
    expect(e.route53).toEqual({ checks: 2, perCheckUsd: 6.75, totalUsd: 13.5 });
  });

  it('counts Lambda requests as one probe hop per round and one watchdog a minute per region, plus coordinator batches and ticks', () => {
    const e = estimateCost(config());
    const minutes = SECONDS_PER_MONTH / 60;
    const rounds = SECONDS_PER_MONTH / 10;
    const expected = 3 * rounds + 3 * minutes + 4 * rounds + minutes;
    const line = e.lines.find((l) => l.item.startsWith('Lambda requests'))!;
    expect(line.quantity).toBe(expected);
    expect(line.usd).toBeCloseTo((expected / 1e6) * AWS_PRICES.lambdaRequests.usd, 4);
  });

  it('bills the probe chain only for probing: GB-s are hops x measured round time, not minutes of waiting', () => {
    const e = estimateCost(config());
    const rounds = SECONDS_PER_MONTH / 10;
    const minutes = SECONDS_PER_MONTH / 60;
    const gbS = (probeMemoryMb(1) / 1024) * (3 * rounds * probeInvocationMs(1) + 3 * minutes * WATCHDOG_INVOCATION_MS) / 1000;
    expect(e.lines.find((l) => l.item.startsWith('Lambda duration, probes'))!.quantity).toBe(Math.round(gbS));
    // Three SQS requests per hop (send, the poller's receive, its delete) and four idle pollers' long polls.
    expect(e.lines.find((l) => l.item.startsWith('SQS requests'))!.quantity).toBe(3 * 3 * rounds + 3 * 4 * 3 * minutes);
    // The watchdog and the tick are EventBridge Scheduler schedules (infra/): one invocation a minute each, at list price.
    const perInvocation = AWS_PRICES.schedulerInvocations.usd / 1e6;
    const watchdog = e.lines.find((l) => l.item === 'EventBridge Scheduler (probe watchdog)')!;
    expect(watchdog).toMatchObject({ quantity: 3 * minutes, unit: 'invocations' });
    expect(watchdog.usd).toBeCloseTo(3 * minutes * perInvocation, 6);
    const tick = e.lines.find((l) => l.item === 'EventBridge Scheduler (coordinator tick)')!;
    expect(tick).toMatchObject({ quantity: minutes, unit: 'invocations' });
    expect(tick.usd).toBeCloseTo(minutes * perInvocation, 6);
    expect(tick.usd).toBeGreaterThan(0);
    expect(e.lines.some((l) => l.item.includes('EventBridge rule'))).toBe(false);
    expect(e.lines.find((l) => l.item === 'DynamoDB writes, probe slot claims')!.quantity).toBe(3 * rounds);
  });

  it('prices monitoring on lines of its own and reports the total without them', () => {
    const e = estimateCost(config());
    const monitoring = e.lines.filter((l) => l.monitoring);
    expect(monitoring.map((l) => l.item).sort()).toEqual(['CloudWatch Logs ingestion', 'CloudWatch alarms', 'CloudWatch custom metrics (EMF)']);
    expect(e.monitoringUsd).toBeCloseTo(monitoring.reduce((t, l) => t + l.usd, 0), 2);
    expect(e.totalExcludingMonitoringUsd).toBeCloseTo(e.totalUsd - e.monitoringUsd, 2);
  });

  it('meets issue 13: 100 services, 10 s, 9 vantage points at most $0.25 per endpoint', () => {
    const nine = { vantagePoints: { aws: ['us-east-1', 'eu-west-1', 'ap-northeast-2', 'ap-northeast-1', 'sa-east-1'], cloudflare: ['apac', 'weur', 'enam', 'wnam'] }, coordinators: { aws: { url: 'https://a.example/' }, cloudflare: { url: 'https://b.example/' } } };
    const [, , hundred] = estimateScale(config(nine));
    expect(hundred!.services).toBe(100);
    expect(hundred!.perEndpointUsd).toBeLessThanOrEqual(0.25);
    expect(hundred!.route53PerEndpointUsd / hundred!.perEndpointUsd).toBeGreaterThanOrEqual(27);
  });

  it('meets issue 13: the production example costs at most $15 a month, monitoring lines excluded', async () => {
    const { config: production } = await requireConfig('examples/production.config.ts', process.cwd(), {});
    const e = estimateCost(production);
    expect(e.endpoints).toBe(6);
    expect(e.totalExcludingMonitoringUsd).toBeLessThanOrEqual(15);
    // Every line counts: the figure is the sum of the non-monitoring lines, each priced above zero where billed.
    expect(e.totalExcludingMonitoringUsd).toBeCloseTo(e.lines.filter((l) => !l.monitoring).reduce((t, l) => t + l.usd, 0), 2);
  });

  it('includes the Workers Paid base and charges Durable Object requests only above the included million', () => {
    const e = estimateCost(config());
    expect(e.lines.find((l) => l.item === 'Workers Paid plan')!.usd).toBe(CLOUDFLARE_PRICES.workersPaidBase.usd);
    const doLine = e.lines.find((l) => l.item.startsWith('Durable Object requests'))!;
    expect(doLine.usd).toBeCloseTo(((doLine.quantity - 1_000_000) / 1e6) * CLOUDFLARE_PRICES.doRequests.usd, 3);
    expect(e.totalUsd).toBeCloseTo(e.awsUsd + e.cloudflareUsd, 2);
    expect(e.perEndpointUsd).toBeCloseTo(e.totalUsd / 2, 2);
  });

  it('grows with the probe rate and leaves out a provider with no vantage points or coordinator', () => {
    const slow = estimateCost(config({ probing: { intervalSeconds: 60 } }));
    const fast = estimateCost(config({ probing: { intervalSeconds: 5 } }));
    expect(fast.totalUsd).toBeGreaterThan(slow.totalUsd);
    const awsOnly = estimateCost(config({ vantagePoints: { aws: ['us-east-1', 'eu-west-1', 'ap-northeast-2'], cloudflare: [] } }));
    expect(awsOnly.cloudflareUsd).toBe(0);
    expect(awsOnly.lines.every((l) => l.provider === 'aws')).toBe(true);
  });

  it('documents every price with a source URL and the date it was read', () => {
    for (const p of [...Object.values(AWS_PRICES), ...Object.values(CLOUDFLARE_PRICES)]) {
      expect(p.source).toMatch(/^https:\/\//);
      expect(p.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });
});
