import { describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import { dataPlaneCost, ROUTE53_CALCULATED_CHECK_USD } from '#core/cost/data-plane.ts';
import { ROUTE53_EQUIVALENT_CHECK_USD } from '#core/cost/prices.ts';
import { testConfigInput } from '../support/coordinators.ts';

describe('data-plane cost', () => {
  const input = testConfigInput();
  const dp = (mode?: 'data-plane') => loadConfig({ ...input, services: input.services.map((s) => ({ ...s, ...(mode ? { mode } : {}), dns: [{ provider: 'route53', hostedZoneId: 'Z0123456789ABC' }] })) });

  it('per service: two string-match checks and one calculated check; the checkers\' load on each coordinator', () => {
    const c = dataPlaneCost(dp('data-plane'));
    expect(c).toMatchObject({ services: 1, endpointChecks: 2, calculatedChecks: 1 });
    expect(c.healthChecksUsd).toBeCloseTo(2 * ROUTE53_EQUIVALENT_CHECK_USD + ROUTE53_CALCULATED_CHECK_USD, 2);
    expect(c.healthChecksUsd).toBeCloseTo(14, 2);
    // 16 checkers every 10 s: 1.6 requests/s, about 4.1 million a month, on each coordinator.
    expect(c.requestsPerSecondPerCoordinator).toBeCloseTo(1.6, 5);
    expect(c.requestsPerMonthPerCoordinator).toBe(4_147_200);
    expect(c.totalUsd).toBeGreaterThan(c.healthChecksUsd);
  });

  it('memory: per coordinator a custom metric, an alarm and a CLOUDWATCH_METRIC check; EMF lines, not PutMetricData', () => {
    const c = dataPlaneCost(dp('data-plane'));
    expect(c.memory).toMatchObject({ metrics: 2, alarms: 2, alarmChecks: 2, emfLinesPerMonth: 86_400 });
    // $0.30 a metric, $0.10 an alarm, $0.50 a check on an alarm (an AWS endpoint's basic check).
    expect(c.memory.metricsUsd).toBeCloseTo(0.6, 2);
    expect(c.memory.alarmsUsd).toBeCloseTo(0.2, 2);
    expect(c.memory.alarmChecksUsd).toBeCloseTo(1.0, 2);
    // ~86,400 lines of ~300 bytes: about 26 MB of logs, about a cent.
    expect(c.memory.emfIngestionUsd).toBeGreaterThan(0);
    expect(c.memory.emfIngestionUsd).toBeLessThan(0.05);
    // PutMetricData instead: one call a tick (43,200 a month at $0.01 per 1,000), and IAM and a call in the tick.
    expect(c.memory.putMetricDataAlternativeUsd).toBeCloseTo(0.43, 2);
    expect(c.memory.usd).toBeCloseTo(c.memory.metricsUsd + c.memory.alarmsUsd + c.memory.alarmChecksUsd + c.memory.emfIngestionUsd, 2);
    expect(c.totalUsd).toBeCloseTo(c.healthChecksUsd + c.awsRequestsUsd + c.cloudflareRequestsUsd + c.memory.usd, 2);
    // The alarm path's delay on top of the tick, stated with the figures.
    expect(c.memory.delaySeconds).toEqual({ min: 60, max: 180 });
  });

  it('nothing for control-plane services', () => {
    expect(dataPlaneCost(dp())).toMatchObject({ services: 0, endpointChecks: 0, totalUsd: 0, memory: { metrics: 0, alarms: 0, usd: 0, putMetricDataAlternativeUsd: 0 } });
  });
});
