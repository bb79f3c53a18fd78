/**
 * The simulator runs the real vantage round (core/probe/vantage.ts), not a model of it: probe
 * deadlines, the rapid recheck and its cut to the interval, and signing all happen in the real
 * code, in virtual time. And a run is a pure function of its scenario.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '#core/simulate/run.ts';
import { scenarioSchema, type ScenarioInput } from '#core/simulate/scenario.ts';

/** One vantage point, one interval a minute, and a decision on the first unhealthy batch. */
function lone(name: string, fault: ScenarioInput['faults']): ReturnType<typeof scenarioSchema.parse> {
  return scenarioSchema.parse({
    name, durationSeconds: 400, intervalSeconds: 60, recheckDelayMs: 1000, maxLatencyMs: 2000, seed: 7,
    vantagePoints: { aws: ['us-east-1'], cloudflare: [] },
    policy: { failAfter: 1, minVotes: 1 },
    faults: fault,
  });
}

describe('the simulator runs the real vantage round', () => {
  it('times a decision by what the real probe does: a silent primary costs its timeouts, a slow one its latency', async () => {
    // Same seed, same phase: only the primary's failure differs. The real round takes
    // 5 s (timeout) + 1 s (recheck delay) + 5 s (recheck timeout) for a silent primary, and
    // 3 s + 1 s + 3 s for one answering in 3 s (over its 2 s limit): 4 s apart. The old hand
    // model went straight to the recheck (1 s + 5 s against 1 s + 3 s): 2 s apart.
    const down = await runScenario(lone('silent', [{ kind: 'primary-down', at: 120 }]));
    const slow = await runScenario(lone('slow', [{ kind: 'primary-slow', at: 120, latencyMs: 3000 }]));
    expect(down.failovers).toBe(1);
    expect(slow.failovers).toBe(1);
    const gap = down.timeToDecisionSeconds! - slow.timeToDecisionSeconds!;
    expect(gap).toBeGreaterThanOrEqual(3.7);
    expect(gap).toBeLessThanOrEqual(4.3);
  });

  it('abstains through the real control check: a vantage point cut off never votes the primary down', async () => {
    const report = await runScenario(lone('cut-off', [{ kind: 'vp-cutoff', at: 100, vantagePoints: ['aws:us-east-1'] }, { kind: 'primary-down', at: 120 }]));
    expect(report.failovers).toBe(0);
    expect(report.finalActive).toBe('primary');
  });

  it('is deterministic: the same scenario gives the same report, timeline included', async () => {
    const scenario = scenarioSchema.parse({ name: 'twice', durationSeconds: 300, faults: [{ kind: 'primary-flaky', at: 20, failureRate: 0.6 }, { kind: 'primary-down', at: 150 }] });
    const first = await runScenario(scenario);
    const second = await runScenario(scenario);
    expect(first.timeline.length).toBeGreaterThan(2);
    expect(second).toEqual(first);
  });
});
