import { describe, expect, it } from 'vitest';
import { evaluate, type EvaluateOutput } from '#core/engine/decide.ts';
import { initialServiceState, type ServiceState } from '#core/engine/state.ts';
import type { Observation, OverrideCommand } from '#core/model.ts';
import { obs, policy, round, SERVICE, step, VPS } from './helpers.ts';

const P = policy();
const T0 = 1_700_000_000_000;

/** Feeds one round per interval, DNS writes succeeding; returns every output. */
function run(rounds: Observation[][], p = P, start: ServiceState = initialServiceState(SERVICE), firstRound = 0): EvaluateOutput[] {
  let state = start;
  return rounds.map((observations, i) => {
    const out = step({ state, observations, overrides: [], now: T0 + (firstRound + i) * p.intervalMs, policy: p });
    state = out.state;
    return out;
  });
}

const at = (i: number) => T0 + i * P.intervalMs;

describe('evaluate: failing over', () => {
  it('does nothing on first start until enough fresh votes exist', () => {
    const out = evaluate({ state: initialServiceState(SERVICE), observations: [obs('aws:us-east-1', 'primary', 'unhealthy', T0), obs('aws:eu-west-1', 'primary', 'unhealthy', T0)], overrides: [], now: T0, policy: P });
    expect(out.decision).toBeNull();
    expect(out.actions.filter((a) => a.type === 'dns')).toHaveLength(0);
  });

  it('fails over after failAfter evaluations one interval apart, with evidence', () => {
    const outs = run([round(at(0), 'unhealthy'), round(at(1), 'unhealthy')]);
    expect(outs[0]!.decision).toBeNull();
    const d = outs[1]!.decision!;
    expect(d).toMatchObject({ from: 'primary', to: 'secondary', epoch: 1, cause: 'primary-unhealthy' });
    expect(d.evidence.tally.primary).toMatchObject({ unhealthy: 6, fresh: 6 });
    expect(d.evidence.votes.filter((v) => v.target === 'primary').every((v) => v.verdict === 'unhealthy')).toBe(true);
    expect(outs[1]!.actions.filter((a) => a.type === 'dns')).toEqual([{ type: 'dns', decision: d, epoch: 1, attempt: 1 }]);
    // Saved pending (with the attempt counted) before DNS is touched; cleared once DNS confirmed.
    const raw = evaluate({ state: outs[0]!.state, observations: round(at(1), 'unhealthy'), overrides: [], now: at(1), policy: P });
    expect(raw.state.pendingFlip).toMatchObject({ to: 'secondary', epoch: 1, attempts: 1, lastAttemptAt: at(1), applied: false });
    expect(outs[1]!.state.pendingFlip).toBeNull();
    // The failover notice comes from the outcome this coordinator won, with the decision's epoch.
    expect(outs[1]!.actions.filter((a) => a.type === 'notify')).toMatchObject([{ event: 'failover', key: `${SERVICE}#1#failover`, text: d.summary }]);
  });

  it('resets the streak when one evaluation does not agree', () => {
    const outs = run([round(at(0), 'unhealthy'), round(at(1), 'healthy'), round(at(2), 'unhealthy')]);
    expect(outs.every((o) => o.decision === null)).toBe(true);
  });

  it('needs more than 2/3 of fresh votes: 4 of 6 unhealthy is not enough', () => {
    const split = ['unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy', 'healthy'] as const;
    const outs = run(Array.from({ length: 6 }, (_, i) => round(at(i), [...split])));
    expect(outs.every((o) => o.decision === null)).toBe(true);
  });

  it('fails over on 6 of 7 when every provider agrees (aws 3 of 4, cloudflare 3 of 3)', () => {
    const vps = [...VPS, 'aws:sa-east-1' as const];
    const split = ['unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy'] as const;
    const outs = run([round(at(0), [...split], 'healthy', vps), round(at(1), [...split], 'healthy', vps)]);
    expect(outs[1]!.decision?.to).toBe('secondary');
  });

  it('5 of 6 is not enough when one provider splits (cloudflare 2 of 3 is not > 2/3): it vetoes, and says so once', () => {
    const split = ['unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy'] as const;
    const outs = run(Array.from({ length: 4 }, (_, i) => round(at(i), [...split])));
    expect(outs.every((o) => o.decision === null)).toBe(true);
    const holds = outs.flatMap((o) => o.actions).filter((a) => a.type === 'notify' && a.event === 'hold');
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({ hold: 'providers-disagree', key: `${SERVICE}#0#hold#providers-disagree` });
    expect(outs[3]!.state.hold?.reason).toBe('providers-disagree');
  });

  it('ignores abstaining and stale votes', () => {
    // Three VPs abstain; the other three see the primary down: 3 of 3 fresh votes, minVotes 3.
    const verdicts = ['unhealthy', 'unhealthy', 'unhealthy', 'abstain', 'abstain', 'abstain'] as const;
    const outs = run([round(at(0), [...verdicts]), round(at(1), [...verdicts])]);
    expect(outs[1]!.decision?.evidence.tally.primary).toMatchObject({ unhealthy: 3, abstain: 3, fresh: 3 });
    // Only two fresh unhealthy votes (others stale): below minVotes.
    const stale = run([round(at(0), 'healthy'), [...round(at(4), 'unhealthy', 'healthy', VPS.slice(0, 2))], [...round(at(5), 'unhealthy', 'healthy', VPS.slice(0, 2))]]);
    expect(stale.every((o) => o.decision === null)).toBe(true);
  });

  it('never fails over onto an unhealthy secondary, and alerts once', () => {
    const outs = run([round(at(0), 'unhealthy', 'unhealthy'), round(at(1), 'unhealthy', 'unhealthy'), round(at(2), 'unhealthy', 'unhealthy')]);
    expect(outs.every((o) => o.decision === null)).toBe(true);
    const holds = outs.flatMap((o) => o.actions).filter((a) => a.type === 'notify' && a.event === 'hold');
    expect(holds).toHaveLength(1);
    expect(outs[2]!.state.hold?.reason).toBe('secondary-unhealthy');
  });

  it('holds a second failover within minDwell', () => {
    const p = policy({ failback: 'auto', recoverAfterSeconds: 20, minDwellSeconds: 300 });
    const outs = run([
      round(at(0), 'unhealthy'), round(at(1), 'unhealthy'), // failover at 1
      round(at(2), 'healthy'), round(at(3), 'healthy'), round(at(4), 'healthy'), round(at(5), 'healthy'), // failback at 4 or 5
      round(at(6), 'unhealthy'), round(at(7), 'unhealthy'), round(at(8), 'unhealthy'),
    ], p);
    const decisions = outs.map((o) => o.decision?.to ?? null);
    expect(decisions.filter((d) => d === 'secondary')).toHaveLength(1);
    expect(decisions.filter((d) => d === 'primary')).toHaveLength(1);
    expect(outs[8]!.state.hold?.reason).toBe('min-dwell');
  });
});

