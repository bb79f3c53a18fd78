/**
 * Benchmark: every built-in scenario under many seeds (`lifeboat simulate --seeds N` in-process):
 * per scenario the worst run (a failure, then false failovers, then the slowest decision), the
 * total false failovers, and the wall time. CI runs a few seeds (test/simulate/builtin.test.ts);
 * this is the full sweep recorded in docs/benchmarks.md.
 */
import { builtinScenarios } from '#core/simulate/builtin.ts';
import type { ScenarioReport } from '#core/simulate/expect.ts';
import { runSeeds, worstOf } from '#core/simulate/seeds.ts';

export interface SimulateBenchResult {
  readonly seeds: number;
  readonly scenarios: number;
  readonly passed: number;
  readonly falseFailovers: number;
  readonly wallSeconds: number;
  readonly worst: readonly ScenarioReport[];
}

export async function benchSimulate(seeds: number, log: (line: string) => void): Promise<SimulateBenchResult> {
  const started = performance.now();
  const worst: ScenarioReport[] = [];
  let falseFailovers = 0;
  for (const s of builtinScenarios()) {
    const t0 = performance.now();
    const runs = await runSeeds(s, seeds);
    for (const run of runs) falseFailovers += run.falseFailovers;
    const report = worstOf(runs);
    worst.push(report);
    const secs = (x: number | null) => (x === null ? '-' : `${x} s`);
    log(`  ${report.passed ? 'pass' : 'FAIL'} ${s.name.padEnd(38)} worst seed ${String(report.seed).padEnd(4)} decision ${secs(report.timeToDecisionSeconds).padEnd(8)} dns ${secs(report.timeToDnsSeconds).padEnd(8)} ${((performance.now() - t0) / 1000).toFixed(1)} s${report.passed ? '' : `  ${report.failures.join('; ')}`}`);
  }
  return {
    seeds, scenarios: worst.length, passed: worst.filter((r) => r.passed).length, falseFailovers,
    wallSeconds: Math.round((performance.now() - started) / 100) / 10, worst,
  };
}
