import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '#core/config/validate.ts';
import type { NotifyAction } from '#core/coordinator/coordinator.ts';
import { MemoryZone } from '#core/dns/memory.ts';
import { evaluate } from '#core/engine/decide.ts';
import { inMaintenance, inRecurring, offsetMinutes } from '#core/engine/maintenance.ts';
import { initialServiceState } from '#core/engine/state.ts';
import { SERVICE, policy, round } from './helpers.ts';
import { TestClock, batch, makeCoordinator, servedAddress, testConfigInput } from '../support/coordinators.ts';

const at = (iso: string) => Date.parse(iso);

describe('inMaintenance', () => {
  const oneOff = { start: '2026-03-01T02:00:00Z', end: '2026-03-01T04:00:00Z' };

  it('covers a one-off window from start (inclusive) to end (exclusive)', () => {
    expect(inMaintenance([oneOff], SERVICE, at('2026-03-01T01:59:59Z'))).toBe(false);
    expect(inMaintenance([oneOff], SERVICE, at('2026-03-01T02:00:00Z'))).toBe(true);
    expect(inMaintenance([oneOff], SERVICE, at('2026-03-01T03:59:59Z'))).toBe(true);
    expect(inMaintenance([oneOff], SERVICE, at('2026-03-01T04:00:00Z'))).toBe(false);
    expect(inMaintenance([], SERVICE, at('2026-03-01T03:00:00Z'))).toBe(false);
    expect(inMaintenance(undefined, SERVICE, at('2026-03-01T03:00:00Z'))).toBe(false);
  });

  it('applies to the listed services only, names compared without case or final dot', () => {
    const w = [{ ...oneOff, services: ['App.Example.com.'] }];
    expect(inMaintenance(w, SERVICE, at('2026-03-01T03:00:00Z'))).toBe(true);
    expect(inMaintenance(w, 'pay.example.com', at('2026-03-01T03:00:00Z'))).toBe(false);
  });

  it('repeats weekly on the listed days, in UTC or a fixed offset, across midnight', () => {
    // Sundays 23:30-01:30 UTC. 2026-03-01 is a Sunday.
    const r = { weekdays: ['sun' as const], startTime: '23:30', durationMinutes: 120, timezone: 'UTC' };
    expect(inRecurring(r, at('2026-03-01T23:29:00Z'))).toBe(false);
    expect(inRecurring(r, at('2026-03-01T23:30:00Z'))).toBe(true);
    expect(inRecurring(r, at('2026-03-02T01:29:59Z'))).toBe(true);
    expect(inRecurring(r, at('2026-03-02T01:30:00Z'))).toBe(false);
    expect(inRecurring(r, at('2026-03-08T23:45:00Z'))).toBe(true);
    expect(inRecurring(r, at('2026-03-07T23:45:00Z'))).toBe(false);
    // Tuesdays and Thursdays 02:00-03:00 in Korea (+09:00) = Monday/Wednesday 17:00-18:00 UTC.
    const kst = { weekdays: ['tue' as const, 'thu' as const], startTime: '02:00', durationMinutes: 60, timezone: '+09:00' };
    expect(inRecurring(kst, at('2026-03-02T17:30:00Z'))).toBe(true);
    expect(inRecurring(kst, at('2026-03-04T17:00:00Z'))).toBe(true);
    expect(inRecurring(kst, at('2026-03-03T17:30:00Z'))).toBe(false);
    expect(inMaintenance([{ recurring: kst }], SERVICE, at('2026-03-02T17:30:00Z'))).toBe(true);
  });

  it('parses only UTC and fixed offsets', () => {
    expect(offsetMinutes('UTC')).toBe(0);
    expect(offsetMinutes('-05:30')).toBe(-330);
    expect(offsetMinutes('Asia/Seoul')).toBeNull();
  });
});

