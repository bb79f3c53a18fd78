/**
 * One probe of one target, by check type, and the rapid recheck: a failure is confirmed once,
 * about a second later, before it counts (fewer false alarms from a dropped packet).
 */
import type { HealthCheckConfig, TargetConfig } from '../config/schema.ts';
import type { ProbeResult } from '../model.ts';
import type { Sleep } from '../ports.ts';
import { probeHttp, type ProbeDeps } from './http.ts';
import { probeTcp } from './tcp.ts';

export type { ProbeDeps } from './http.ts';

export function probeTarget(check: HealthCheckConfig, target: TargetConfig, deps: ProbeDeps): Promise<ProbeResult> {
  switch (check.type) {
    case 'http': return probeHttp(check, target, deps);
    case 'tcp': return probeTcp(check, target, deps);
  }
}

export interface RecheckDeps extends ProbeDeps {
  readonly sleep: Sleep;
}

/** Probes; on failure waits `recheckDelayMs` and reports the second attempt, marked `rechecked`. */
export async function probeWithRecheck(
  check: HealthCheckConfig,
  target: TargetConfig,
  recheckDelayMs: number,
  deps: RecheckDeps,
): Promise<ProbeResult> {
  const first = await probeTarget(check, target, deps);
  if (first.ok) return first;
  await deps.sleep(recheckDelayMs);
  const second = await probeTarget(check, target, deps);
  return { ...second, rechecked: true };
}
