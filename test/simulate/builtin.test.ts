/**
 * Every built-in scenario passes with zero false failovers. One test per scenario (so one slow
 * scenario cannot time the whole list out); the short ones also under a second seed. The 20-seed
 * sweep is `npm run bench` (bench/simulate.ts).
 */
import { describe, expect, it } from 'vitest';
import { builtinScenarios } from '#core/simulate/builtin.ts';
import { runScenario } from '#core/simulate/run.ts';

const SHORT_SECONDS = 700;

describe('built-in scenarios', () => {
  const scenarios = builtinScenarios();

  it('cover every property of docs/design.md', () => {
    expect(new Set(scenarios.map((s) => s.property).filter(Boolean))).toEqual(new Set(['1', '2', '3', '4', '5', '6', '7', '8']));
  });

  for (const scenario of scenarios) {
    const seeds = scenario.durationSeconds <= SHORT_SECONDS ? [scenario.seed, scenario.seed + 1] : [scenario.seed];
    it(`${scenario.name} (seeds ${seeds.join(', ')})`, async () => {
      for (const seed of seeds) {
        const report = await runScenario({ ...scenario, seed });
        expect(report.failures, `seed ${seed}`).toEqual([]);
        expect(report.falseFailovers).toBe(0);
      }
    }, 60_000);
  }
});
