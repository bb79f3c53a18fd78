/**
 * bench/stress-suite.ts against tiny fake commands: the load is started and always stopped by its
 * PID, each run is reported (pass/fail, duration, failing test names), output is streamed, and a
 * missing stress-ng is a clear exit 2. The real thing (`stress-ng --cpu 2`, `npm test` 3 times)
 * is run by hand: `npm run bench -- stress-suite`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  failingTests, parseStressSuiteArgs, runStressSuite, stressCommand, stressSuiteCli, DEFAULT_COMMAND, type Command,
} from '../../bench/stress-suite.ts';

const node = (script: string): Command => [process.execPath, '-e', script];
/** A stand-in for stress-ng: runs until it is stopped. */
const fakeLoad = node('setInterval(() => {}, 1000)');
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** Passes on its first run, fails on its second (a counter file in `dir`), as a flaky suite would. */
function flakySuite(dir: string): Command {
  return node(`
    const fs = require('node:fs'); const f = ${JSON.stringify(join(dir, 'count'))};
    const n = (fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0) + 1; fs.writeFileSync(f, String(n));
    console.log('\\u001b[32m ✓ node test/a.test.ts (3 tests)\\u001b[39m');
    if (n === 2) { console.log(' FAIL  node test/b.test.ts > counts rounds'); console.error(' FAIL  e2e test/e2e/flood.test.ts > same rounds'); process.exit(1); }
  `);
}

describe('runStressSuite', () => {
  it('runs the command N times under the load, reports each run, streams output, and stops the load by its PID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stress-suite-'));
    dirs.push(dir);
    const out: string[] = [];
    const result = await runStressSuite({ runs: 3, command: flakySuite(dir), stress: fakeLoad, out: (l) => out.push(l) });
    expect(result.runs.map((r) => [r.run, r.passed, r.exit])).toEqual([[1, true, 0], [2, false, 1], [3, true, 0]]);
    expect(result.runs[1]!.failing).toEqual(['node test/b.test.ts > counts rounds', 'e2e test/e2e/flood.test.ts > same rounds']);
    expect(result.runs[0]!.failing).toEqual([]);
    for (const r of result.runs) expect(r.durationMs).toBeGreaterThan(0);
    expect(result.stressHeld).toBe(true);
    expect(alive(result.stressPid)).toBe(false);
    // Streamed as it ran, each line marked with its run; then the per-run verdicts.
    expect(out).toContain('run 2/3 |  FAIL  node test/b.test.ts > counts rounds');
    expect(out.some((l) => /^run 1\/3: PASS in \d+\.\d s$/.test(l))).toBe(true);
    expect(out.some((l) => /^run 2\/3: FAIL in \d+\.\d s \(exit 1\)\n {2}failing: node test\/b\.test\.ts > counts rounds\n/.test(l))).toBe(true);
    expect(out.at(-1)).toBe(`stress: ${process.execPath} (pid ${result.stressPid}) stopped`);
  });

  it('stops the load when the test command cannot even start', async () => {
    const result = await runStressSuite({ runs: 1, command: ['/nonexistent/lifeboat-test-command'], stress: fakeLoad, out: () => {} });
    expect(result.runs[0]).toMatchObject({ passed: false });
    expect(String(result.runs[0]!.exit)).toMatch(/^spawn failed: .*ENOENT/);
    expect(alive(result.stressPid)).toBe(false);
  });

  it('says so when the load ended on its own (the runs were not all under stress)', async () => {
    const out: string[] = [];
    const result = await runStressSuite({ runs: 2, command: node('setTimeout(() => {}, 300)'), stress: node('process.exit(0)'), out: (l) => out.push(l) });
    expect(result.stressHeld).toBe(false);
    expect(out.filter((l) => l.includes('ended on its own'))).toHaveLength(1);
  });
});

