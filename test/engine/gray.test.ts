/**
 * Gray failures (core/engine/gray.ts): a primary failing a large share of probes without a quorum
 * raises one `degraded` alert per incident; a blip does not, nor one provider alone. And a flip
 * whose earlier attempt left no outcome (its coordinator died after writing) is still announced.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, type EvaluateOutput } from '#core/engine/decide.ts';
import { initialServiceState, type ServiceState } from '#core/engine/state.ts';
import type { Verdict } from '#core/model.ts';
import { outcomeOf, policy, round, SERVICE, step, VPS } from './helpers.ts';

const P = policy();
const T0 = 1_700_000_000_000;
const at = (i: number) => T0 + i * P.intervalMs;

/** Rounds of primary verdicts per VP (one array per interval); returns every output. */
function run(verdicts: (i: number) => Verdict[], rounds: number): EvaluateOutput[] {
  let state: ServiceState = initialServiceState(SERVICE);
  const outs: EvaluateOutput[] = [];
  for (let i = 0; i < rounds; i++) {
    const out = step({ state, observations: round(at(i), verdicts(i)), overrides: [], now: at(i), policy: P });
    state = out.state;
    outs.push(out);
  }
  return outs;
}

const degradedNotices = (outs: EvaluateOutput[]) => outs.flatMap((o) => o.actions).filter((a) => a.type === 'notify' && a.event === 'degraded');

describe('gray failures', () => {
  it('raises one degraded alert when every provider sees a third of the votes fail, never a quorum at once', () => {
    // Each round, one AWS and one Cloudflare VP (a different pair each time) say unhealthy: 2/6.
    const outs = run((i) => VPS.map((_, v) => (v % 3 === i % 3 ? 'unhealthy' : 'healthy')), 60);
    expect(outs.every((o) => o.decision === null)).toBe(true);
    const notices = degradedNotices(outs);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ key: `${SERVICE}#0#degraded` });
    // Not before half the window (300 s / 2 = 15 intervals) was observed.
    const first = outs.findIndex((o) => o.actions.some((a) => a.type === 'notify' && a.event === 'degraded'));
    expect(first).toBeGreaterThanOrEqual(15);
  });

  it('stays quiet for a single blip', () => {
    const outs = run((i) => VPS.map(() => (i === 20 ? 'unhealthy' : 'healthy')), 60);
    expect(degradedNotices(outs)).toHaveLength(0);
  });

  it('stays quiet when only one provider sees failures (a lying or cut-off provider)', () => {
    const outs = run(() => VPS.map((vp) => (vp.startsWith('aws:') ? 'unhealthy' : 'healthy')), 60);
    expect(degradedNotices(outs)).toHaveLength(0);
  });

  it('is off at degradedFailureRate 0', () => {
    const p = policy({ degradedFailureRate: 0 });
    let state: ServiceState = initialServiceState(SERVICE);
    let notices = 0;
    for (let i = 0; i < 60; i++) {
      const out = step({ state, observations: round(at(i), VPS.map((_, v) => (v % 3 === i % 3 ? 'unhealthy' : 'healthy'))), overrides: [], now: at(i), policy: p });
      state = out.state;
      notices += out.actions.filter((a) => a.type === 'notify' && a.event === 'degraded').length;
    }
    expect(notices).toBe(0);
  });

  it('keeps its state bounded: one bucket per interval of the window', () => {
    const outs = run((i) => VPS.map((_, v) => (v % 3 === i % 3 ? 'unhealthy' : 'healthy')), 200);
    expect(outs.at(-1)!.state.gray.buckets.length).toBeLessThanOrEqual(P.degradedWindowMs / P.intervalMs);
  });
});

describe('a flip whose coordinator died after writing DNS', () => {
  it('is announced by the restarted coordinator when DNS shows it and no outcome was ever recorded', () => {
    let state: ServiceState = initialServiceState(SERVICE);
    state = step({ state, observations: round(at(0), 'unhealthy'), overrides: [], now: at(0), policy: P }).state;
    // The decision and its first attempt are saved; the process dies after writing, before reporting.
    const decided = evaluate({ state, observations: round(at(1), 'unhealthy'), overrides: [], now: at(1), policy: P });
    expect(decided.state.pendingFlip).toMatchObject({ attempts: 1 });
    // Restarted: the next attempt finds DNS already serving this very epoch.
    const retry = evaluate({ state: decided.state, observations: round(at(1) + 2000, 'unhealthy'), overrides: [], now: at(1) + 2000, policy: P });
    const dns = retry.actions.find((a) => a.type === 'dns')!;
    const outcome = evaluate({ state: retry.state, observations: [], overrides: [], now: at(1) + 2000, policy: P, flipOutcomes: [outcomeOf(dns, at(1) + 2000, 'doneByPeer')] });
    expect(outcome.actions.filter((a) => a.type === 'notify' && a.event === 'failover')).toHaveLength(1);
  });
});

describe('gray failures after an announced outage', () => {
  it('does not call a recovered primary degraded after its failover was abandoned', () => {
    // Primary down for 12 rounds while every DNS write fails, then healthy: the flip is abandoned
    // (flip-failing, flip-abandoned were sent); the outage must not come back as `degraded`.
    let state: ServiceState = initialServiceState(SERVICE);
    const notices: string[] = [];
    for (let i = 0; i < 60; i++) {
      const down = i >= 6 && i < 18;
      const out = step({ state, observations: round(at(i), down ? 'unhealthy' : 'healthy'), overrides: [], now: at(i), policy: P }, 'failed');
      state = out.state;
      for (const a of out.actions) if (a.type === 'notify') notices.push(a.event);
    }
    expect(notices).toContain('flip-abandoned');
    expect(notices).not.toContain('degraded');
  });
});
