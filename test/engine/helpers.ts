/** Builders for engine tests: a policy, observations, and a loop of evaluations. */
import { resolvePolicy, type Policy, type PolicyConfig } from '#core/engine/policy.ts';
import type { Observation, TargetRole, Verdict, VantagePoint } from '#core/model.ts';
import type { Action, FlipOutcome } from '#core/engine/actions.ts';
import { evaluate, type EvaluateInput, type EvaluateOutput } from '#core/engine/decide.ts';

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

/** How DNS answers a `dns` action in engine tests: written by us (default), failing, or by the peer. */
export type DnsBehaviour = 'applied' | 'failed' | 'doneByPeer';

/** The outcome the coordinator would report for one `dns` action. */
export function outcomeOf(action: Action, at: number, behaviour: DnsBehaviour = 'applied'): FlipOutcome {
  if (action.type !== 'dns') throw new Error('not a dns action');
  const { to } = action.decision;
  const dns = { active: to, epoch: action.epoch };
  const provider = behaviour === 'failed'
    ? { provider: 'memory', zone: 'example.com', outcome: 'failed' as const, dns: null, error: 'DNS API 503' }
    : { provider: 'memory', zone: 'example.com', outcome: behaviour === 'applied' ? 'applied' as const : 'unchanged' as const, dns };
  return { epoch: action.epoch, to, at, providers: [provider] };
}

/**
 * One evaluation as the coordinator runs it: evaluate, carry out the `dns` action, and report
 * its outcome in a second evaluation at the same instant. Returns both evaluations' actions.
 */
export function step(input: EvaluateInput, behaviour: DnsBehaviour = 'applied'): EvaluateOutput {
  const first = evaluate(input);
  const dns = first.actions.filter((a) => a.type === 'dns');
  if (dns.length === 0) return first;
  const second = evaluate({ ...input, state: first.state, observations: [], overrides: [], flipOutcomes: dns.map((a) => outcomeOf(a, input.now, behaviour)) });
  return { state: second.state, actions: [...first.actions, ...second.actions], decision: first.decision ?? second.decision };
}
