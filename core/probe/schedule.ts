/**
 * Scheduling every runtime's vantage rounds shares: slot arithmetic (one round per slot, a multiple
 * of the interval since the epoch, so a slot number names one round unambiguously), where in its
 * slot each vantage point probes (a stable phase from its name plus fresh jitter, so probers in
 * different places sample an intermittent failure at different moments), the longest a round
 * can take, and starting rounds on an interval without waiting for earlier rounds' posts (a slow
 * coordinator never delays probing). What is runtime-specific (a Lambda's time budget, a Durable
 * Object's alarm, the local run's phases) stays in its adapter.
 */
import type { LifeboatConfig } from '../config/schema.ts';
import type { UnixMs } from '../model.ts';
import type { Clock, Sleep } from '../ports.ts';

/** The slot `now` falls in. */
export function slotOf(now: UnixMs, intervalMs: number): number {
  return Math.floor(now / intervalMs);
}

/** The start of the next slot: strictly after `now`. */
export function nextSlotStart(now: UnixMs, intervalMs: number): UnixMs {
  return (slotOf(now, intervalMs) + 1) * intervalMs;
}

/** A stable hash of a vantage point's name (FNV-1a, 32 bits): the same phase at every start. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Murmur3's finaliser: similar names ("aws:eu-west-1", "aws:eu-west-2") land far apart.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Where in each interval a vantage point probes, stable across restarts: 0 <= phase < interval. */
export function probePhaseMs(vantagePoint: string, intervalMs: number): number {
  return nameHash(vantagePoint) % intervalMs;
}

/** The most a round starts after its phase, drawn afresh each round: a tenth of the interval. */
export function probeJitterMaxMs(intervalMs: number): number {
  return Math.floor(intervalMs / 10);
}

/**
 * Offset of a round inside its slot: phase plus jitter, wrapped so it stays inside the slot
 * (0 <= offset < interval), so `slotOf(round start)` still names the round's slot.
 */
export function probeOffsetMs(vantagePoint: string, intervalMs: number, random: () => number): number {
  return (probePhaseMs(vantagePoint, intervalMs) + Math.floor(random() * probeJitterMaxMs(intervalMs))) % intervalMs;
}

/** When the next round of `vantagePoint` starts: inside the next slot, at its offset. */
export function nextProbeAt(now: UnixMs, intervalMs: number, vantagePoint: string, random: () => number): UnixMs {
  return nextSlotStart(now, intervalMs) + probeOffsetMs(vantagePoint, intervalMs, random);
}

/** Rounds in a window of wall time (a Lambda's minute) at the interval: at least one. */
export function roundsInWindow(intervalSeconds: number, windowMs = 60_000): number {
  return Math.max(1, Math.floor(windowMs / 1000 / intervalSeconds));
}

/** Longest a round can take: probe, rapid recheck, probe again, then the posts' timeout, plus slack. */
export function roundBudgetMs(config: LifeboatConfig, postTimeoutMs: number): number {
  const probe = Math.max(...config.services.map((s) => s.healthCheck.timeoutMs));
  return 2 * probe + config.probing.recheckDelayMs + postTimeoutMs + 1_000;
}

export interface IntervalPlan {
  /** When round 0 starts; round i starts at firstAt + i * intervalMs (or at once if that has passed). */
  readonly firstAt: UnixMs;
  readonly intervalMs: number;
  /** Most rounds to start (default: until `signal` aborts). */
  readonly count?: number;
  readonly sleep: Sleep;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** Asked just before each round starts; false stops the plan (e.g. too little time left). */
  readonly mayStart?: (index: number) => boolean;
}

/**
 * Starts `round(i)` on the interval without awaiting earlier rounds, then waits for every round
 * started. A round that throws stops the plan and the error is rethrown once all have settled.
 * Returns how many rounds were started.
 */
export async function roundsOnInterval(plan: IntervalPlan, round: (index: number) => Promise<unknown>): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let started = 0;
  const count = plan.count ?? Infinity;
  for (let i = 0; i < count && !failure && !plan.signal?.aborted; i++) {
    const wait = plan.firstAt + i * plan.intervalMs - plan.clock.now();
    if (wait > 0) {
      const slept = await plan.sleep(wait, plan.signal).then(() => true, () => false);
      if (!slept || failure) break;
    }
    if (plan.mayStart && !plan.mayStart(i)) break;
    started++;
    // Settled into the set at once, so a failing round is never an unhandled rejection.
    const settled: Promise<void> = round(i).then(() => undefined, (error: unknown) => { failure ??= { error }; })
      .finally(() => inFlight.delete(settled));
    inFlight.add(settled);
  }
  while (inFlight.size > 0) await Promise.all(inFlight);
  if (failure) throw failure.error;
  return started;
}
