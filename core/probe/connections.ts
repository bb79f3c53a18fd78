/**
 * How many connections one round may hold open at once, and the gate that holds it to that.
 * Cloudflare Workers allow 6 simultaneous outgoing connections per invocation (queueing the 7th
 * in production, not at all in local workerd), so the probe code enforces the cap itself: every
 * probe attempt and every control check passes through one gate per round.
 */
import { ConfigurationError } from '../errors.ts';

/** Per-runtime limits on one invocation (developers.cloudflare.com/workers/platform/limits). */
export interface RuntimeLimits {
  /** Connections open at once (HTTP or TCP). */
  readonly connections: number;
  /** Outgoing requests per invocation, or undefined when the runtime has no such cap. */
  readonly subrequests?: number;
}

export const RUNTIME_LIMITS = {
  /** Workers Paid: 6 simultaneous connections; 1,000 subrequests (10,000 on the newest plans; the lower bound is assumed). */
  workers: { connections: 6, subrequests: 1_000 },
  /** Lambda: no request cap; sockets are bounded by the 1,024 file descriptors, leaving room for the SDK. */
  lambda: { connections: 512 },
} as const satisfies Record<string, RuntimeLimits>;

/** A FIFO counting semaphore: at most `limit` holders at once, served in arrival order. */
export class ConnectionGate {
  private active = 0;
  private peakHeld = 0;
  private readonly waiting: (() => void)[] = [];
  readonly limit: number;

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new ConfigurationError(`connection limit must be a whole number >= 1, got ${limit}`);
    this.limit = limit;
  }

  /** Most connections held at once so far. */
  get peak(): number {
    return this.peakHeld;
  }

  /** Runs `fn` holding one connection; the slot is released however `fn` ends. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    this.peakHeld = Math.max(this.peakHeld, this.active);
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so a newcomer cannot jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
