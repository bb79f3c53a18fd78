/**
 * A deadline on an injected timer instead of a bare setTimeout, so virtual time (the simulator)
 * can run the real probe and post code: its deadlines then fire in virtual time, deterministically.
 */
import { realSleep, type Sleep } from '../ports.ts';

export interface Deadline {
  /** Aborts, with a TimeoutError, when the deadline passes. */
  readonly signal: AbortSignal;
  /** Stops the timer; call once the guarded work is done. */
  clear(): void;
}

/** One reason for every cleared deadline: clearing is routine and must stay cheap. */
const CLEARED = new Error('deadline cleared');

export function startDeadline(ms: number, timer: Sleep = realSleep): Deadline {
  if (timer === realSleep) return realDeadline(ms);
  const expired = new AbortController();
  const cancelled = new AbortController();
  timer(ms, cancelled.signal).then(
    () => expired.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')),
    () => {}, // cleared before it fired
  );
  return { signal: expired.signal, clear: () => cancelled.abort(CLEARED) };
}

/**
 * The same on real timers, with one controller and a bare timer instead of a second controller,
 * a promise and a listener: a round starts one deadline per probe (2,000 at 1,000 services), and
 * each AbortController costs measurable CPU and garbage in Node.
 */
function realDeadline(ms: number): Deadline {
  const expired = new AbortController();
  const timer = setTimeout(() => expired.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms);
  return { signal: expired.signal, clear: () => clearTimeout(timer) };
}
