/**
 * `--seeds N` runs several seeds side by side: the reports must be exactly those of running them
 * one after another, in seed order, and the worst must be chosen as `worse` orders runs.
 */
import { describe, expect, it } from 'vitest';
import { builtinScenarios } from '#core/simulate/builtin.ts';
import { runScenario } from '#core/simulate/run.ts';
import { runSeeds, worstOf } from '#core/simulate/seeds.ts';
import { InputError } from '#core/errors.ts';

const scenario = builtinScenarios().find((s) => s.name === 'coordinator-dies-while-writing-dns')!;

describe('runSeeds', () => {
  it('gives, run side by side, the reports of running each seed alone, in seed order', async () => {
    const together = await runSeeds(scenario, 3, 3);
    const alone = [];
    for (let i = 0; i < 3; i++) alone.push(await runScenario({ ...scenario, seed: scenario.seed + i }));
    expect(together.map((r) => r.seed)).toEqual([scenario.seed, scenario.seed + 1, scenario.seed + 2]);
    expect(together).toEqual(alone);
  }, 60_000);

  it('runs every seed exactly once when there are more seeds than slots', async () => {
    const reports = await runSeeds(scenario, 5, 2);
    expect(new Set(reports.map((r) => r.seed)).size).toBe(5);
  }, 60_000);
});

describe('worstOf', () => {
  it('prefers a failure, then more false failovers, then the slower decision', async () => {
    const base = await runScenario(scenario);
    const slow = { ...base, seed: 2, timeToDecisionSeconds: (base.timeToDecisionSeconds ?? 0) + 5 };
    const lying = { ...base, seed: 3, falseFailovers: 1 };
    const failed = { ...base, seed: 4, passed: false, failures: ['x'] };
    expect(worstOf([base, slow]).seed).toBe(2);
    expect(worstOf([slow, lying, base]).seed).toBe(3);
    expect(worstOf([lying, failed, slow]).seed).toBe(4);
    expect(() => worstOf([])).toThrow(InputError);
  }, 60_000);
});
