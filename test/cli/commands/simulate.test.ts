import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { BUILTIN_SCENARIOS } from '#core/simulate/builtin.ts';
import { fakeIo } from '../fake-io.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

describe('lifeboat simulate', () => {
  // Every built-in scenario passing (with a second seed for the short ones) is test/simulate/builtin.test.ts;
  // here the command's own output: every built-in is listed, and --json reports each run.
  it('lists every built-in scenario (--list)', async () => {
    const io = fakeIo(repo);
    expect(await main(['simulate', '--list'], io)).toBe(0);
    const lines = io.stdout.join('\n').split('\n').filter((l) => l.trim());
    expect(lines).toHaveLength(BUILTIN_SCENARIOS.length);
    for (const s of BUILTIN_SCENARIOS) expect(lines.some((l) => l.startsWith(`${s.name} `))).toBe(true);
  });

  it('reports a built-in scenario as JSON with zero false failovers (--json)', async () => {
    const io = fakeIo(repo);
    const code = await main(['simulate', '--json', '--only', 'primary-hard-down'], io);
    const reports = JSON.parse(io.stdout.join('\n')) as { scenario: string; passed: boolean; falseFailovers: number; failovers: number; timeToDecisionSeconds: number | null; failures: string[]; property?: string }[];
    expect(reports.filter((r) => !r.passed).map((r) => `${r.scenario}: ${r.failures.join('; ')}`)).toEqual([]);
    expect(code).toBe(0);
    expect(reports).toHaveLength(1);
    expect(reports.reduce((n, r) => n + r.falseFailovers, 0)).toBe(0);
    // Hard-down primary, 10 s interval, failAfter 2: decided within 30 s.
    const hard = reports.find((r) => r.scenario === 'primary-hard-down')!;
    expect(hard.failovers).toBe(1);
    expect(hard.timeToDecisionSeconds).not.toBeNull();
    expect(hard.timeToDecisionSeconds!).toBeLessThanOrEqual(30);
    for (const r of reports) expect(Object.keys(r)).toEqual(expect.arrayContaining(['scenario', 'failovers', 'falseFailovers', 'failbacks', 'timeToDecisionSeconds', 'passed', 'events', 'holds', 'decidedBy', 'seed']));
  });

  it('runs each scenario under N seeds and reports the worst (--seeds)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sim-'));
    const file = join(dir, 'flaky.json');
    // A 60%-flaky primary: whether and when it fails over depends on the seed.
    writeFileSync(file, JSON.stringify({ name: 'seeded', seed: 10, durationSeconds: 120, faults: [{ kind: 'primary-flaky', at: 10, failureRate: 0.6 }] }));
    const io = fakeIo(dir);
    expect(await main(['simulate', file, '--seeds', '3', '--json'], io)).toBe(0);
    const [worst] = JSON.parse(io.stdout.join('\n')) as { seed: number; timeToDecisionSeconds: number | null }[];
    const each = [];
    for (const seed of [10, 11, 12]) {
      const one = fakeIo(dir);
      writeFileSync(file, JSON.stringify({ name: 'seeded', seed, durationSeconds: 120, faults: [{ kind: 'primary-flaky', at: 10, failureRate: 0.6 }] }));
      await main(['simulate', file, '--json'], one);
      each.push((JSON.parse(one.stdout.join('\n')) as { timeToDecisionSeconds: number | null }[])[0]!.timeToDecisionSeconds ?? -1);
    }
    expect(worst!.timeToDecisionSeconds ?? -1).toBe(Math.max(...each));
    expect([10, 11, 12]).toContain(worst!.seed);
    const bad = fakeIo(dir);
    expect(await main(['simulate', file, '--seeds', '0'], bad)).toBe(2);
    expect(bad.stderr.join('\n')).toContain('--seeds');
  });

  it('runs a user scenario file and exits 1 when its expectation fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sim-'));
    const file = join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify([
      { name: 'down-expect-failover', durationSeconds: 200, faults: [{ kind: 'primary-down', at: 30 }], expect: { failovers: 1 } },
      { name: 'down-but-expect-nothing', durationSeconds: 200, faults: [{ kind: 'primary-down', at: 30 }], expect: { failovers: 0 } },
    ]));
    const io = fakeIo(dir);
    expect(await main(['simulate', file], io)).toBe(1);
    const text = io.text();
    expect(text).toMatch(/down-expect-failover\s+pass/);
    expect(text).toMatch(/down-but-expect-nothing\s+FAIL/);
    expect(text).toContain('failovers: expected 0, got 1');
  });

  it('refuses an invalid scenario file naming the field, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sim-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ name: 'x', durationSeconds: 60, faults: [{ kind: 'primary-down' }, { kind: 'meteor', at: 1 }] }));
    const io = fakeIo(dir);
    expect(await main(['simulate', 'bad.json'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/faults\[0\]\.at|faults\[1\]/);
  });

  it('prints the timeline with --verbose and filters with --only', async () => {
    const io = fakeIo(repo);
    expect(await main(['simulate', '--only', 'primary-hard-down', '--verbose'], io)).toBe(0);
    const text = io.text();
    expect(text).toContain('fault: primary-down');
    expect(text).toContain('DNS now serves the secondary');
    expect(text).toContain('1/1 scenarios passed');
  });
});
