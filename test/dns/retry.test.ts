/**
 * core/dns/retry.ts on its own: every bound it promises, with a virtual sleep and clock (no real
 * waiting) and an injected random source.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, RetryOptionsError, withRetry, type RetryOptions } from '#core/dns/retry.ts';

class Retryable extends Error { constructor(readonly hintMs?: number) { super('retryable'); } }
class Fatal extends Error {}

/** Options with a virtual sleep that moves a virtual clock; `slept` records every sleep. */
function harness(overrides: Partial<RetryOptions> = {}) {
  const slept: number[] = [];
  const retries: { attempt: number; delayMs: number }[] = [];
  let clock = 1_000_000;
  const opts: RetryOptions = {
    attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalMs: 60_000,
    isRetryable: (err) => err instanceof Retryable,
    retryAfterMs: (err) => (err instanceof Retryable ? err.hintMs : undefined),
    sleep: async (ms) => { slept.push(ms); clock += ms; },
    random: () => 0.5,
    now: () => clock,
    onRetry: ({ attempt, delayMs }) => { retries.push({ attempt, delayMs }); },
    ...overrides,
  };
  return { opts, slept, retries, advance: (ms: number) => { clock += ms; } };
}

describe('withRetry', () => {
  it('returns the first success, retrying only as often as needed', async () => {
    const { opts, slept } = harness();
    let calls = 0;
    const value = await withRetry(async (attempt) => { calls++; if (attempt < 3) throw new Retryable(); return 'ok'; }, opts);
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(slept).toEqual([50, 100]); // half of 100, half of 200
  });

  it('makes at most `attempts` calls, then throws the last error unchanged', async () => {
    const { opts, slept, retries } = harness({ attempts: 4 });
    const errors: Retryable[] = [];
    const err = await withRetry(async () => { const e = new Retryable(); errors.push(e); throw e; }, opts).catch((e: unknown) => e);
    expect(errors).toHaveLength(4);
    expect(err).toBe(errors[3]);
    expect(slept).toHaveLength(3);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it('throws a non-retryable error at once, without sleeping', async () => {
    const { opts, slept } = harness();
    const fatal = new Fatal('no');
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw fatal; }, opts)).rejects.toBe(fatal);
    expect(calls).toBe(1);
    expect(slept).toEqual([]);
  });

  it('bounds the total time: no sleep starts that would end past maxTotalMs, so no attempt starts past it', async () => {
    // Each call takes 3 s of virtual time.
    const { opts, slept, advance } = harness({ attempts: 100, maxTotalMs: 10_000, random: () => 0.999 });
    const starts: number[] = [];
    let elapsed = 0;
    await expect(withRetry(async () => { starts.push(elapsed); advance(3_000); elapsed += 3_000; throw new Retryable(); }, {
      ...opts, sleep: async (ms) => { slept.push(ms); advance(ms); elapsed += ms; },
    })).rejects.toBeInstanceOf(Retryable);
    // Calls at 0, 3.099, 6.298 and 9.697 s; after the fourth, 12.7 s are spent: give up, no sleep.
    expect(starts).toEqual([0, 3_099, 6_298, 9_697]);
    expect(slept).toEqual([99, 199, 399]);
  });

  it('bounds the total time by what was slept even when the clock does not move (virtual sleep)', async () => {
    const { opts, slept } = harness({ attempts: 100, maxTotalMs: 2_500, sleep: async (ms) => { slept.push(ms); }, random: () => 0.999 });
    await expect(withRetry(async () => { throw new Retryable(); }, opts)).rejects.toBeInstanceOf(Retryable);
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2_500);
    expect(slept).toEqual([99, 199, 399, 799, 999]);
  });

  it('honours Retry-After when it is longer than the jitter, capped at maxDelayMs', async () => {
    const { opts, slept } = harness({ random: () => 0 });
    const hints = [300, 60_000, undefined];
    await withRetry(async (attempt) => { if (attempt <= hints.length) throw new Retryable(hints[attempt - 1]); return 1; }, opts);
    expect(slept).toEqual([300, 1_000, 0]);
  });

  it('refuses options that would not bound the retries, naming the field', async () => {
    const bad: [Partial<RetryOptions>, RegExp][] = [
      [{ attempts: Number.NaN }, /attempts/],
      [{ attempts: 0 }, /attempts/],
      [{ attempts: 2.5 }, /attempts/],
      [{ baseDelayMs: -1 }, /baseDelayMs/],
      [{ maxDelayMs: Number.POSITIVE_INFINITY }, /maxDelayMs/],
      [{ maxTotalMs: Number.NaN }, /maxTotalMs/],
    ];
    for (const [override, field] of bad) {
      const { opts } = harness(override);
      let calls = 0;
      const err = await withRetry(async () => { calls++; throw new Retryable(); }, opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryOptionsError);
      expect((err as Error).message).toMatch(field);
      expect(calls).toBe(0);
    }
  });
});

describe('backoffDelay', () => {
  const opts = { baseDelayMs: 100, maxDelayMs: 1_000 };

  it('keeps full jitter within [0, min(maxDelayMs, base * 2^(attempt-1))) for any random in [0, 1)', () => {
    const randoms = [0, 0.1, 0.5, 0.9, 0.999_999];
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(1_000, 100 * 2 ** (attempt - 1));
      for (const r of randoms) {
        const d = backoffDelay(attempt, { ...opts, random: () => r });
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
        expect(d).toBe(Math.floor(r * ceiling));
      }
    }
  });

  it('uses the server hint when longer, capped; ignores bad hints', () => {
    const low = { ...opts, random: () => 0.1 };
    expect(backoffDelay(1, low, 700)).toBe(700);
    expect(backoffDelay(1, low, 7_000)).toBe(1_000);
    expect(backoffDelay(3, low, 5)).toBe(40);
    for (const hint of [Number.NaN, -5, 0, Number.POSITIVE_INFINITY]) expect(backoffDelay(1, low, hint)).toBe(10);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads seconds and HTTP dates; undefined for absent or bad values', () => {
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1_500);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    for (const bad of [null, undefined, '', 'soon', '-3']) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
});
