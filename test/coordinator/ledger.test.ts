/**
 * Issue 13 through the coordinator: votes are recorded per vantage point (a heartbeat per batch,
 * a sheet only on change), the decision state is written only when it changes, a service left out
 * of a batch goes stale, and concurrent batches of every vantage point all count.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { batchOf, coordinatorOver, deployment } from './fleet.ts';

describe('vote ledger through the coordinator', () => {
  it('writes one heartbeat per batch once votes stop changing: no state write, no sheet write', async () => {
    const { config, names, vps } = deployment(100);
    const store = new MemoryStateStore();
    let now = 1_800_000_000_000;
    const coordinator = coordinatorOver(store, config, { now: () => now });
    for (let round = 1; round <= 3; round++) {
      for (const vp of vps) await coordinator.ingest(batchOf(vp, names, now, round), 'probe-key');
      now += 10_000;
    }
    const before = { ...store.writes };
    for (let round = 4; round <= 13; round++) {
      for (const vp of vps) await coordinator.ingest(batchOf(vp, names, now, round), 'probe-key');
      now += 10_000;
    }
    expect({ states: store.writes.states - before.states, sheets: store.writes.sheets - before.sheets, heartbeats: store.writes.heartbeats - before.heartbeats })
      .toEqual({ states: 0, sheets: 0, heartbeats: 10 * vps.length });
    // The engine still sees every vote, fresh, dated by the last batch.
    const [first] = await coordinator.states();
    expect(first!.state.votes.map((e) => e.vantagePoint)).toEqual([...vps].sort());
    expect(first!.evidence.tally.primary).toMatchObject({ healthy: vps.length, stale: 0 });
    expect(first!.state.votes.every((e) => e.primary!.receivedAt === now - 10_000)).toBe(true);
  });

  it('a verdict change writes that slice\'s sheet once, and the decision follows as before', async () => {
    const { config, names, vps } = deployment(10);
    const store = new MemoryStateStore();
    let now = 1_800_000_000_000;
    const coordinator = coordinatorOver(store, config, { now: () => now });
    for (let round = 1; round <= 2; round++) {
      for (const vp of vps) await coordinator.ingest(batchOf(vp, names, now, round), 'probe-key');
      now += 10_000;
    }
    const sheets = store.writes.sheets;
    for (let round = 3; round <= 8; round++) {
      for (const vp of vps) await coordinator.ingest(batchOf(vp, names, now, round, 'unhealthy'), 'probe-key');
      now += 10_000;
    }
    expect(store.writes.sheets - sheets).toBe(vps.length);
    const states = await coordinator.states();
    expect(states.every((s) => s.state.active === 'secondary')).toBe(true);
  });

  it('a service left out of its slice\'s later batches is not kept fresh by them: it goes stale', async () => {
    const { config, names, vps } = deployment(3, 1, 0);
    const store = new MemoryStateStore();
    let now = 1_800_000_000_000;
    const coordinator = coordinatorOver(store, config, { now: () => now });
    await coordinator.ingest(batchOf(vps[0]!, names, now), 'probe-key');
    // From now on the batches of this slice (first service svc-0000) no longer name svc-0002.
    for (let round = 2; round <= 6; round++) {
      now += 10_000;
      await coordinator.ingest(batchOf(vps[0]!, names.slice(0, 2), now, round), 'probe-key');
    }
    const byName = new Map((await coordinator.states()).map((s) => [s.state.service, s]));
    expect(byName.get(names[0]!)!.evidence.tally.primary).toMatchObject({ healthy: 1, stale: 0 });
    expect(byName.get(names[2]!)!.evidence.tally.primary).toMatchObject({ healthy: 0, stale: 1 });
    expect(byName.get(names[2]!)!.state.votes[0]!.primary!.receivedAt).toBe(1_800_000_000_000);
  });

  it('24 vantage points posting the same service at the same moment: every batch accepted, every vote counted', async () => {
    const { config, names, vps } = deployment(1, 15, 9);
    expect(new Set(vps).size).toBe(24);
    const store = new MemoryStateStore();
    // Every store call yields, so the evaluations of concurrent batches interleave at each step.
    const slow = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? async (...args: unknown[]) => { await new Promise((r) => setTimeout(r, Math.random() * 3)); return (v as (...a: unknown[]) => unknown).apply(target, args); } : v;
      },
    });
    let now = 1_800_000_000_000;
    const coordinator = coordinatorOver(slow, config, { now: () => now });
    for (let round = 1; round <= 10; round++) {
      // Unhealthy from round 3: every evaluation wants to change the state at once.
      const verdict = round >= 3 ? 'unhealthy' : 'healthy';
      const results = await Promise.allSettled(vps.map((vp) => coordinator.ingest(batchOf(vp, names, now, round, verdict), 'probe-key')));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const [s] = await coordinator.states();
      expect(s!.evidence.tally.primary.fresh).toBe(vps.length);
      expect(s!.state.votes.every((e) => e.primary!.receivedAt === now)).toBe(true);
      now += 10_000;
    }
    const [s] = await coordinator.states();
    expect(s!.state).toMatchObject({ active: 'secondary', epoch: 1 });
  });
});
