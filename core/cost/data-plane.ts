/**
 * What Route 53 data-plane mode adds to the bill (docs/data-plane.md): per data-plane service,
 * one HTTPS string-match check per coordinator (10 s interval, a non-AWS endpoint as Route 53
 * prices it) and one calculated check; and the checkers' requests, which land on the coordinators.
 */
import type { LifeboatConfig } from '../config/schema.ts';
import { AWS_PRICES, CLOUDFLARE_PRICES, ROUTE53_EQUIVALENT_CHECK_USD, SECONDS_PER_MONTH } from './prices.ts';

/** Route 53's price of a calculated check: the basic (AWS endpoint) check price. */
export const ROUTE53_CALCULATED_CHECK_USD = 0.5;
/** Checkers sending requests to each endpoint check (Route 53 uses ~15+ locations by default). */
export const DEFAULT_CHECKERS = 16;
export const DATA_PLANE_INTERVAL_SECONDS = 10;

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
  return {
    services, endpointChecks, calculatedChecks, healthChecksUsd: r2(healthChecksUsd),
    requestsPerSecondPerCoordinator: perSecond, requestsPerMonthPerCoordinator: Math.round(perMonth),
    awsRequestsUsd: r2(awsRequestsUsd), cloudflareRequestsUsd: r2(cloudflareRequestsUsd),
    totalUsd: r2(healthChecksUsd + awsRequestsUsd + cloudflareRequestsUsd),
  };
}
