/**
 * The probe Lambda, one per AWS region, driven by the region's probe chain (core/probe/chain.ts):
 * an SQS message owns one round slot; the invocation claims it, enqueues the next slot's message
 * with a delay, probes once (core/probe/vantage.ts) and returns, so no invocation is billed while
 * waiting for the next round. An EventBridge rule invokes it once a minute as the watchdog,
 * which restarts a broken chain and never doubles a running one. Returns once every post has
 * settled (Lambda freezes a returned invocation).
 */
import type { Context, SQSEvent } from 'aws-lambda';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { VantagePoint } from '#core/model.ts';
import { decodeChainMessage, hop, watchdogShards, type ChainDeps, type NextHop, type WatchdogOutcome } from '#core/probe/chain.ts';
import { lambdaShardCount, type ProbeShard } from '#core/probe/shard.ts';
import { configuredCoordinators, DEFAULT_POST_TIMEOUT_MS, type PostResult } from '#core/probe/post.ts';
import { runVantageRound } from '#core/probe/vantage.ts';
import { realSleep, systemClock } from '#core/ports.ts';
import { probeSignerFrom, type RequestSigner } from '#core/signing/signer.ts';
import { InputError } from '#core/errors.ts';
import { defaultProbeDeps, type ProbeHandlerDeps } from './probe-deps.ts';
import { nodeTcpConnect } from './runtime/node-tcp.ts';
import { keyParameterName } from './secrets.ts';

export { roundBudgetMs } from '#core/probe/schedule.ts';
export { defaultProbeDeps, type ProbeHandlerDeps } from './probe-deps.ts';

/** What the watchdog rule sends (its target input): the handler tells it from an SQS batch. */
export const WATCHDOG_EVENT = { lifeboat: 'watchdog' } as const;
export type WatchdogEvent = typeof WATCHDOG_EVENT;

export type ProbeOutcome =
  /** `shard` is set when the round is sharded: this invocation probed that slice of the services. */
  | { readonly kind: 'round'; readonly slot: number; readonly next: NextHop; readonly posts: readonly PostResult[]; readonly shard?: ProbeShard }
  /** The slot was already claimed: a second chain (or a redelivery) stops here, unprobed. */
  | { readonly kind: 'duplicate'; readonly slot: number; readonly shard?: ProbeShard }
  /** The message was planned for another shard count (the config or memory changed): its chain ends. */
  | { readonly kind: 'stale-shard'; readonly slot: number; readonly shard?: ProbeShard; readonly shards: number }
  /** One per shard's chain (one when the round is not sharded). */
  | { readonly kind: 'watchdog'; readonly outcome: WatchdogOutcome };

export interface ProbeSummary {
  readonly vantagePoint: VantagePoint;
  readonly outcomes: readonly ProbeOutcome[];
}

export type ProbeHandler = (event: SQSEvent | WatchdogEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<ProbeSummary>;

const isWatchdog = (event: SQSEvent | WatchdogEvent): event is WatchdogEvent => (event as WatchdogEvent).lifeboat === 'watchdog';

export function createProbeHandler(deps: ProbeHandlerDeps): ProbeHandler {
  const clock = deps.clock ?? systemClock;
  const sleep = deps.sleep ?? realSleep;
  const fetchFn = deps.fetch ?? ((input, init) => fetch(input, init));
  const postTimeoutMs = deps.postTimeoutMs ?? DEFAULT_POST_TIMEOUT_MS;
  const { logger } = deps;
  const vantagePoint = `aws:${deps.region}` as const;
  // Built once per container: the SDK clients keep their connections between hops.
  let chain: ChainDeps | undefined;
  const chainDeps = () => chain ??= { queue: deps.queue(), claims: deps.claims(), random: deps.random ?? Math.random };
  // Loaded once per container; a failed load (throttled SSM) is retried by the next invocation.
  let signer: Promise<RequestSigner> | undefined;
  const loadSigner = (config: LifeboatConfig) => signer ??= probeSignerFrom(config, vantagePoint, deps.secrets(),
    (keyId) => keyParameterName(deps.keyParameterPrefix, keyId), deps.keyId)
    .catch((error: unknown) => { signer = undefined; throw error; });

  async function round(config: LifeboatConfig, slot: number, shard: ProbeShard | undefined): Promise<readonly PostResult[]> {
    const roundSigner = await loadSigner(config);
    const { posts } = await runVantageRound(
      { config, vantagePoint, round: slot, ranIn: deps.region, endpoints: configuredCoordinators(config.coordinators), ...(shard !== undefined && { shard }) },
      { fetch: fetchFn, tcpConnect: deps.tcpConnect ?? nodeTcpConnect, sleep, clock, logger, signer: roundSigner, postTimeoutMs },
    );
    return posts;
  }

  return async (event) => {
    const config = deps.config();
    const intervalMs = config.probing.intervalSeconds * 1000;
    // The watchdog and every hop plan the same count: same config, same memory size.
    const shards = lambdaShardCount(config, deps.memoryMb, postTimeoutMs);
    if (isWatchdog(event)) {
      const outcomes = await watchdogShards(clock.now(), intervalMs, vantagePoint, chainDeps(), shards);
      for (const outcome of outcomes) {
        if (outcome.kind === 'restarted') logger.warn('probe chain was not running: restarted', { vantagePoint, ...shardFields(outcome.shard), newestClaimed: outcome.newest ?? null, slot: outcome.next.slot, delaySeconds: outcome.next.delaySeconds });
      }
      return { vantagePoint, outcomes: outcomes.map((outcome) => ({ kind: 'watchdog', outcome })) };
    }
    if (!Array.isArray(event.Records)) throw new InputError('probe event: neither the watchdog\'s {"lifeboat":"watchdog"} nor an SQS batch with "Records"');
    const outcomes: ProbeOutcome[] = [];
    for (const record of event.Records) {
      const result = await hop(decodeChainMessage(record.body), clock.now(), intervalMs, vantagePoint, chainDeps(), shards);
      if (result.kind === 'duplicate') {
        logger.info('slot already claimed: this message stops here', { vantagePoint, slot: result.slot, ...shardFields(result.shard) });
        outcomes.push(result);
        continue;
      }
      if (result.kind === 'stale-shard') {
        logger.info('message of another shard plan: this chain ends, the watchdog starts the current ones', { vantagePoint, slot: result.slot, ...shardFields(result.shard), shards });
        outcomes.push(result);
        continue;
      }
      const posts = await round(config, result.slot, result.shard);
      outcomes.push({ kind: 'round', slot: result.slot, next: result.next, posts, ...(result.shard !== undefined && { shard: result.shard }) });
    }
    return { vantagePoint, outcomes };
  };
}

const shardFields = (shard: ProbeShard | undefined) => (shard === undefined ? {} : { shard: `${shard.index + 1}/${shard.count}` });

let production: ProbeHandler | undefined;

/** The Lambda entry point. Built on first invocation: importing this module does no I/O. */
export const handler: ProbeHandler = (event, context) => {
  production ??= createProbeHandler(defaultProbeDeps());
  return production(event, context);
};
