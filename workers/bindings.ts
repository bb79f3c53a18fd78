/**
 * What the Worker's Durable Objects answer over RPC, written as interfaces so that the Env that
 * binds them (workers/env.ts) need not import the classes: the classes import Env, and each
 * `implements` its interface here, so the two cannot drift. Also the shapes those RPCs return.
 */
import type { CLOUDFLARE_LOCATION_HINTS } from '#core/config/schema.ts';
import type { PostResult } from '#core/probe/post.ts';

export type LocationHint = (typeof CLOUDFLARE_LOCATION_HINTS)[number];

/** What the last alarm did; kept in storage for `status()` and for tests. */
export interface LastRound {
  readonly slot: number;
  /** Which part of the vantage point's round this object probed (core/probe/shard.ts). */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly startedAt: number;
  readonly controlOk?: boolean;
  readonly results?: number;
  readonly posted?: readonly PostResult[];
  readonly error?: string;
}

export interface ArmResult {
  readonly alarmAt: number;
  /** True when no alarm was set and this call set one (the clock had stopped). */
  readonly rearmed: boolean;
}

export interface ProberStatus {
  readonly hint: LocationHint | undefined;
  /** 0 for the hint's own object (`prober:<hint>`), k for its shard `prober:<hint>#k`. */
  readonly shard: number;
  readonly lastSlot: number;
  readonly alarmAt: number | null;
  readonly lastRound: LastRound | null;
}

/**
 * The prober Durable Object (workers/prober.ts), one per location hint, plus shards `#1`, `#2`...
 * when one invocation cannot probe every service inside the interval (shard 0 arms them).
 */
export interface ProberRpc extends Rpc.DurableObjectBranded {
  /** `shard` defaults to 0, the hint's own object; the watchdog arms that one only. */
  ensureArmed(hint: LocationHint, shard?: number): Promise<ArmResult>;
  status(): Promise<ProberStatus>;
}

/** The coordinator Durable Object (workers/coordinator.ts): the HTTP API and its tick clock. */
export interface CoordinatorRpc extends Rpc.DurableObjectBranded {
  fetch(request: Request): Promise<Response>;
  ensureArmed(): Promise<ArmResult>;
  /** Refusals the Worker's gate counted (workers/gate.ts), handed over in bulk. */
  noteRefusals(counts: Readonly<Record<string, number>>): Promise<void>;
}
