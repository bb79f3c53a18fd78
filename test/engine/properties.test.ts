/**
 * Property tests (fast-check) of the decision engine:
 *  (a) deterministic under reordering of observations;
 *  (b) no failover while more than 1/3 of fresh primary votes are healthy;
 *  (c) two engines fed the same observations never decide differently.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluate } from '#core/engine/decide.ts';
import { initialServiceState, type ServiceState } from '#core/engine/state.ts';
import type { Observation, Verdict } from '#core/model.ts';
import { obs, policy, SERVICE, VPS } from './helpers.ts';

const T0 = 1_700_000_000_000;
const verdict = fc.constantFrom<Verdict>('healthy', 'unhealthy', 'abstain');
const observation = fc.record({
  vp: fc.constantFrom(...VPS),
  target: fc.constantFrom('primary' as const, 'secondary' as const),
  verdict,
  observedOffset: fc.integer({ min: -60_000, max: 60_000 }),
  receivedOffset: fc.integer({ min: -40_000, max: 0 }),
}).map((o) => obs(o.vp, o.target, o.verdict, T0 + o.observedOffset, T0 + o.receivedOffset));

const policies = fc.record({
  minVotes: fc.integer({ min: 1, max: 5 }),
  failAfter: fc.integer({ min: 1, max: 3 }),
  failback: fc.constantFrom('manual' as const, 'auto' as const),
  recoverAfterSeconds: fc.integer({ min: 0, max: 60 }),
  minDwellSeconds: fc.integer({ min: 0, max: 120 }),
}).map((p) => policy(p));

/** A run: steps of observations, each evaluated at T0 + i x interval. */
const steps = fc.array(fc.array(observation, { maxLength: 14 }), { minLength: 1, maxLength: 12 });

function shiftStep(step: Observation[], i: number, intervalMs: number): Observation[] {
  return step.map((o) => ({ ...o, observedAt: o.observedAt + i * intervalMs, receivedAt: o.receivedAt + i * intervalMs }));
}

function replay(rounds: Observation[][], p: ReturnType<typeof policy>, order: (xs: Observation[], i: number) => Observation[]) {
  let state: ServiceState = initialServiceState(SERVICE);
  return rounds.map((step, i) => {
    const out = evaluate({ state, observations: order(shiftStep(step, i, p.intervalMs), i), overrides: [], now: T0 + i * p.intervalMs, policy: p });
    state = out.state;
    return out;
  });
}

describe('engine properties', () => {
  it('(a) gives the same state and actions for any arrival order', () => {
    fc.assert(fc.property(steps, policies, fc.integer(), (rounds, p, seed) => {
      const straight = replay(rounds, p, (xs) => xs);
      const shuffled = replay(rounds, p, (xs, i) => shuffle(xs, seed + i));
      const reversed = replay(rounds, p, (xs) => [...xs].reverse());
      expect(shuffled).toEqual(straight);
      expect(reversed).toEqual(straight);
    }), { numRuns: 300 });
  });

  it('(b) never fails over while more than 1/3 of fresh primary votes are healthy', () => {
    // Each round: every VP votes; the number of healthy primary votes is kept above a third.
    const round = fc.integer({ min: 0, max: VPS.length }).chain((healthy) =>
      fc.tuple(fc.constant(healthy), fc.shuffledSubarray(VPS, { minLength: VPS.length, maxLength: VPS.length })));
    fc.assert(fc.property(fc.array(round, { minLength: 1, maxLength: 30 }), policies, (rounds, p) => {
      let state: ServiceState = initialServiceState(SERVICE);
      rounds.forEach(([healthyCount, order], i) => {
        const now = T0 + i * p.intervalMs;
        const healthy = Math.max(healthyCount, Math.floor(VPS.length / 3) + 1); // > 1/3 of 6 => at least 3
        const observations = order.flatMap((vp, j) => [
          obs(vp, 'primary', j < healthy ? 'healthy' : 'unhealthy', now),
          obs(vp, 'secondary', 'healthy', now),
        ]);
        const out = evaluate({ state, observations, overrides: [], now, policy: p });
        expect(out.decision?.cause).not.toBe('primary-unhealthy');
        state = out.state;
      });
    }), { numRuns: 300 });
  });

  it('(c) two engines fed the same observations never decide differently', () => {
    fc.assert(fc.property(steps, policies, fc.integer(), (rounds, p, seed) => {
      const a = replay(rounds, p, (xs) => xs).map((o) => o.decision);
      const b = replay(rounds, p, (xs, i) => shuffle(xs, seed * 31 + i)).map((o) => o.decision);
      expect(b).toEqual(a);
    }), { numRuns: 300 });
  });

  it('never emits a DNS action without a decision, nor a decision onto a quorum-unhealthy secondary', () => {
    fc.assert(fc.property(steps, policies, (rounds, p) => {
      for (const out of replay(rounds, p, (xs) => xs)) {
        const dns = out.actions.filter((a) => a.type === 'dns');
        expect(dns.length).toBe(out.decision ? 1 : 0);
        if (out.decision?.to === 'secondary' && out.decision.cause === 'primary-unhealthy') {
          const s = out.decision.evidence.tally.secondary;
          expect(s.unhealthy >= p.minVotes && s.unhealthy > p.quorumFraction * s.fresh).toBe(false);
        }
      }
    }), { numRuns: 300 });
  });
});

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
