import { describe, expect, it } from 'vitest';
import { MEMORY_AUDIT_LIMIT, MemoryStateStore } from '#core/coordinator/store.ts';
import { initialServiceState, type VoteEntry } from '#core/engine/state.ts';
import { stateStoreContract } from './state-store-contract.ts';

stateStoreContract('memory', () => new MemoryStateStore());

describe('MemoryStateStore', () => {
  it('keeps its own copy: changing a state after put does not change what is stored', async () => {
    const store = new MemoryStateStore();
    const state = { ...initialServiceState('copy.example.com'), votes: [] as VoteEntry[] };
    await store.put(state, null);
    state.votes.push({ vantagePoint: 'aws:us-east-1', primary: null, secondary: null });
    expect((await store.get('copy.example.com'))?.value.votes).toEqual([]);
  });

  it('keeps at most MEMORY_AUDIT_LIMIT audit entries, dropping the oldest', async () => {
    const store = new MemoryStateStore();
    const entries = Array.from({ length: MEMORY_AUDIT_LIMIT + 5 }, (_, i) => ({ at: i, service: null, kind: 'rejected' as const, message: `m${i}` }));
    await store.appendAudit(entries);
    const newest = await store.audit({ limit: 1 });
    expect(newest[0]?.at).toBe(MEMORY_AUDIT_LIMIT + 4);
    const all = await store.audit({ limit: MEMORY_AUDIT_LIMIT + 5 });
    expect(all).toHaveLength(MEMORY_AUDIT_LIMIT);
    expect(all.at(-1)?.at).toBe(5); // entries 0-4 were dropped
  });
});
