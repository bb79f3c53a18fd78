/**
 * The contract every StateStore backend must pass (memory, DynamoDB, Durable Object storage).
 * Call `stateStoreContract(name, makeStore)` from a test file of each backend.
 */
import { describe, expect, it } from 'vitest';
import type { StateStore } from '#core/coordinator/store.ts';
import { initialServiceState, type ServiceState } from '#core/engine/state.ts';
import type { AuditEntry } from '#core/engine/actions.ts';
import type { Heartbeat, VoteSheet } from '#core/coordinator/ledger.ts';

export function stateStoreContract(name: string, makeStore: () => StateStore | Promise<StateStore>): void {
  describe(`StateStore contract: ${name}`, () => {
    const state = (service: string, epoch = 0): ServiceState => ({
      ...initialServiceState(service),
      epoch,
      votes: [{ vantagePoint: 'aws:us-east-1', primary: { verdict: 'unhealthy', observedAt: 1, receivedAt: 2, failure: 'timeout', latencyMs: null, ranIn: 'ICN' }, secondary: null }],
    });

    it('returns null for an unknown service', async () => {
      const store = await makeStore();
      expect(await store.get('nothing.example.com')).toBeNull();
    });

    it('creates only when nothing exists, and round-trips the state exactly', async () => {
      const store = await makeStore();
      const v1 = await store.put(state('a.example.com'), null);
      expect(v1).not.toBeNull();
      expect(await store.put(state('a.example.com'), null)).toBeNull();
      const got = await store.get('a.example.com');
      expect(got?.version).toBe(v1);
      expect(got?.value).toEqual(state('a.example.com'));
    });

    it('updates only from the version it read (compare-and-swap)', async () => {
      const store = await makeStore();
      const v1 = (await store.put(state('b.example.com'), null))!;
      const v2 = await store.put(state('b.example.com', 1), v1);
      expect(v2).not.toBeNull();
      expect(v2).not.toBe(v1);
      expect(await store.put(state('b.example.com', 2), v1)).toBeNull();
      expect((await store.get('b.example.com'))?.value.epoch).toBe(1);
    });

    it('lets exactly one of many concurrent writers from the same version win', async () => {
      const store = await makeStore();
      const v1 = (await store.put(state('c.example.com'), null))!;
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(state('c.example.com', i + 1), v1)));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('lists every service', async () => {
      const store = await makeStore();
      await store.put(state('d.example.com'), null);
      await store.put(state('e.example.com'), null);
      const names = (await store.list()).map((v) => v.value.service);
      expect(names).toEqual(expect.arrayContaining(['d.example.com', 'e.example.com']));
    });

    it('keeps the audit log newest first, filtered by service and time', async () => {
      const store = await makeStore();
      const entry = (at: number, service: string): AuditEntry => ({ at, service, kind: 'decision', message: `m${at}` });
      await store.appendAudit([entry(1000, 'f.example.com'), entry(2000, 'g.example.com')]);
      await store.appendAudit([entry(3000, 'f.example.com')]);
      expect((await store.audit({ service: 'f.example.com' })).map((e) => e.at)).toEqual([3000, 1000]);
      expect((await store.audit({ since: 1500 })).map((e) => e.at)).toEqual([3000, 2000]);
      expect((await store.audit({ limit: 1 })).map((e) => e.at)).toEqual([3000]);
    });

    const hb = (vp: 'aws:us-east-1' | 'aws:eu-west-1', slice: string, rev: number, receivedAt: number): Heartbeat =>
      ({ vantagePoint: vp, slice, rev, receivedAt, observedAt: receivedAt - 10, ranIn: null, rounds: [receivedAt] });
    const sheet = (vp: 'aws:us-east-1' | 'aws:eu-west-1', slice: string, rev: number): VoteSheet => ({
      vantagePoint: vp, slice, rev,
      votes: { [slice]: { primary: { verdict: 'healthy', failure: null, since: 1, history: [] }, secondary: null, gone: null } },
    });

    it('keeps the vote ledger per vantage point and slice, apart from the states, and reads both in one snapshot', async () => {
      const store = await makeStore();
      await store.put(state('h.example.com'), null);
      await store.writeLedger({ heartbeat: hb('aws:us-east-1', 'h.example.com', 1, 1000), sheet: sheet('aws:us-east-1', 'h.example.com', 1) });
      await store.writeLedger({ heartbeat: hb('aws:eu-west-1', 'h.example.com', 1, 1001), sheet: sheet('aws:eu-west-1', 'h.example.com', 1) });
      await store.writeLedger({ heartbeat: hb('aws:us-east-1', 'h.example.com', 1, 2000), sheet: null });
      const mine = await store.ledger('aws:us-east-1');
      expect(mine.heartbeats).toEqual([hb('aws:us-east-1', 'h.example.com', 1, 2000)]);
      expect(mine.sheets).toEqual([sheet('aws:us-east-1', 'h.example.com', 1)]);
      const snap = await store.snapshot();
      expect(snap.states.map((s) => s.value)).toEqual([state('h.example.com')]);
      expect(snap.ledger.heartbeats).toHaveLength(2);
      expect(snap.ledger.sheets).toHaveLength(2);
      expect((await store.list()).map((s) => s.value.service)).toEqual(['h.example.com']);
    });

    it('never lets a late batch undo a later one: no older heartbeat, no lower sheet revision', async () => {
      const store = await makeStore();
      await store.writeLedger({ heartbeat: hb('aws:us-east-1', 'i.example.com', 2, 5000), sheet: sheet('aws:us-east-1', 'i.example.com', 2) });
      await store.writeLedger({ heartbeat: hb('aws:us-east-1', 'i.example.com', 1, 4000), sheet: sheet('aws:us-east-1', 'i.example.com', 1) });
      const mine = await store.ledger('aws:us-east-1');
      expect(mine.heartbeats.map((h) => [h.rev, h.receivedAt])).toEqual([[2, 5000]]);
      expect(mine.sheets.map((s) => s.rev)).toEqual([2]);
    });

    // The replay guard of a signed batch (core/coordinator/store.ts replayRefused).
    const signedHb = (slice: string, rev: number, receivedAt: number, sentAt: number, nonce = 'ab'.repeat(16)): Heartbeat =>
      ({ ...hb('aws:us-east-1', slice, rev, receivedAt), signed: { sentAt, round: Math.floor(sentAt / 10_000), nonce } });

    it('refuses a signed batch already recorded, or sent before the recorded one, and then writes nothing', async () => {
      const store = await makeStore();
      const first = { heartbeat: signedHb('j.example.com', 1, 20_000, 19_000), sheet: sheet('aws:us-east-1', 'j.example.com', 1) };
      expect(await store.writeLedger(first)).toBe('recorded');
      const recorded = await store.ledger('aws:us-east-1');
      // A byte-identical replay arrives later and would bring a newer sheet revision: none of it is written.
      expect(await store.writeLedger({ heartbeat: signedHb('j.example.com', 2, 25_000, 19_000), sheet: sheet('aws:us-east-1', 'j.example.com', 2) })).toBe('replayed');
      // An older round (sent earlier), other nonce.
      expect(await store.writeLedger({ heartbeat: signedHb('j.example.com', 2, 26_000, 9_000, 'cd'.repeat(16)), sheet: sheet('aws:us-east-1', 'j.example.com', 2) })).toBe('replayed');
      expect(await store.ledger('aws:us-east-1')).toEqual(recorded);
      // The next round is recorded.
      expect(await store.writeLedger({ heartbeat: signedHb('j.example.com', 2, 30_000, 29_000, 'ef'.repeat(16)), sheet: sheet('aws:us-east-1', 'j.example.com', 2) })).toBe('recorded');
      const mine = await store.ledger('aws:us-east-1');
      expect(mine.heartbeats).toEqual([signedHb('j.example.com', 2, 30_000, 29_000, 'ef'.repeat(16))]);
      expect(mine.sheets.map((s) => s.rev)).toEqual([2]);
    });

    it('records two slices of one round, and lets exactly one of concurrent copies of a signed batch through', async () => {
      const store = await makeStore();
      expect(await store.writeLedger({ heartbeat: signedHb('k.example.com', 1, 20_000, 19_000), sheet: sheet('aws:us-east-1', 'k.example.com', 1) })).toBe('recorded');
      expect(await store.writeLedger({ heartbeat: signedHb('m.example.com', 1, 20_001, 19_000), sheet: sheet('aws:us-east-1', 'm.example.com', 1) })).toBe('recorded');
      expect((await store.ledger('aws:us-east-1')).heartbeats.map((h) => h.slice).sort()).toEqual(['k.example.com', 'm.example.com']);
      const copies = await Promise.all(Array.from({ length: 8 }, (_, i) => store.writeLedger({ heartbeat: signedHb('k.example.com', 1, 30_000 + i, 29_000), sheet: null })));
      expect(copies.filter((o) => o === 'recorded')).toHaveLength(1);
    });

    it('takes a signed batch over a heartbeat written without a mark (before 0.3, or a direct ingest)', async () => {
      const store = await makeStore();
      await store.writeLedger({ heartbeat: hb('aws:us-east-1', 'n.example.com', 1, 20_000), sheet: sheet('aws:us-east-1', 'n.example.com', 1) });
      expect(await store.writeLedger({ heartbeat: signedHb('n.example.com', 1, 30_000, 29_000), sheet: null })).toBe('recorded');
      expect((await store.ledger('aws:us-east-1')).heartbeats).toEqual([signedHb('n.example.com', 1, 30_000, 29_000)]);
    });
  });
}