describe('stressSuiteCli', () => {
  it('exits 2 naming the Debian package when stress-ng is not installed, and runs nothing', async () => {
    const out: string[] = [];
    const code = await stressSuiteCli(['stress-suite', '--runs', '1', '--', process.execPath, '-e', 'throw new Error("ran")'], (l) => out.push(l), { env: { PATH: '/nonexistent' } });
    expect(code).toBe(2);
    expect(out).toEqual(['stress-suite: stress-ng is not installed: it is the Debian package stress-ng (sudo apt-get install stress-ng)']);
  });

  it('exits 1 when a run failed, 0 when all passed, with a summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stress-suite-'));
    dirs.push(dir);
    const out: string[] = [];
    expect(await stressSuiteCli(['stress-suite', '--runs', '2'], (l) => out.push(l), { command: flakySuite(dir), stress: fakeLoad })).toBe(1);
    expect(out.at(-1)).toMatch(/^stress-suite: 1\/2 run\(s\) passed\nrun 1\/2: PASS/);
    const passing: string[] = [];
    expect(await stressSuiteCli(['stress-suite', '--runs', '1'], (l) => passing.push(l), { command: node(''), stress: fakeLoad })).toBe(0);
    expect(passing.at(-1)).toMatch(/^stress-suite: all 1 run\(s\) passed in a row under load\n/);
  });

  it('refuses bad arguments naming the flag', async () => {
    const out: string[] = [];
    expect(await stressSuiteCli(['stress-suite', '--runs', '0'], (l) => out.push(l))).toBe(2);
    expect(out).toEqual(['stress-suite: --runs: expected a whole number from 1 to 100, got "0"']);
  });
});

describe('parseStressSuiteArgs', () => {
  it('defaults to 3 runs of npm test on 2 stressed CPUs; takes --runs, --cpu and a command after --', () => {
    expect(parseStressSuiteArgs(['stress-suite'])).toEqual({ runs: 3, cpus: 2, command: DEFAULT_COMMAND });
    expect(DEFAULT_COMMAND).toEqual(['npm', 'test']);
    expect(parseStressSuiteArgs(['stress-suite', '--runs', '1', '--cpu', '4', '--', 'npx', 'vitest', 'run', '--project', 'node', 'test/x.test.ts']))
      .toEqual({ runs: 1, cpus: 4, command: ['npx', 'vitest', 'run', '--project', 'node', 'test/x.test.ts'] });
  });

  it('bounds the load in time, should the harness die without stopping it', () => {
    expect(stressCommand(2, 3)).toEqual(['stress-ng', '--cpu', '2', '--timeout', '5400s']);
  });

  it('names the bad argument', () => {
    expect(() => parseStressSuiteArgs(['stress-suite', '--runs', 'three'])).toThrow('--runs: expected a whole number from 1 to 100, got "three"');
    expect(() => parseStressSuiteArgs(['stress-suite', '--runs'])).toThrow('--runs: expected a whole number from 1 to 100, got ""');
    expect(() => parseStressSuiteArgs(['stress-suite', '--cpu', '-1'])).toThrow('--cpu: expected a whole number');
    expect(() => parseStressSuiteArgs(['stress-suite', '--fast'])).toThrow('unknown argument "--fast"');
    expect(() => parseStressSuiteArgs(['stress-suite', '--'])).toThrow('the test command after -- is empty');
  });
});

describe('failingTests', () => {
  it('takes vitest FAIL lines (colours stripped) and tsc errors, once each; nothing from passing output', () => {
    expect(failingTests([
      '\u001b[41m\u001b[1m FAIL \u001b[22m\u001b[49m \u001b[30m\u001b[45m e2e \u001b[49m\u001b[39m test/e2e/flood.test.ts > 4,000 refused requests',
      ' FAIL  e2e test/e2e/flood.test.ts > 4,000 refused requests',
      'core/x.ts(3,7): error TS2322: Type "a" is not assignable to type "b".',
      ' ✓ node test/a.test.ts (3 tests) 12ms',
      ' Test Files  1 failed | 3 passed (4)',
    ])).toEqual(['e2e test/e2e/flood.test.ts > 4,000 refused requests', 'typecheck: core/x.ts(3,7): error TS2322: Type "a" is not assignable to type "b".']);
  });
});
