/** A scenario's report and the check of its expectations against it. */
import type { TargetRole } from '../model.ts';
import type { CountExpectation, Scenario } from './scenario.ts';

export interface TimelineEntry {
  readonly t: number;
  readonly what: string;
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly property?: string;
  readonly seed: number;
  readonly failovers: number;
  readonly falseFailovers: number;
  readonly failbacks: number;
  /** From the first real primary fault to the first failover decision; null if none. */
  readonly timeToDecisionSeconds: number | null;
  /** From the same fault to DNS serving the secondary, including the modelled DNS write time. */
  readonly timeToDnsSeconds: number | null;
  /** Shortest gap between two failovers; null with fewer than two. */
  readonly minSecondsBetweenFailovers: number | null;
  /** Failover and failback messages sent, across both coordinators. */
  readonly notifications: number;
  /** Distinct idempotency keys per notice event: what a receiver that de-duplicates sees. */
  readonly events: Readonly<Record<string, number>>;
  /** Distinct hold alerts per reason. */
  readonly holds: Readonly<Record<string, number>>;
  /** Keys used by two notices of different events or texts from the same coordinator. */
  readonly conflictingKeys: readonly string[];
  /** Coordinators that decided a failover or failback (not an operator's flip). */
  readonly decidedBy: readonly string[];
  readonly rejected: number;
  readonly refusedObservations: number;
  readonly finalActive: TargetRole;
  readonly passed: boolean;
  /** Unmet expectations, one line each. */
  readonly failures: readonly string[];
  readonly timeline: readonly TimelineEntry[];
}

export type ReportNumbers = Omit<ScenarioReport, 'passed' | 'failures' | 'timeline'>;

export function checkExpectations(s: Scenario, r: ReportNumbers): string[] {
  const failures: string[] = [];
  const e = s.expect;
  const count = (field: string, actual: number, expected: CountExpectation | undefined) => {
    if (expected === undefined) return;
    const { min, max } = typeof expected === 'number' ? { min: expected, max: expected } : expected;
    if (actual < min || (max !== undefined && actual > max)) {
      failures.push(`${field}: expected ${max === min ? min : `${min}..${max ?? '∞'}`}, got ${actual}`);
    }
  };
  const range = (field: string, actual: number | null, expected: { min?: number | undefined; max?: number | undefined } | undefined) => {
    if (expected === undefined) return;
    if (actual === null) failures.push(`${field}: no failover was made`);
    else if ((expected.min !== undefined && actual < expected.min) || (expected.max !== undefined && actual > expected.max)) {
      failures.push(`${field}: expected ${expected.min ?? 0}..${expected.max ?? '∞'}, got ${actual}`);
    }
  };
  count('failovers', r.failovers, e.failovers);
  count('falseFailovers', r.falseFailovers, e.falseFailovers);
  count('failbacks', r.failbacks, e.failbacks);
  count('notifications', r.notifications, e.notifications);
  count('rejected', r.rejected, e.rejected);
  count('refusedObservations', r.refusedObservations, e.refusedObservations);
  for (const [event, expected] of Object.entries(e.events ?? {})) count(`events.${event}`, r.events[event] ?? 0, expected);
  for (const [reason, expected] of Object.entries(e.holds ?? {})) count(`holds.${reason}`, r.holds[reason] ?? 0, expected);
  if (e.maxTimeToDecisionSeconds !== undefined) {
    if (r.timeToDecisionSeconds === null) failures.push('timeToDecisionSeconds: no failover decision was made');
    else if (r.timeToDecisionSeconds > e.maxTimeToDecisionSeconds) {
      failures.push(`timeToDecisionSeconds: expected at most ${e.maxTimeToDecisionSeconds}, got ${r.timeToDecisionSeconds}`);
    }
  }
  range('timeToDecisionSeconds', r.timeToDecisionSeconds, e.timeToDecisionSeconds);
  range('timeToDnsSeconds', r.timeToDnsSeconds, e.timeToDnsSeconds);
  if (e.uniqueNotificationKeys && r.conflictingKeys.length > 0) failures.push(`uniqueNotificationKeys: reused for different notices: ${r.conflictingKeys.join(', ')}`);
  if (e.decidedBy !== undefined) {
    const want = [...new Set(e.decidedBy)].sort().join(',');
    if ([...r.decidedBy].sort().join(',') !== want) failures.push(`decidedBy: expected ${want || 'nobody'}, got ${r.decidedBy.join(',') || 'nobody'}`);
  }
  const gap = e.minSecondsBetweenFailovers;
  if (gap !== undefined && r.minSecondsBetweenFailovers !== null && r.minSecondsBetweenFailovers < gap) {
    failures.push(`minSecondsBetweenFailovers: expected at least ${gap}, got ${r.minSecondsBetweenFailovers}`);
  }
  const noticed = r.timeToDecisionSeconds !== null || r.failovers > 0 || (r.events['degraded'] ?? 0) > 0;
  if (e.noticed !== undefined && noticed !== e.noticed) failures.push(`noticed: expected ${e.noticed ? 'a failover or a degraded alert' : 'neither failover nor degraded alert'}, got ${noticed ? 'one' : 'neither'}`);
  if (e.finalActive !== undefined && r.finalActive !== e.finalActive) {
    failures.push(`finalActive: expected ${e.finalActive}, got ${r.finalActive}`);
  }
  return failures;
}

/** The worse of two runs of one scenario (for --seeds): a failure, then false failovers, then slowness. */
export function worse(a: ScenarioReport, b: ScenarioReport): ScenarioReport {
  if (a.passed !== b.passed) return a.passed ? b : a;
  if (a.falseFailovers !== b.falseFailovers) return a.falseFailovers > b.falseFailovers ? a : b;
  return (b.timeToDecisionSeconds ?? -1) > (a.timeToDecisionSeconds ?? -1) ? b : a;
}
