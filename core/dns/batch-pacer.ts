/**
 * Client-side pacing for a provider's API rate limit: Route 53 allows about 5 requests per second
 * per account, Cloudflare 1,200 per 5 minutes per user. Sending at that pace keeps a mass failover
 * (hundreds of services at once) from spending its retries on throttling errors; the retries still
 * honour a throttle that happens anyway (another client on the same account).
 */
import type { Sleep } from '../ports.ts';
import { ConfigurationError } from '../errors.ts';

export interface PaceOptions {
  /** Sustained requests per second. */
  readonly perSecond: number;
  /** Requests that may go at once after a quiet spell. */
  readonly burst: number;
  readonly sleep: Sleep;
  readonly now: () => number;
}

// Burst 1: Route 53 counts any 5 in one second, so evenly spaced is the fastest that never trips it.
export const ROUTE53_PACE = { perSecond: 5, burst: 1 } as const;
/** 1,200 per 300 s is 4 per second sustained; a short burst stays far inside the 5-minute budget. */
export const CLOUDFLARE_PACE = { perSecond: 4, burst: 40 } as const;

/** A token bucket; `take` resolves when a request may go. Callers queue in arrival order. */
export class Pacer {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: PaceOptions) {
    for (const field of ['perSecond', 'burst'] as const) {
      const v = options[field];
      if (!Number.isFinite(v) || v <= 0) throw new ConfigurationError(`pace ${field} must be a number > 0, got ${v}`);
    }
    this.tokens = options.burst;
    this.last = options.now();
  }

  take(): Promise<void> {
    const turn = this.queue.then(() => this.wait());
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async wait(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      const ms = Math.ceil(((1 - this.tokens) / this.options.perSecond) * 1000);
      await this.options.sleep(ms);
      this.refill();
      // A virtual sleep need not move the clock: what was slept for has been waited.
      this.tokens = Math.max(this.tokens, 1);
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const now = this.options.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.last) / 1000) * this.options.perSecond);
    this.last = now;
  }
}
