/**
 * `npm run bench -- stress-suite [--runs N] [--cpu N] [-- <test command...>]`: the suite holds under
 * load (issue 14). Starts `stress-ng --cpu 2` (the Debian package stress-ng; exit 2 when it is not
 * installed), runs the test command (default `npm test`) N times in a row (default 3) with its
 * output streamed, and prints per run: pass or fail, duration, failing test names. stress-ng is
 * always stopped, by the PID this started, whatever happens (a failed run, an error, Ctrl-C).
 * Not for CI: it keeps every core busy on purpose.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../', import.meta.url));

export type Command = readonly [string, ...string[]];

export interface StressSuiteOptions {
  readonly runs: number;
  /** The suite to run each time (default `npm test`); injectable so a test can run a tiny fake. */
  readonly command: Command;
  /** The load (default `stress-ng --cpu 2`); its first word must be on PATH. */
  readonly stress: Command;
  readonly out: (line: string) => void;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface SuiteRun {
  readonly run: number;
  readonly passed: boolean;
  /** Exit code, or the signal that ended it. */
  readonly exit: number | string;
  readonly durationMs: number;
  /** Failing tests as the reporter named them (vitest `FAIL` lines, tsc errors). */
  readonly failing: readonly string[];
}

export interface StressSuiteResult {
  readonly runs: readonly SuiteRun[];
  readonly stressPid: number;
  /** False when the load ended on its own during the runs (then the runs were not all under load). */
  readonly stressHeld: boolean;
}

export const DEFAULT_RUNS = 3;
export const MAX_RUNS = 100;
export const DEFAULT_COMMAND: Command = ['npm', 'test'];
/** Half an hour per run at most: should this process die without its cleanup, the load still ends (stress-ng's own default is a day). */
export const STRESS_SECONDS_PER_RUN = 1_800;
export const stressCommand = (cpus: number, runs: number): Command => ['stress-ng', '--cpu', String(cpus), '--timeout', `${runs * STRESS_SECONDS_PER_RUN}s`];

/** The load tool is not installed: the CLI says which package and exits 2. */
export class StressToolMissingError extends Error {
  override readonly name = 'StressToolMissingError';
  constructor(readonly tool: string) {
    super(tool === 'stress-ng'
      ? 'stress-ng is not installed: it is the Debian package stress-ng (sudo apt-get install stress-ng)'
      : `${tool} is not installed (not found on PATH)`);
  }
}

export class StressSuiteArgsError extends Error {
  override readonly name = 'StressSuiteArgsError';
}

/** The executable `name` resolves to on PATH (or as a path), or null. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | null {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const c of candidates) {
    try { accessSync(c, constants.X_OK); return isAbsolute(c) ? c : join(process.cwd(), c); } catch { /* next */ }
  }
  return null;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** Failing test names from a test command's output: vitest's `FAIL` lines and tsc's errors, once each. */
export function failingTests(lines: readonly string[]): string[] {
  const found = new Set<string>();
  for (const raw of lines) {
    const line = raw.replace(ANSI, '').replace(/\s+/g, ' ').trim();
    const fail = /^FAIL\s+(.+)$/.exec(line);
    if (fail) found.add(fail[1]!);
    else if (/\berror TS\d+:/.test(line)) found.add(`typecheck: ${line}`);
  }
  return [...found];
}

/** `stress-suite` and what follows it on the bench command line. */
export function parseStressSuiteArgs(argv: readonly string[]): { runs: number; cpus: number; command: Command } {
  const dashes = argv.indexOf('--');
  const own = dashes === -1 ? argv : argv.slice(0, dashes);
  const command = dashes === -1 ? DEFAULT_COMMAND : argv.slice(dashes + 1);
  if (command.length === 0) throw new StressSuiteArgsError('the test command after -- is empty');
  let runs = DEFAULT_RUNS;
  let cpus = 2;
  const whole = (flag: string, value: string | undefined, max: number) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new StressSuiteArgsError(`${flag}: expected a whole number from 1 to ${max}, got ${JSON.stringify(value ?? '')}`);
    return n;
  };
  for (let i = 0; i < own.length; i++) {
    const arg = own[i]!;
    if (arg === 'stress-suite') continue;
    if (arg === '--runs') runs = whole('--runs', own[++i], MAX_RUNS);
    else if (arg === '--cpu') cpus = whole('--cpu', own[++i], 64);
    else throw new StressSuiteArgsError(`unknown argument ${JSON.stringify(arg)} (stress-suite takes --runs N, --cpu N and -- <test command...>)`);
  }
  return { runs, cpus, command: command as unknown as Command };
}

const exited = (child: ChildProcess) => new Promise<number | string>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? child.signalCode!);
  else child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
});

