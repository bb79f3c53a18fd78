/**
 * Replay protection: a nonce may be used once per key while its request could still pass the
 * timestamp check. Implementations: memory (here), DynamoDB and Durable Object storage (adapters);
 * all must pass test/signing/nonce-store-contract.ts.
 */
import type { UnixMs } from '../model.ts';
import { StorageError } from '../errors.ts';

export interface NonceStore {
  /**
   * Records `nonce` for `keyId` until `expiresAt`. True when it was not held (first use, or its
   * earlier record expired: `now >= expiresAt` of that record), false when it is a replay. The
   * check and the write are one atomic step: of concurrent claims of one nonce, exactly one wins.
   * Nonces are per key, so holding one key never lets a caller burn another key's nonces.
   */
  claim(nonce: string, keyId: string, expiresAt: UnixMs, now: UnixMs): Promise<boolean>;
}

export interface MemoryNonceStoreOptions {
  /**
   * Hard cap on held nonces; a claim that would exceed it throws (fail closed: better a 500 than
   * an accepted replay). Default 1,000,000 (about 100 MB at worst).
   */
  readonly maxEntries?: number;
  /** Sweep all expired entries at most this often (by the `now` passed in). Default 10 s. */
  readonly sweepEveryMs?: number;
}

export class NonceStoreFullError extends StorageError {
  override readonly name: string = 'NonceStoreFullError';
  constructor(max: number) {
    super(`nonce store full (${max} unexpired nonces); refusing signed requests until some expire`);
  }
}

/**
 * One process's nonces. Memory bound: only unexpired entries are kept (expired ones are swept at
 * least every `sweepEveryMs` and ignored on lookup), so the size is at most the number of
 * requests accepted in one expiry span (the verifier uses about 2 x 300 s) plus one sweep period,
 * and never more than `maxEntries`. Only requests with a valid signature reach `claim`, so only a
 * key holder can grow it. Single-threaded JS makes `claim` atomic.
 */
export class MemoryNonceStore implements NonceStore {
  private readonly entries = new Map<string, UnixMs>();
  private readonly maxEntries: number;
  private readonly sweepEveryMs: number;
  private nextSweepAt = -Infinity;

  constructor(options: MemoryNonceStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1_000_000;
    this.sweepEveryMs = options.sweepEveryMs ?? 10_000;
  }

  /** Unexpired-or-not-yet-swept entries; for tests and metrics. */
  get size(): number {
    return this.entries.size;
  }

  async claim(nonce: string, keyId: string, expiresAt: UnixMs, now: UnixMs): Promise<boolean> {
    if (now >= this.nextSweepAt || this.entries.size >= this.maxEntries) this.sweep(now);
    // Key ids never contain a newline (see keySchema), so this join is unambiguous.
    const id = `${keyId}\n${nonce}`;
    const held = this.entries.get(id);
    if (held !== undefined && now < held) return false;
    if (held === undefined && this.entries.size >= this.maxEntries) throw new NonceStoreFullError(this.maxEntries);
    this.entries.set(id, expiresAt);
    return true;
  }

  /** Drops every expired entry. */
  sweep(now: UnixMs): void {
    for (const [id, expiresAt] of this.entries) if (now >= expiresAt) this.entries.delete(id);
    this.nextSweepAt = now + this.sweepEveryMs;
  }
}