describe('evaluate: failing back', () => {
  const onSecondary = () => run([round(at(0), 'unhealthy'), round(at(1), 'unhealthy')]).at(-1)!.state;

  it('stays on the secondary under manual failback', () => {
    const start = onSecondary();
    const outs = run(Array.from({ length: 100 }, (_, i) => round(at(i + 2), 'healthy')), P, start, 2);
    expect(outs.every((o) => o.decision === null)).toBe(true);
  });

  it('fails back under auto only after recoverAfter of quorum health', () => {
    const p = policy({ failback: 'auto', recoverAfterSeconds: 60 });
    const start = onSecondary();
    const outs = run(Array.from({ length: 10 }, (_, i) => round(at(i + 2), 'healthy')), p, start, 2);
    const first = outs.findIndex((o) => o.decision !== null);
    expect(first).toBe(6); // streak starts at index 0; 60 s = 6 intervals later
    expect(outs[first]!.decision).toMatchObject({ to: 'primary', cause: 'primary-recovered', epoch: 2 });
  });

  it('returns to a healthy primary at once when the secondary dies, even under manual', () => {
    const start = onSecondary();
    const outs = run([round(at(2), 'healthy', 'unhealthy'), round(at(3), 'healthy', 'unhealthy')], P, start, 2);
    expect(outs[1]!.decision).toMatchObject({ to: 'primary', cause: 'secondary-unhealthy' });
  });

  it('stays put when both are down (fails static) and raises one alert', () => {
    const start = onSecondary();
    const outs = run([round(at(2), 'unhealthy', 'unhealthy'), round(at(3), 'unhealthy', 'unhealthy')], P, start, 2);
    expect(outs.every((o) => o.decision === null)).toBe(true);
    expect(outs[0]!.state.hold?.reason).toBe('both-unhealthy');
  });
});

describe('evaluate: overrides', () => {
  const cmd = (action: OverrideCommand['action'], atMs: number, until?: number): OverrideCommand => ({ service: SERVICE, action, reason: 'maintenance', by: 'ops-alice', at: atMs, ...(until ? { until } : {}) });

  it('force-secondary flips at once and freezes automation until it expires', () => {
    const first = evaluate({ state: initialServiceState(SERVICE), observations: round(at(0), 'healthy'), overrides: [cmd('force-secondary', at(0), at(3))], now: at(0), policy: P });
    expect(first.decision).toMatchObject({ to: 'secondary', cause: 'override', override: { by: 'ops-alice' } });
    expect(first.actions.filter((a) => a.type === 'audit').map((a) => a.type === 'audit' && a.entry.kind)).toEqual(['override', 'decision']);
    // While forced, a healthy primary does not bring it back (even under auto failback).
    const during = evaluate({ state: first.state, observations: round(at(1), 'healthy'), overrides: [], now: at(1), policy: policy({ failback: 'auto', recoverAfterSeconds: 0 }) });
    expect(during.decision).toBeNull();
    const after = evaluate({ state: during.state, observations: [], overrides: [], now: at(3), policy: P });
    expect(after.state.override).toBeNull();
    expect(after.actions.some((a) => a.type === 'audit' && a.entry.kind === 'override-expired')).toBe(true);
  });

  it('freeze blocks an automatic failover; auto hands control back', () => {
    let state = evaluate({ state: initialServiceState(SERVICE), observations: [], overrides: [cmd('freeze', at(0))], now: at(0), policy: P }).state;
    for (let i = 1; i <= 4; i++) {
      const out = evaluate({ state, observations: round(at(i), 'unhealthy'), overrides: [], now: at(i), policy: P });
      expect(out.decision).toBeNull();
      state = out.state;
    }
    state = evaluate({ state, observations: [], overrides: [cmd('auto', at(5))], now: at(5), policy: P }).state;
    const outs = run([round(at(6), 'unhealthy'), round(at(7), 'unhealthy')], P, state, 6);
    expect(outs.some((o) => o.decision?.to === 'secondary')).toBe(true);
  });

  it('ignores an override whose expiry has already passed', () => {
    const out = evaluate({ state: initialServiceState(SERVICE), observations: [], overrides: [cmd('force-secondary', at(0), at(0) - 1)], now: at(0), policy: P });
    expect(out.decision).toBeNull();
    expect(out.state.override).toBeNull();
  });
});
