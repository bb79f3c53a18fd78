/** Builders for engine tests: a policy, observations, and a loop of evaluations. */
import { resolvePolicy, type Policy, type PolicyConfig } from '#core/engine/policy.ts';
import type { Observation, TargetRole, Verdict, VantagePoint } from '#core/model.ts';

export const SERVICE = 'app.example.com';
export const VPS: VantagePoint[] = ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2', 'cloudflare:wnam', 'cloudflare:weur', 'cloudflare:apac'];

export function policy(overrides: Partial<PolicyConfig> = {}, intervalSeconds = 10): Policy {
  return resolvePolicy(overrides, intervalSeconds);
}

export function obs(vp: VantagePoint, target: TargetRole, verdict: Verdict, at: number, receivedAt = at): Observation {
  return { service: SERVICE, target, vantagePoint: vp, verdict, observedAt: at, receivedAt, ...(verdict === 'unhealthy' ? { failure: 'timeout' as const } : {}) };
}

/** One round from every VP: the primary with `primary[i]`, the secondary healthy. */
export function round(at: number, primary: Verdict[] | Verdict, secondary: Verdict = 'healthy', vps = VPS): Observation[] {
  return vps.flatMap((vp, i) => [
    obs(vp, 'primary', Array.isArray(primary) ? primary[i]! : primary, at),
    obs(vp, 'secondary', secondary, at),
  ]);
}
