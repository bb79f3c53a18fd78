/**
 * What the runtimes read from an already-validated config. No schema here (and no zod): the
 * deployed bundles carry the config checked at build time (core/config/validate.ts).
 */
import type { LifeboatConfig, ServiceConfig } from './schema.ts';
import { resolvePolicy, type Policy } from '../engine/policy.ts';
import type { VantagePoint } from '../model.ts';

/** Every vantage point the config declares, in a stable order. */
export function vantagePointsOf(config: LifeboatConfig): VantagePoint[] {
  return [
    ...config.vantagePoints.aws.map((r) => `aws:${r}` as const),
    ...config.vantagePoints.cloudflare.map((h) => `cloudflare:${h}` as const),
  ];
}

/** The resolved policy of one service: service fields over global fields over defaults. */
export function policyFor(config: LifeboatConfig, service: ServiceConfig): Policy {
  return resolvePolicy({ ...config.policy, ...service.policy }, config.probing.intervalSeconds);
}
