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

  it('nothing for control-plane services', () => {
    expect(dataPlaneCost(dp())).toMatchObject({ services: 0, endpointChecks: 0, totalUsd: 0 });
  });
});