describe('evaluate inside a maintenance window', () => {
  const p = policy({ minVotes: 3, failAfter: 1 });

  it('freezes automation: a dead primary causes no failover and no hold alert', () => {
    const t = 1_000_000;
    // Observing for one interval already, so only the window stands in the way (cold start).
    const warm = evaluate({ state: initialServiceState(SERVICE), observations: round(t - p.intervalMs, 'healthy'), overrides: [], now: t - p.intervalMs, policy: p }).state;
    const out = evaluate({ state: warm, observations: round(t, 'unhealthy'), overrides: [], now: t, policy: p, inMaintenance: true });
    expect(out.decision).toBeNull();
    expect(out.state.active).toBe('primary');
    expect(out.actions).toEqual([]);
    const held = evaluate({ state: warm, observations: round(t, 'unhealthy', 'unhealthy'), overrides: [], now: t, policy: p, inMaintenance: true });
    expect(held.actions.filter((a) => a.type === 'notify')).toEqual([]);
    // The same input outside the window fails over.
    expect(evaluate({ state: warm, observations: round(t, 'unhealthy'), overrides: [], now: t, policy: p }).decision?.to).toBe('secondary');
  });

  it('still obeys overrides', () => {
    const t = 1_000_000;
    const out = evaluate({
      state: initialServiceState(SERVICE), observations: [], now: t, policy: p, inMaintenance: true,
      overrides: [{ service: SERVICE, action: 'force-secondary', reason: 'move during works', by: 'ops', at: t }],
    });
    expect(out.decision?.to).toBe('secondary');
  });
});

describe('maintenance and notifications in the config', () => {
  it('accepts one-off and recurring windows and defaults to none', () => {
    const ok = parseConfig(testConfigInput({
      maintenance: [
        { start: '2026-03-01T02:00:00Z', end: '2026-03-01T04:00:00+00:00', reason: 'DB upgrade' },
        { services: ['app.example.com'], recurring: { weekdays: ['sun'], startTime: '23:30', durationMinutes: 120 } },
      ],
    }));
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(ok.config.maintenance[1]!.recurring!.timezone).toBe('UTC');
    const none = parseConfig(testConfigInput());
    expect(none.ok && none.config.maintenance).toEqual([]);
    expect(none.ok && none.config.notifications).toEqual({ webhooks: [] });
  });

  it('names the field at fault', () => {
    const bad = parseConfig(testConfigInput({
      maintenance: [
        { start: '2026-03-01T04:00:00Z', end: '2026-03-01T02:00:00Z' },
        { recurring: { weekdays: ['someday' as 'sun'], startTime: '25:00', durationMinutes: 0, timezone: 'Asia/Seoul' } },
        { services: ['nope.example.com'], start: '2026-03-01T02:00:00Z' },
      ],
    }));
    expect(bad.ok).toBe(false);
    const paths = bad.ok ? [] : bad.problems.map((x) => x.path);
    for (const path of ['maintenance[0].end', 'maintenance[1].recurring.weekdays[0]', 'maintenance[1].recurring.startTime', 'maintenance[1].recurring.durationMinutes', 'maintenance[1].recurring.timezone', 'maintenance[2].end']) {
      expect(paths).toContain(path);
    }
  });
});

describe('the coordinator in a configured maintenance window', () => {
  it('does not fail over or alert while the window is open, and resumes after it', async () => {
    const clock = new TestClock(at('2026-03-01T02:30:00Z'));
    const config = loadConfig(testConfigInput({ maintenance: [{ start: '2026-03-01T02:00:00Z', end: '2026-03-01T03:00:00Z', reason: 'DC power work' }] }));
    const zone = new MemoryZone('example.com');
    const sent: NotifyAction[] = [];
    const { coordinator, store } = makeCoordinator('aws', config, zone, clock, { send: async (n) => { sent.push(n); } });
    const down = async () => {
      for (const vp of ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2'] as const) await coordinator.ingest(batch(vp, clock.now(), 'unhealthy'), 'probe-test');
    };
    await down();
    expect((await store.get(SERVICE))!.value.active).toBe('primary');
    expect(servedAddress(zone)).toBeUndefined();
    expect(sent).toEqual([]);
    clock.advance(31 * 60_000);
    await down();
    // Every vote had gone stale: observing starts again, and nothing is decided for one interval.
    expect((await store.get(SERVICE))!.value.active).toBe('primary');
    clock.advance(10_000);
    await down();
    expect((await store.get(SERVICE))!.value.active).toBe('secondary');
    expect(sent.map((n) => n.event)).toEqual(['failover']);
  });
});
