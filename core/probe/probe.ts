/**
 * One probe of one target, by check type, and the rapid recheck: a failure is confirmed once,
 * about a second later, before it counts (fewer false alarms from a dropped packet).
 */
import type { HealthCheckConfig, TargetConfig } from '../config/schema.ts';
import type { ProbeResult, UnixMs } from '../model.ts';
import type { Sleep } from '../ports.ts';
import type { ConnectionGate } from './connections.ts';
import { probeHttp } from './http.ts';
import type { ProbeDeps } from './ports.ts';
import { probeTcp } from './tcp.ts';

export type { ProbeDeps } from './ports.ts';

export function probeTarget(check: HealthCheckConfig, target: TargetConfig, deps: ProbeDeps): Promise<ProbeResult> {
  switch (check.type) {
    case 'http': return probeHttp(check, target, deps);
    case 'tcp': return probeTcp(check, target, deps);
  }
}

export interface RecheckDeps extends ProbeDeps {
  readonly sleep: Sleep;
  /** Held for each attempt (not across the recheck's sleep), so the round's connection cap holds. */
  readonly gate?: ConnectionGate;
}

/** The shortest deadline a recheck gets, however little of the round is left. */
export const MIN_RECHECK_TIMEOUT_MS = 1_000;

/**
 * Probes; on failure waits `recheckDelayMs` and reports the second attempt, marked `rechecked`.
 * `recheckEndsBy` caps the recheck's deadline at that time (never below MIN_RECHECK_TIMEOUT_MS, nor
 * below the check's latency limit, past which an answer fails anyway), so a timed-out probe and
 * its recheck still fit in one round.
 */
export async function probeWithRecheck(
  check: HealthCheckConfig,
  target: TargetConfig,
  recheckDelayMs: number,
  deps: RecheckDeps,
  recheckEndsBy?: UnixMs,
): Promise<ProbeResult> {
  const gated = <T>(fn: () => Promise<T>): Promise<T> => (deps.gate ? deps.gate.run(fn) : fn());
  const first = await gated(() => probeTarget(check, target, deps));
  if (first.ok) return first;
  await deps.sleep(recheckDelayMs);
  const floor = Math.max(MIN_RECHECK_TIMEOUT_MS, check.type === 'http' ? check.maxLatencyMs ?? 0 : 0);
  // The deadline is taken once a connection is free: time spent queueing must not eat it.
  const second = await gated(() => {
    const left = recheckEndsBy === undefined ? check.timeoutMs : recheckEndsBy - deps.clock.now();
    const timeoutMs = Math.min(check.timeoutMs, Math.max(floor, left));
    return probeTarget(timeoutMs === check.timeoutMs ? check : { ...check, timeoutMs }, target, deps);
  });
  return { ...second, rechecked: true };
}
