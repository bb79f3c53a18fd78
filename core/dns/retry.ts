/**
 * Bounded retries with full-jitter exponential backoff, for DNS provider API calls.
 * Bounded twice: by attempts and by total time, because the callers run inside a Lambda or a
 * Worker with a hard deadline; a Retry-After hint is honoured but capped for the same reason.
 */
import type { Sleep } from '../ports.ts';
import { ConfigurationError } from '../errors.ts';

export interface RetryOptions {
  /** Total attempts, the first included (>= 1). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  /** Cap on any one sleep, the Retry-After hint included. */
  readonly maxDelayMs: number;
  /**
   * Cap on the whole call, sleeps included: no sleep is started that would end past it, so the
   * last attempt starts within the budget (its own duration is the caller's timeout's to bound).
   */
  readonly maxTotalMs?: number;
  readonly isRetryable: (err: unknown) => boolean;
  /** The server's hint (Retry-After) for this error, in ms, if it gave one. */
  readonly retryAfterMs?: (err: unknown) => number | undefined;
  readonly sleep: Sleep;
  /** Uniform in [0, 1): Math.random, or a seeded source in tests. */
  readonly random: () => number;
  /** Defaults to Date.now; only used for the total-time bound. */
  readonly now?: () => number;
  /** Told about every retry before its sleep (for logs and tests). */
  readonly onRetry?: (info: { readonly attempt: number; readonly delayMs: number; readonly error: unknown }) => void;
}

/** Retry options that would not bound the retries (a NaN attempt count retries forever). */
export class RetryOptionsError extends ConfigurationError {
  override readonly name: string = 'RetryOptionsError';
  constructor(readonly field: string, detail: string) {
    super(`retry option ${field}: ${detail}`);
  }
}

function checkOptions(opts: RetryOptions): void {
  if (!Number.isSafeInteger(opts.attempts) || opts.attempts < 1) throw new RetryOptionsError('attempts', `must be a whole number >= 1, got ${opts.attempts}`);
  for (const field of ['baseDelayMs', 'maxDelayMs', 'maxTotalMs'] as const) {
    const value = opts[field];
    if (value === undefined && field === 'maxTotalMs') continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RetryOptionsError(field, `must be a finite number of ms >= 0, got ${value}`);
  }
}

export const DEFAULT_RETRY = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000, maxTotalMs: 20_000 } as const;

/** The delay before retry number `attempt` (1-based): full jitter, or the capped server hint if longer. */
export function backoffDelay(attempt: number, opts: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>, hintMs?: number): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
  const jitter = Math.floor(opts.random() * ceiling);
  const hint = hintMs !== undefined && Number.isFinite(hintMs) && hintMs > 0 ? Math.min(hintMs, opts.maxDelayMs) : 0;
  return Math.max(jitter, hint);
}

/**
 * Calls `fn` until it succeeds, throws a non-retryable error, or the budget runs out; then the
 * last error is thrown unchanged, so the caller can tell "gave up" (retryable) from "refused".
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  checkOptions(opts);
  const now = opts.now ?? Date.now;
  const start = now();
  const attempts = opts.attempts;
  let slept = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !opts.isRetryable(error)) throw error;
      const delayMs = backoffDelay(attempt, opts, opts.retryAfterMs?.(error));
      // Virtual sleeps do not move the clock, so count both what was slept and what passed.
      const elapsed = Math.max(now() - start, slept);
      if (opts.maxTotalMs !== undefined && elapsed + delayMs > opts.maxTotalMs) throw error;
      opts.onRetry?.({ attempt, delayMs, error });
      await opts.sleep(delayMs);
      slept += delayMs;
    }
  }
}

/** Parses an HTTP Retry-After value (seconds, or an HTTP date) into ms; undefined if absent or bad. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Otherwise only an HTTP date ("Wed, 01 Jan 2025 00:00:10 GMT"): Date.parse also takes "-3".
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
