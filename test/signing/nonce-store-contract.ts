/**
 * The contract every NonceStore must meet (memory, DynamoDB, Durable Object). Call it inside a
 * test file with a factory that returns a fresh, empty store each time.
 */
import { describe, expect, it } from 'vitest';
import type { NonceStore } from '#core/signing/nonce-store.ts';

const T0 = 1_700_000_000_000;
const TTL = 600_000;

export function nonceStoreContract(makeStore: () => NonceStore | Promise<NonceStore>, name = 'store'): void {
  describe(`NonceStore contract: ${name}`, () => {
    it('accepts a nonce the first time and refuses it the second', async () => {
      const store = await makeStore();
      expect(await store.claim('a'.repeat(32), 'ops-alice', T0 + TTL, T0)).toBe(true);
      expect(await store.claim('a'.repeat(32), 'ops-alice', T0 + TTL, T0 + 1)).toBe(false);
    });

    it('keeps different nonces apart', async () => {
      const store = await makeStore();
      expect(await store.claim('a'.repeat(32), 'ops-alice', T0 + TTL, T0)).toBe(true);
      expect(await store.claim('b'.repeat(32), 'ops-alice', T0 + TTL, T0)).toBe(true);
    });

    it('keeps nonces of different keys apart', async () => {
      const store = await makeStore();
      expect(await store.claim('a'.repeat(32), 'ops-alice', T0 + TTL, T0)).toBe(true);
      expect(await store.claim('a'.repeat(32), 'probe-aws-1', T0 + TTL, T0)).toBe(true);
      expect(await store.claim('a'.repeat(32), 'probe-aws-1', T0 + TTL, T0)).toBe(false);
    });

    it('refuses until the moment of expiry and accepts from then on', async () => {
      const store = await makeStore();
      expect(await store.claim('c'.repeat(32), 'ops-alice', T0 + TTL, T0)).toBe(true);
      expect(await store.claim('c'.repeat(32), 'ops-alice', T0 + 2 * TTL, T0 + TTL - 1)).toBe(false);
      expect(await store.claim('c'.repeat(32), 'ops-alice', T0 + 2 * TTL, T0 + TTL)).toBe(true);
      // The new claim holds with its own expiry.
      expect(await store.claim('c'.repeat(32), 'ops-alice', T0 + 3 * TTL, T0 + TTL + 1)).toBe(false);
    });

    it('a refused claim does not extend the original expiry', async () => {
      const store = await makeStore();
      expect(await store.claim('d'.repeat(32), 'ops-alice', T0 + TTL, T0)).toBe(true);
      expect(await store.claim('d'.repeat(32), 'ops-alice', T0 + 10 * TTL, T0 + 1)).toBe(false);
      expect(await store.claim('d'.repeat(32), 'ops-alice', T0 + 2 * TTL, T0 + TTL)).toBe(true);
    });

    it('expiry of one nonce leaves the others held', async () => {
      const store = await makeStore();
      expect(await store.claim('e'.repeat(32), 'ops-alice', T0 + 1_000, T0)).toBe(true);
      expect(await store.claim('f'.repeat(32), 'ops-alice', T0 + TTL, T0)).toBe(true);
      expect(await store.claim('e'.repeat(32), 'ops-alice', T0 + TTL, T0 + 2_000)).toBe(true);
      expect(await store.claim('f'.repeat(32), 'ops-alice', T0 + TTL, T0 + 2_000)).toBe(false);
    });

    it('of concurrent claims of one nonce, exactly one wins', async () => {
      const store = await makeStore();
      const results = await Promise.all(
        Array.from({ length: 25 }, () => store.claim('9'.repeat(64), 'ops-alice', T0 + TTL, T0)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('concurrent claims of distinct nonces all win', async () => {
      const store = await makeStore();
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) => store.claim(i.toString(16).padStart(32, '0'), 'ops-alice', T0 + TTL, T0)),
      );
      expect(results.every(Boolean)).toBe(true);
    });
  });
}
