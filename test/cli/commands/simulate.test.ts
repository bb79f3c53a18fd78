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
  it('passes every built-in scenario with zero false failovers (--json)', async () => {
    const io = fakeIo(repo);
    const code = await main(['simulate', '--json'], io);
    const reports = JSON.parse(io.stdout.join('\n')) as { scenario: string; passed: boolean; falseFailovers: number; failovers: number; timeToDecisionSeconds: number | null; failures: string[]; property?: string }[];
    expect(reports.filter((r) => !r.passed).map((r) => `${r.scenario}: ${r.failures.join('; ')}`)).toEqual([]);
    expect(code).toBe(0);
    expect(reports).toHaveLength(BUILTIN_SCENARIOS.length);
    expect(reports.reduce((n, r) => n + r.falseFailovers, 0)).toBe(0);
    // Every DESIGN property has at least one scenario.
    expect(new Set(reports.map((r) => r.property).filter(Boolean))).toEqual(new Set(['1', '2', '3', '4', '5', '6', '7']));
    // Hard-down primary, 10 s interval, failAfter 2: decided within 30 s.
    const hard = reports.find((r) => r.scenario === 'primary-hard-down')!;
    expect(hard.failovers).toBe(1);
    expect(hard.timeToDecisionSeconds).not.toBeNull();
    expect(hard.timeToDecisionSeconds!).toBeLessThanOrEqual(30);
    for (const r of reports) expect(Object.keys(r)).toEqual(expect.arrayContaining(['scenario', 'failovers', 'falseFailovers', 'failbacks', 'timeToDecisionSeconds', 'passed']));
  }, 120_000);

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
