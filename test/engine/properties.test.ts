/**
 * Property tests (fast-check) of the decision engine:
 *  (a) deterministic under reordering of observations;
 *  (b) no failover while more than 1/3 of fresh primary votes are healthy;
 *  (c) two engines fed the same observations never decide differently;
 *  (d) one provider cannot move DNS while the other has its minimum of fresh honest votes;
 *  (e) a provider fully silent does not block the other from failing over a dead primary.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluate } from '#core/engine/decide.ts';
import { initialServiceState, type ServiceState } from '#core/engine/state.ts';
import type { Observation, Verdict, VantagePoint } from '#core/model.ts';
import { judge, MAX_OBSERVATION_SKEW_MS } from '#core/engine/votes.ts';
import type { Evidence } from '#core/engine/evidence.ts';
import type { VoteBook, VoteEntry } from '#core/engine/state.ts';

/** The vote book behind a decision's evidence. */
function bookOf(evidence: Evidence): VoteBook {
  const entries = new Map<string, VoteEntry>();
  for (const v of evidence.votes) {
    const e = entries.get(v.vantagePoint) ?? { vantagePoint: v.vantagePoint, primary: null, secondary: null };
    entries.set(v.vantagePoint, { ...e, [v.target]: { verdict: v.verdict, observedAt: v.observedAt, receivedAt: v.receivedAt, failure: v.failure ?? null, latencyMs: null, ranIn: null } });
  }
  return [...entries.values()].sort((a, b) => (a.vantagePoint < b.vantagePoint ? -1 : 1));
}
import { obs, policy, SERVICE, step, VPS } from './helpers.ts';

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
  return rounds.map((observations, i) => {
    const out = step({ state, observations: order(shiftStep(observations, i, p.intervalMs), i), overrides: [], now: T0 + i * p.intervalMs, policy: p });
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
        const out = step({ state, observations, overrides: [], now, policy: p });
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
          // Judged as the engine must: across providers (one provider alone cannot make it unhealthy).
          expect(judge(bookOf(out.decision.evidence), 'secondary', out.decision.at, p).unhealthy).toBe(false);
          expect(judge(bookOf(out.decision.evidence), 'primary', out.decision.at, p).unhealthy).toBe(true);
        }
      }
    }), { numRuns: 300 });
  });
});

const vpsOf = (provider: 'aws' | 'cloudflare', n: number): VantagePoint[] => Array.from({ length: n }, (_, i) => `${provider}:r${i}` as VantagePoint);

/** A state that has been observing for one interval, every VP healthy (past cold start). */
function warmState(vps: readonly VantagePoint[], p: ReturnType<typeof policy>): ServiceState {
  const t = T0 - p.intervalMs;
  return evaluate({ state: initialServiceState(SERVICE), observations: vps.flatMap((vp) => [obs(vp, 'primary', 'healthy', t), obs(vp, 'secondary', 'healthy', t)]), overrides: [], now: t, policy: p }).state;
}

/** What one lying VP does in one round: vote anything with any in-range observedAt, or stay silent. */
const liarMove = fc.option(fc.record({
  primary: verdict, secondary: verdict,
  observedOffset: fc.integer({ min: -30_000, max: MAX_OBSERVATION_SKEW_MS }),
}), { nil: null });

describe('engine properties: quorum across providers', () => {
  const counts = fc.record({ aws: fc.integer({ min: 1, max: 12 }), cloudflare: fc.integer({ min: 1, max: 12 }) });

  it('(d) one provider lying, silent or replaying cannot change DNS while the other has its minimum of fresh honest votes', () => {
    const scenario = counts.chain((c) => fc.record({
      c: fc.constant(c),
      liar: fc.constantFrom('aws' as const, 'cloudflare' as const),
      p: policies,
      rounds: fc.array(fc.array(liarMove, { minLength: 12, maxLength: 12 }), { minLength: 1, maxLength: 15 }),
    }));
    fc.assert(fc.property(scenario, ({ c, liar, p, rounds }) => {
      const honest = liar === 'aws' ? 'cloudflare' : 'aws';
      fc.pre(c[honest] >= p.providerMinVotes); // the precondition, stated
      const liars = vpsOf(liar, c[liar]);
      const honests = vpsOf(honest, c[honest]);
      let state = warmState([...liars, ...honests], p);
      rounds.forEach((moves, i) => {
        const now = T0 + i * p.intervalMs;
        const observations: Observation[] = honests.flatMap((vp) => [obs(vp, 'primary', 'healthy', now), obs(vp, 'secondary', 'healthy', now)]);
        liars.forEach((vp, j) => {
          const m = moves[j % moves.length];
          if (!m) return; // silent (its old votes may linger: a replay of itself)
          observations.push(obs(vp, 'primary', m.primary, now + m.observedOffset, now), obs(vp, 'secondary', m.secondary, now + m.observedOffset, now));
        });
        const out = step({ state, observations, overrides: [], now, policy: p });
        expect(out.actions.filter((a) => a.type === 'dns')).toEqual([]);
        expect(out.state.active).toBe('primary');
        state = out.state;
      });
    }), { numRuns: 300 });
  });

  it('(e) one provider fully silent while the primary is down: the other fails over when it has minVotes', () => {
    fc.assert(fc.property(counts, fc.constantFrom('aws' as const, 'cloudflare' as const), policies, (c, silent, p) => {
      const speaking = silent === 'aws' ? 'cloudflare' : 'aws';
      fc.pre(c[speaking] >= p.minVotes);
      const vps = vpsOf(speaking, c[speaking]);
      // The silent provider voted healthy once, long ago: stale by now.
      let state = warmState([...vpsOf(silent, c[silent]), ...vps], p);
      state = evaluate({ state, observations: vps.flatMap((vp) => [obs(vp, 'primary', 'healthy', T0), obs(vp, 'secondary', 'healthy', T0)]), overrides: [], now: T0, policy: p }).state;
      let decided = false;
      for (let i = 1; i <= p.failAfter + p.freshForMs / p.intervalMs + 1 && !decided; i++) {
        const now = T0 + i * p.intervalMs;
        const out = step({ state, observations: vps.flatMap((vp) => [obs(vp, 'primary', 'unhealthy', now), obs(vp, 'secondary', 'healthy', now)]), overrides: [], now, policy: p });
        decided = out.actions.some((a) => a.type === 'dns' && a.decision.to === 'secondary');
        state = out.state;
      }
      expect(decided).toBe(true);
      expect(state.active).toBe('secondary');
    }), { numRuns: 200 });
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
