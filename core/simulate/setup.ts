/**
 * The simulator's deployment: one service, two coordinators, one probe key per provider (each
 * vantage point signs with its provider's key, as deployed) and an operator key.
 */
import type { LifeboatConfigInput } from '../config/schema.ts';
import type { Provider, VantagePoint } from '../model.ts';
import { ms } from './world.ts';
import type { Scenario } from './scenario.ts';

export const SERVICE = 'app.example.com';
export const COORDINATORS = ['aws', 'cloudflare'] as const;
export type CoordinatorName = (typeof COORDINATORS)[number];
export const TARGETS = { primary: 'https://primary.example.net', secondary: 'https://secondary.example.net' } as const;
export const COORDINATOR_URLS: Readonly<Record<CoordinatorName, string>> = { aws: 'https://aws.coordinator.example', cloudflare: 'https://cloudflare.coordinator.example' };
export const PROBE_KEYS: Readonly<Record<CoordinatorName, string>> = { aws: 'sim-probe-aws', cloudflare: 'sim-probe-cloudflare' };
export const OPERATOR_KEY = 'sim-operator';

/** One probe key per provider, bound to that provider's vantage points (docs/trust.md). */
function probeKey(provider: Provider): Record<string, unknown> {
  return { id: PROBE_KEYS[provider as CoordinatorName], scope: 'probe', speaksFor: [provider] };
}

export function vantagePointsOf(s: Scenario): VantagePoint[] {
  return [...s.vantagePoints.aws.map((r) => `aws:${r}` as const), ...s.vantagePoints.cloudflare.map((h) => `cloudflare:${h}` as const)];
}

export function simConfig(s: Scenario): LifeboatConfigInput {
  const maintenance = s.faults.flatMap((f) => (f.kind === 'maintenance'
    ? [{ start: new Date(ms(f.at)).toISOString(), end: new Date(ms(f.until)).toISOString(), reason: 'simulated maintenance' }]
    : []));
  return {
    services: [{
      name: SERVICE,
      primary: { url: TARGETS.primary, a: ['203.0.113.10'] },
      secondary: { url: TARGETS.secondary, a: ['198.51.100.20'] },
      healthCheck: { type: 'http', path: '/healthz', maxLatencyMs: s.maxLatencyMs },
      dns: [{ provider: 'embedded', ttl: 5 }],
      policy: s.policy,
    }],
    vantagePoints: { aws: s.vantagePoints.aws, cloudflare: s.vantagePoints.cloudflare },
    probing: { intervalSeconds: s.intervalSeconds, recheckDelayMs: s.recheckDelayMs, controlUrls: ['https://control.example.org/'] },
    coordinators: { aws: { url: COORDINATOR_URLS.aws }, cloudflare: { url: COORDINATOR_URLS.cloudflare } },
    keys: [probeKey('aws'), probeKey('cloudflare'), { id: OPERATOR_KEY, scope: 'operator' }] as LifeboatConfigInput['keys'],
    ...(maintenance.length ? { maintenance } : {}),
  };
}
