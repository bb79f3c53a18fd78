/**
 * The simulated world: faults compose the same whatever order they are listed in, and the ground
 * truth ("was the primary really failing?") is exactly when it failed probes.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '#core/simulate/run.ts';
import { scenarioSchema, type ScenarioInput } from '#core/simulate/scenario.ts';
import { ms, seededRandom, World } from '#core/simulate/world.ts';

const world = (faults: ScenarioInput['faults'], seed = 3) =>
  new World(scenarioSchema.parse({ name: 'w', durationSeconds: 100, faults }), seededRandom(seed));

describe('fault composition', () => {
  it('does not depend on the order faults are listed in: a slow primary under the limit does not hide a later outage', () => {
    const slowThenDown = world([{ kind: 'primary-slow', at: 0, latencyMs: 1500 }, { kind: 'primary-down', at: 0 }]);
    const downThenSlow = world([{ kind: 'primary-down', at: 0 }, { kind: 'primary-slow', at: 0, latencyMs: 1500 }]);
    expect(slowThenDown.answer('aws:us-east-1', 'primary', ms(10))).toEqual({ kind: 'silent' });
    expect(downThenSlow.answer('aws:us-east-1', 'primary', ms(10))).toEqual({ kind: 'silent' });
  });

  it('gives the same answers for every permutation of slow, flaky and flapping faults', () => {
    const faults: ScenarioInput['faults'] = [
      { kind: 'primary-slow', at: 0, latencyMs: 1500 },
      { kind: 'primary-flaky', at: 0, failureRate: 0.4 },
      { kind: 'primary-flapping', at: 0, downSeconds: 3, upSeconds: 7 },
    ];
    const answers = (list: ScenarioInput['faults']) => {
      const w = world(list);
      return Array.from({ length: 60 }, (_, i) => w.answer('aws:us-east-1', 'primary', ms(i * 1.3)));
    };
    const reference = answers(faults);
    for (const order of [[1, 0, 2], [2, 1, 0], [0, 2, 1], [2, 0, 1], [1, 2, 0]]) {
      expect(answers(order.map((i) => faults![i]!))).toEqual(reference);
    }
    // Slow stays slow when it answers: the latency is the slowest fault's, not the base latency.
    expect(reference.filter((a) => a.kind === 'response').every((a) => a.kind === 'response' && a.latencyMs >= 1500)).toBe(true);
  });

  it('applies secondary faults to the secondary only', () => {
    const w = world([{ kind: 'secondary-slow', at: 0, latencyMs: 4000 }, { kind: 'secondary-flaky', at: 0, failureRate: 1 }]);
    expect(w.answer('aws:us-east-1', 'secondary', ms(5))).toMatchObject({ kind: 'response', status: 503, latencyMs: 4000 });
    expect(w.answer('aws:us-east-1', 'primary', ms(5))).toMatchObject({ kind: 'response', status: 200 });
  });
});

describe('ground truth: real outage is exactly when the primary fails probes', () => {
  it('a flaky primary that never fails is no outage', () => {
    const w = world([{ kind: 'primary-flaky', at: 0, failureRate: 0 }]);
    for (let i = 0; i < 50; i++) w.answer('aws:us-east-1', 'primary', ms(i));
    expect(w.primaryReallyFailing(ms(50), 30_000)).toBe(false);
    expect(w.firstRealFaultAt()).toBeNull();
  });

  it('a flapping primary is failing only while down (plus the lookback)', () => {
    const w = world([{ kind: 'primary-flapping', at: 0, downSeconds: 10, upSeconds: 200 }]);
    for (let i = 0; i < 100; i++) w.answer('aws:us-east-1', 'primary', ms(i));
    expect(w.primaryReallyFailing(ms(15), 10_000)).toBe(true);
    expect(w.primaryReallyFailing(ms(90), 10_000)).toBe(false);
  });

  it('false failures seen by a vantage point are not real', () => {
    const w = world([{ kind: 'false-failures', at: 0, provider: 'aws' }]);
    expect(w.answer('aws:us-east-1', 'primary', ms(5))).toEqual({ kind: 'silent' });
    expect(w.primaryReallyFailing(ms(6), 60_000)).toBe(false);
  });
});

describe('the simulator counts false failovers', () => {
  it('a failover forced by every vantage point lying, with a flaky primary that never fails, is reported false', async () => {
    const report = await runScenario(scenarioSchema.parse({
      name: 'must-report-false', durationSeconds: 200,
      faults: [
        { kind: 'primary-flaky', at: 0, failureRate: 0 },
        { kind: 'false-failures', at: 30, provider: 'aws' },
        { kind: 'false-failures', at: 30, provider: 'cloudflare' },
      ],
      expect: { falseFailovers: 0 },
    }));
    expect(report.failovers).toBe(1);
    expect(report.falseFailovers).toBe(1);
    expect(report.passed).toBe(false);
    expect(report.failures).toContain('falseFailovers: expected 0, got 1');
  });

  it('times a decision from the start of a flaky fault', async () => {
    const report = await runScenario(scenarioSchema.parse({ name: 'flaky-all', durationSeconds: 200, faults: [{ kind: 'primary-flaky', at: 60, failureRate: 1 }] }));
    expect(report.failovers).toBe(1);
    expect(report.falseFailovers).toBe(0);
    expect(report.timeToDecisionSeconds).not.toBeNull();
    expect(report.timeToDecisionSeconds!).toBeLessThanOrEqual(40);
  });
});
