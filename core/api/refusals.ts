/**
 * Refused requests are counted, never written one by one: an anonymous flood must not be able to
 * push decisions out of the audit log, nor cost a storage write each. A refusal bumps an in-memory
 * counter per reason (shown in `GET /v1/status`), tells the runtime's metric hook, and is logged
 * at most once per reason per minute (with how many were left unlogged). The coordinator's own
 * schedule may drain the counts into one aggregate audit entry per minute at most (`drain`).
 */
import type { UnixMs } from '../model.ts';
import type { Clock, Logger } from '../ports.ts';
import type { VerifyError } from '../signing/lb1.ts';

/** Why a request was refused: a signature-check error, a probe key posting for another VP, or a rate limit. */
export type RefusalReason = VerifyError | 'vantage_point_not_allowed' | 'rate_limited';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'body_too_large', 'missing_header', 'bad_timestamp', 'bad_nonce', 'unknown_key', 'wrong_scope',
  'stale_timestamp', 'bad_signature', 'replayed_nonce', 'vantage_point_not_allowed', 'rate_limited',
];

export const isRefusalReason = (s: unknown): s is RefusalReason => typeof s === 'string' && (REFUSAL_REASONS as readonly string[]).includes(s);

/** `GET /v1/status` `refusals`: counts since this coordinator instance started (`since`). */
export interface RefusalCounts {
  readonly total: number;
  readonly byReason: Readonly<Partial<Record<RefusalReason, number>>>;
  readonly since: UnixMs;
  readonly lastAt: UnixMs | null;
}

/** What one refusal was; only the log line sees path and key id (a claimed id is no proof). */
export interface Refusal {
  readonly reason: RefusalReason;
  readonly method: string;
  readonly path: string;
  readonly detail: string;
  readonly keyId?: string;
}

/** The counts between two drains, for one aggregate audit entry. */
export interface RefusalWindow {
  readonly from: UnixMs;
  readonly to: UnixMs;
  readonly total: number;
  readonly byReason: Readonly<Partial<Record<RefusalReason, number>>>;
}

export interface RefusalCounterOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called once per refusal (and per merged count): the runtime's metric (EMF, Analytics Engine). */
  readonly onRefusal?: (reason: RefusalReason, count: number) => void;
  /** At most one log line per reason per this long (default one minute). */
  readonly logEveryMs?: number;
}

export const REFUSAL_LOG_EVERY_MS = 60_000;

export class RefusalCounter {
  private readonly since: UnixMs;
  private total = 0;
  private lastAt: UnixMs | null = null;
  private readonly byReason = new Map<RefusalReason, number>();
  /** Per reason: when it was last logged and how many came since without a line. */
  private readonly logged = new Map<RefusalReason, { at: UnixMs; unlogged: number }>();
  private window: { from: UnixMs; byReason: Map<RefusalReason, number> };

  constructor(private readonly o: RefusalCounterOptions) {
    this.since = o.clock.now();
    this.window = { from: this.since, byReason: new Map() };
  }

  record(r: Refusal): void {
    this.count(r.reason, 1);
    const now = this.o.clock.now();
    const last = this.logged.get(r.reason);
    if (last && now - last.at < (this.o.logEveryMs ?? REFUSAL_LOG_EVERY_MS)) {
      last.unlogged++;
      return;
    }
    this.logged.set(r.reason, { at: now, unlogged: 0 });
    this.o.logger.warn('refused request', {
      error: r.reason, method: r.method, path: r.path, detail: r.detail, ...(r.keyId ? { keyId: r.keyId } : {}),
      ...(last && last.unlogged > 0 ? { unloggedSinceLastLine: last.unlogged } : {}),
      totalForReason: this.byReason.get(r.reason),
    });
  }

  /** Counts refused elsewhere (the Worker in front of the Durable Object), merged in bulk. */
  merge(counts: Readonly<Partial<Record<RefusalReason, number>>>): void {
    for (const [reason, n] of Object.entries(counts)) {
      if (isRefusalReason(reason) && Number.isSafeInteger(n) && n! > 0) this.count(reason, n!);
    }
  }

  snapshot(): RefusalCounts {
    return { total: this.total, byReason: Object.fromEntries(this.byReason), since: this.since, lastAt: this.lastAt };
  }

  /** The counts since the last drain (null when none, or when `minGapMs` has not passed yet). */
  drain(minGapMs = REFUSAL_LOG_EVERY_MS): RefusalWindow | null {
    const now = this.o.clock.now();
    if (this.window.byReason.size === 0 || now - this.window.from < minGapMs) return null;
    const byReason = Object.fromEntries(this.window.byReason) as Partial<Record<RefusalReason, number>>;
    const total = Object.values(byReason).reduce((a, b) => a + (b ?? 0), 0);
    const out = { from: this.window.from, to: now, total, byReason };
    this.window = { from: now, byReason: new Map() };
    return out;
  }

  private count(reason: RefusalReason, n: number): void {
    this.total += n;
    this.lastAt = this.o.clock.now();
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + n);
    this.window.byReason.set(reason, (this.window.byReason.get(reason) ?? 0) + n);
    this.o.onRefusal?.(reason, n);
  }
}

/** The one-line summary of an aggregate audit entry: `refused 2040 requests in 60 s: bad_signature 2000, ...`. */
export function refusalSummary(w: RefusalWindow): string {
  const parts = Object.entries(w.byReason).sort(([, a], [, b]) => (b ?? 0) - (a ?? 0)).map(([r, n]) => `${r} ${n}`);
  return `refused ${w.total} request(s) in ${Math.round((w.to - w.from) / 1000)} s: ${parts.join(', ')}`;
}
