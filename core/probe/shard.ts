/**
 * Splitting one vantage point's round across invocations when one invocation cannot hold it:
 * a Worker gets 6 connections and a bounded number of subrequests, so 2,000 targets at 200 ms
 * each take 67 s through one Worker; 11 Durable Objects per location, each probing a slice of
 * the services and posting its own batch, finish inside a 10 s interval. Both targets of a
 * service stay in one shard, so one batch always carries a service's primary and secondary.
 */
import type { LifeboatConfig, ServiceConfig } from '../config/schema.ts';
import { TARGET_ROLES } from '../model.ts';
import type { RuntimeLimits } from './connections.ts';
import { ConfigurationError } from '../errors.ts';

export interface ProbeShard {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

export interface ShardLimits extends RuntimeLimits {
  /** The time one invocation may probe for (the interval less the posts' timeout). */
  readonly windowMs: number;
  /** A probe's usual duration, used to fit a shard in the window; a probe that times out takes longer. */
  readonly expectedLatencyMs?: number;
  /** Subrequests kept for the posts and anything else per invocation (default 16). */
  readonly reservedSubrequests?: number;
}

/** A cross-region HTTPS probe with its TLS handshake, measured typical. */
export const EXPECTED_PROBE_LATENCY_MS = 250;
/** Each target may cost a probe and its recheck. */
const ATTEMPTS_PER_TARGET = 2;

/** How many services one invocation can probe inside the window without passing its limits. */
export function servicesPerShard(config: LifeboatConfig, limits: ShardLimits): number {
  const perService = TARGET_ROLES.length;
  const latency = limits.expectedLatencyMs ?? EXPECTED_PROBE_LATENCY_MS;
  const byTime = Math.floor((limits.connections * Math.floor(limits.windowMs / latency)) / perService);
  const byRequests = limits.subrequests === undefined ? Infinity
    : Math.floor((limits.subrequests - config.probing.controlUrls.length - (limits.reservedSubrequests ?? 16)) / (perService * ATTEMPTS_PER_TARGET));
  return Math.max(1, Math.min(byTime, byRequests));
}

/** Shards one round needs under these limits (1 when it fits one invocation). */
export function shardCount(config: LifeboatConfig, limits: ShardLimits): number {
  return Math.max(1, Math.ceil(config.services.length / servicesPerShard(config, limits)));
}

/** The services of one shard: contiguous, near-equal slices of the config's order. */
export function servicesOfShard(services: readonly ServiceConfig[], shard: ProbeShard): readonly ServiceConfig[] {
  if (!Number.isSafeInteger(shard.count) || shard.count < 1) throw new ConfigurationError(`shard.count must be a whole number >= 1, got ${shard.count}`);
  if (!Number.isSafeInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new ConfigurationError(`shard.index must be a whole number in [0, ${shard.count - 1}], got ${shard.index}`);
  }
  const from = Math.floor((services.length * shard.index) / shard.count);
  const to = Math.floor((services.length * (shard.index + 1)) / shard.count);
  return services.slice(from, to);
}
