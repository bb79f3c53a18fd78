import { describe, expect, it } from 'vitest';
import { MemoryNonceStore, NonceStoreFullError } from '#core/signing/nonce-store.ts';
import { nonceStoreContract } from './nonce-store-contract.ts';

nonceStoreContract(() => new MemoryNonceStore(), 'memory');

describe('MemoryNonceStore', () => {
  const T0 = 1_700_000_000_000;
  const nonce = (i: number) => i.toString(16).padStart(32, '0');

  it('sweeps expired entries, so memory follows the live window', async () => {
    const store = new MemoryNonceStore({ sweepEveryMs: 1_000 });
    for (let i = 0; i < 1_000; i++) await store.claim(nonce(i), 'probe-1', T0 + 60_000, T0);
    expect(store.size).toBe(1_000);
    await store.claim(nonce(5_000), 'probe-1', T0 + 120_000, T0 + 60_000);
    expect(store.size).toBe(1);
  });

  it('fails closed when full of live nonces, and recovers once they expire', async () => {
    const store = new MemoryNonceStore({ maxEntries: 3 });
    for (let i = 0; i < 3; i++) expect(await store.claim(nonce(i), 'probe-1', T0 + 1_000, T0)).toBe(true);
    await expect(store.claim(nonce(3), 'probe-1', T0 + 1_000, T0)).rejects.toBeInstanceOf(NonceStoreFullError);
    expect(await store.claim(nonce(0), 'probe-1', T0 + 1_000, T0)).toBe(false);
    expect(await store.claim(nonce(3), 'probe-1', T0 + 2_000, T0 + 1_000)).toBe(true);
  });
});
