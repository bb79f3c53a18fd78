/**
 * The contract every StateStore backend must pass (memory, DynamoDB, Durable Object storage).
 * Call `stateStoreContract(name, makeStore)` from a test file of each backend.
 */
import { describe, expect, it } from 'vitest';
import type { StateStore } from '#core/coordinator/store.ts';
import { initialServiceState, type ServiceState } from '#core/engine/state.ts';
import type { AuditEntry } from '#core/engine/actions.ts';

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
  });
}