/** Stops one process we started, by its PID: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** One run of the test command: output streamed line by line through `out`, kept for the failing names. */
async function runOnce(o: StressSuiteOptions, run: number, track: (c: ChildProcess | undefined) => void): Promise<SuiteRun> {
  const started = performance.now();
  const [cmd, ...args] = o.command;
  const child = spawn(cmd, args, { cwd: o.cwd ?? REPO, env: { ...(o.env ?? process.env), FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const lines: string[] = [];
  const prefix = `run ${run}/${o.runs} | `;
  const spawnError = new Promise<string>((resolve) => child.once('error', (err) => resolve(err.message)));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => { lines.push(line); o.out(`${prefix}${line}`); });
  }
  const exit = await Promise.race([exited(child), spawnError.then((msg) => `spawn failed: ${msg}`)]);
  track(undefined);
  const durationMs = Math.round(performance.now() - started);
  const passed = exit === 0;
  const named = failingTests(lines);
  return { run, passed, exit, durationMs, failing: passed ? [] : named.length ? named : [`(exit ${exit}; no failing test named in the output)`] };
}

export async function runStressSuite(o: StressSuiteOptions): Promise<StressSuiteResult> {
  if (!Number.isSafeInteger(o.runs) || o.runs < 1 || o.runs > MAX_RUNS) throw new StressSuiteArgsError(`runs: expected a whole number from 1 to ${MAX_RUNS}, got ${o.runs}`);
  const [tool, ...toolArgs] = o.stress;
  if (!findExecutable(tool, o.env?.PATH ?? process.env.PATH)) throw new StressToolMissingError(tool);
  const stress = spawn(tool, toolArgs, { cwd: o.cwd ?? REPO, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (stress.pid === undefined) throw new StressToolMissingError(tool);
  const stressPid = stress.pid;
  stress.on('error', (err) => o.out(`${tool} | ${err.message}`));
  for (const stream of [stress.stdout, stress.stderr]) createInterface({ input: stream }).on('line', (line) => o.out(`${tool} | ${line}`));
  const running = () => stress.exitCode === null && stress.signalCode === null;
  let current: ChildProcess | undefined;
  // Ctrl-C or a kill of this process: stop what we started (by PID), then end as the signal would.
  const onSignal = (signal: NodeJS.Signals) => {
    current?.kill('SIGTERM');
    stress.kill('SIGTERM');
    process.exitCode = signal === 'SIGINT' ? 130 : 143;
    setTimeout(() => { stress.kill('SIGKILL'); process.exit(); }, 2_000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let stressHeld = true;
  const runs: SuiteRun[] = [];
  try {
    o.out(`stress: ${o.stress.join(' ')} (pid ${stressPid}); ${o.runs} run(s) of: ${o.command.join(' ')}`);
    for (let run = 1; run <= o.runs; run++) {
      o.out(`run ${run}/${o.runs}: starting`);
      const r = await runOnce(o, run, (c) => { current = c; });
      runs.push(r);
      o.out(formatRun(r, o.runs));
      if (stressHeld && !running()) {
        stressHeld = false;
        o.out(`stress: ${tool} (pid ${stressPid}) ended on its own during run ${run}; later runs are not under load`);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopProcess(stress);
    o.out(`stress: ${tool} (pid ${stressPid}) stopped`);
  }
  return { runs, stressPid, stressHeld };
}

export function formatRun(r: SuiteRun, of: number): string {
  const head = `run ${r.run}/${of}: ${r.passed ? 'PASS' : 'FAIL'} in ${(r.durationMs / 1000).toFixed(1)} s${r.passed ? '' : ` (exit ${r.exit})`}`;
  return [head, ...r.failing.map((f) => `  failing: ${f}`)].join('\n');
}

export function formatSummary(result: StressSuiteResult): string {
  const passed = result.runs.filter((r) => r.passed).length;
  const lines = result.runs.map((r) => formatRun(r, result.runs.length));
  const verdict = passed === result.runs.length ? `all ${passed} run(s) passed in a row under load` : `${passed}/${result.runs.length} run(s) passed`;
  return [`stress-suite: ${verdict}${result.stressHeld ? '' : ' (the load ended early: not every run was under stress)'}`, ...lines].join('\n');
}

/** The bench target: returns the exit code (0 all passed, 1 a run failed, 2 bad arguments or no stress-ng). */
export async function stressSuiteCli(argv: readonly string[], out: (line: string) => void = console.log, overrides: Partial<StressSuiteOptions> = {}): Promise<number> {
  let args: ReturnType<typeof parseStressSuiteArgs>;
  try {
    args = parseStressSuiteArgs(argv);
  } catch (err) {
    if (err instanceof StressSuiteArgsError) { out(`stress-suite: ${err.message}`); return 2; }
    throw err;
  }
  try {
    const result = await runStressSuite({ runs: args.runs, command: args.command, stress: stressCommand(args.cpus, args.runs), out, ...overrides });
    out(formatSummary(result));
    return result.runs.every((r) => r.passed) && result.stressHeld ? 0 : 1;
  } catch (err) {
    if (err instanceof StressToolMissingError || err instanceof StressSuiteArgsError) { out(`stress-suite: ${err.message}`); return 2; }
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await stressSuiteCli(process.argv.slice(2));
