import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinScenarios } from '#core/simulate/builtin.ts';
import type { ScenarioReport } from '#core/simulate/run.ts';
import { runSeeds, worstOf } from '#core/simulate/seeds.ts';
import { scenarioSchema, type Scenario } from '#core/simulate/scenario.ts';
import { formatPath } from '#core/config/validate.ts';
import { EXIT, UsageError, type Command } from '../io.ts';

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'Replay fault scenarios against the real decision code in virtual time',
  help: `Usage: lifeboat simulate [scenario.json ...] [--only name] [--seeds N] [--verbose] [--json] [--list]

Runs scenarios in virtual time through the real engine, signing, HTTP API and two coordinators
(aws and cloudflare) sharing one DNS zone, and prints per scenario: failovers, false failovers,
failbacks, and the time from fault to decision and to DNS. With no file, runs the built-in
scenarios (the seven properties of docs/design.md and more). A file holds one scenario or an
array of them; the format is in docs/simulate.md.

  --only name   run only scenarios whose name contains this text
  --seeds N     run each scenario under N seeds (its own, then the next N-1) and report the
                worst run: a failed one, else the most false failovers, else the slowest
  --verbose     print each scenario's timeline
  --json        print a JSON array of {scenario, failovers, falseFailovers, failbacks,
                timeToDecisionSeconds, passed, ...}
  --list        list the scenarios and exit

Exit code: 0 when every scenario met its expectations, 1 when one did not, 2 on a bad file.`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { only: { type: 'string' }, seeds: { type: 'string', default: '1' }, verbose: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, list: { type: 'boolean', default: false } },
    });
    let scenarios = positionals.length ? positionals.flatMap((f) => readScenarios(resolve(io.cwd, f))) : builtinScenarios();
    if (values.only) scenarios = scenarios.filter((s) => s.name.includes(values.only!));
    if (scenarios.length === 0) throw new UsageError(`no scenario matches --only ${values.only}`);
    if (values.list) {
      for (const s of scenarios) io.out(`${s.name.padEnd(40)} ${s.property ? `[P${s.property}] ` : ''}${s.description}`);
      return EXIT.ok;
    }
    const seeds = Number(values.seeds);
    if (!Number.isInteger(seeds) || seeds < 1 || seeds > 1000) throw new UsageError(`--seeds must be an integer from 1 to 1000, got ${values.seeds}`);
    const reports: ScenarioReport[] = [];
    if (!values.json) io.out(header());
    for (const s of scenarios) {
      const report = worstOf(await runSeeds(s, seeds));
      reports.push(report);
      if (values.json) continue;
      io.out(row(report));
      if (values.verbose || !report.passed) {
        for (const f of report.failures) io.out(`      ✗ ${f}`);
        if (values.verbose) for (const e of report.timeline) io.out(`      ${e.t.toFixed(1).padStart(8)} s  ${e.what}`);
      }
    }
    const failed = reports.filter((r) => !r.passed);
    if (values.json) {
      io.out(JSON.stringify(reports.map(({ timeline: _timeline, ...rest }) => rest), null, 2));
    } else {
      io.out(`\n${reports.length - failed.length}/${reports.length} scenarios passed${seeds > 1 ? ` under ${seeds} seeds each (worst run shown)` : ''}; ${reports.reduce((n, r) => n + r.falseFailovers, 0)} false failovers.`);
    }
    return failed.length ? EXIT.failed : EXIT.ok;
  },
};

function readScenarios(path: string): Scenario[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`);
  }
  const list = Array.isArray(data) ? data : [data];
  return list.map((item, i) => {
    const parsed = scenarioSchema.safeParse(item);
    if (parsed.success) return parsed.data;
    const where = Array.isArray(data) ? `[${i}].` : '';
    throw new UsageError(`${path} is not a valid scenario:\n${parsed.error.issues.map((x) => `  ${where}${formatPath(x.path)}: ${x.message}`).join('\n')}`);
  });
}

const COLS = [['scenario', 38], ['prop', 5], ['result', 7], ['seed', 5], ['failovers', 10], ['false', 6], ['failbacks', 10], ['decision', 9], ['dns', 7]] as const;

function header(): string {
  return COLS.map(([name, w]) => name.padEnd(w)).join(' ');
}

function row(r: ScenarioReport): string {
  const secs = (x: number | null) => (x === null ? '-' : `${x}s`);
  const cells = [r.scenario, r.property ? `P${r.property}` : '', r.passed ? 'pass' : 'FAIL', r.seed, r.failovers, r.falseFailovers, r.failbacks, secs(r.timeToDecisionSeconds), secs(r.timeToDnsSeconds)];
  return cells.map((c, i) => String(c).padEnd(COLS[i]![1])).join(' ');
}
