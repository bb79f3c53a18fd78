/**
 * Starts the flood sender (test/e2e/flood-sender.ts) as a child `node --import tsx` process, the
 * way `npm run bench` runs TypeScript, and turns its JSON lines into events: `sent` (progress)
 * and `done` (the report). Bounded: the child is killed (its own PID) if it has not reported
 * within its `maxMs` plus a grace period, and `stop()` kills it whatever it is doing.
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FloodLine, FloodReport, FloodSpec } from './flood-sender-plan.ts';

const SENDER = fileURLToPath(new URL('./flood-sender.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Start-up (tsx compiling the sender on a busy machine) and the report, on top of `maxMs`. */
const GRACE_MS = 30_000;
/** Lower than the run, not idle: under stress-ng the flood must still finish within its `maxMs`. */
const SENDER_NICE = 10;

export interface FloodProcess {
  readonly pid: number;
  /** Resolves once at least `n` answers came back (or rejects when the sender ended first). */
  sent(n: number): Promise<void>;
  readonly done: Promise<FloodReport>;
  stop(): void;
}

export function startFloodSender(spec: FloodSpec): FloodProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', SENDER, JSON.stringify(spec)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  // The attacker's own CPU is not ours: on this machine the system under test gets the cores first.
  if (child.pid !== undefined) { try { setPriority(child.pid, SENDER_NICE); } catch { /* not allowed here: the flood runs at our priority */ } }
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-2000); });
  let sentSoFar = 0;
  const waiters = new Set<{ n: number; resolve: () => void; reject: (e: Error) => void }>();
  let report: FloodReport | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (text) => {
    let line: FloodLine;
    try { line = JSON.parse(text) as FloodLine; } catch { return; }
    if (line.type === 'progress') sentSoFar = line.sent;
    else { const { type: _, ...rest } = line; report = rest; sentSoFar = rest.sent; }
    for (const w of [...waiters]) if (sentSoFar >= w.n) { waiters.delete(w); w.resolve(); }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), spec.maxMs + GRACE_MS);
  const done = new Promise<FloodReport>((resolve, reject) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const failure = report ? undefined : new Error(`the flood sender (pid ${child.pid}) ended without a report (exit ${code ?? signal}): ${stderr.trim() || 'no output'}`);
      for (const w of [...waiters]) { waiters.delete(w); w.reject(failure ?? new Error(`the flood ended after ${sentSoFar} answers, before ${w.n}`)); }
      if (failure) reject(failure); else resolve(report!);
    });
  });
  done.catch(() => undefined); // awaited by the caller; never an unhandled rejection meanwhile
  return {
    pid: child.pid ?? -1,
    sent: (n) => (sentSoFar >= n ? Promise.resolve() : new Promise((resolve, reject) => { waiters.add({ n, resolve, reject }); })),
    done,
    stop() { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
  };
}
