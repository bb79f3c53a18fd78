/**
 * Splitting one vantage point's round across invocations when one invocation cannot hold it:
 * a Worker gets 6 connections and a bounded number of subrequests, so 2,000 targets at 200 ms
 * each take 67 s through one Worker; 11 Durable Objects per location, each probing a slice of
 * the services and posting its own batch, finish inside a 10 s interval. A Lambda gets CPU in
 * proportion to its memory, so a round whose CPU does not fit the window at the configured
 * memory is split across chains (core/probe/chain.ts), one invocation per shard. Both targets of
 * a service stay in one shard, so one batch always carries a service's primary and secondary.
 */
import type { LifeboatConfig, ServiceConfig } from '../config/schema.ts';
import { TARGET_ROLES } from '../model.ts';
import { RUNTIME_LIMITS, type RuntimeLimits } from './connections.ts';
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
  /** CPU: what one target costs and the share of a core one invocation gets (absent: not a limit). */
  readonly cpu?: CpuBudget;
}

export interface CpuBudget {
  /** CPU milliseconds one target costs (its probe and its part of the batch's signing). */
  readonly msPerTarget: number;
  /** Share of one core the invocation gets, 0 < share <= 1. */
  readonly share: number;
}

/** Lambda gives a function one full vCPU at 1,769 MB, and CPU in proportion below that. */
export const LAMBDA_MB_PER_VCPU = 1_769;

/**
 * CPU a Node prober spends per target when each probe opens its own connection (as in
 * production: every target its own origin, and no connection outlives a 10 s interval):
 * bench/round-scale.ts measured 1.85–2.4 ms in a fresh process and 0.75–1.5 ms once warm, plain
 * HTTP on loopback at load 14–17 (docs/benchmarks.md). A chain's container stays warm between
 * rounds; 2 ms leaves room for TLS handshakes, which loopback HTTP does not measure.
 */
export const NODE_CPU_MS_PER_TARGET = 2;

/** A Lambda's CPU budget at its memory size (single-threaded Node uses at most one core). */
export function lambdaCpuBudget(memoryMb: number): CpuBudget {
  if (!Number.isFinite(memoryMb) || memoryMb <= 0) throw new ConfigurationError(`Lambda memory size must be a positive number of MB, got ${memoryMb}`);
  return { msPerTarget: NODE_CPU_MS_PER_TARGET, share: Math.min(1, memoryMb / LAMBDA_MB_PER_VCPU) };
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
  const byCpu = limits.cpu === undefined ? Infinity
    : Math.floor((limits.windowMs * limits.cpu.share) / (limits.cpu.msPerTarget * perService));
  return Math.max(1, Math.min(byTime, byRequests, byCpu));
}

/** Shards one round needs under these limits (1 when it fits one invocation). */
export function shardCount(config: LifeboatConfig, limits: ShardLimits): number {
  return Math.max(1, Math.ceil(config.services.length / servicesPerShard(config, limits)));
}

/** Every shard of a round of `count` shards, in order. */
export function allShards(count: number): ProbeShard[] {
  return Array.from({ length: count }, (_, index) => ({ index, count }));
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

/**
 * How many chains (one invocation each) a Lambda's round needs at `memoryMb`, probing inside the
 * interval less the posts' timeout. Without a memory size (outside Lambda) only the connection
 * cap limits, which 1 shard holds at any size a config allows.
 */
export function lambdaShardCount(config: LifeboatConfig, memoryMb: number | undefined, postTimeoutMs: number): number {
  const windowMs = config.probing.intervalSeconds * 1000 - postTimeoutMs;
  return shardCount(config, { ...RUNTIME_LIMITS.lambda, windowMs, ...(memoryMb !== undefined && { cpu: lambdaCpuBudget(memoryMb) }) });
}
