/**
 * One vantage round, the same in every runtime (the probe Lambda, the prober Durable Object, the
 * local run and the simulator): probe every target (rapid recheck; a prober that reaches nothing
 * abstains), sign, post to every coordinator in parallel, and summarise the round in one log line.
 * Every piece of the outside world (fetch, sockets, timers, clock, signer, endpoints) is injected.
 */
import type { ObservationBatch } from '../model.ts';
import { silentLogger, type Fetch } from '../ports.ts';
import type { RequestSigner } from '../signing/signer.ts';
import { DEFAULT_POST_TIMEOUT_MS, postObservations, type CoordinatorEndpoint, type PostResult } from './post.ts';
import { runRound, type RoundDeps, type RoundInput } from './round.ts';

export interface VantageRoundInput extends RoundInput {
  /** Where to post; an empty list is a deployment error, logged every round. */
  readonly endpoints: readonly CoordinatorEndpoint[];
}

export interface VantageDeps extends RoundDeps {
  /** Signs each post; the scheme is chosen where the key is loaded (core/signing/signer.ts). */
  readonly signer: RequestSigner;
  /** Fetch for the posts when it differs from the probes' (e.g. through a Durable Object binding). */
  readonly postFetch?: Fetch;
  readonly postTimeoutMs?: number;
  /** Aborted when the fleet is stopping: a round that finishes probing after that posts nothing. */
  readonly signal?: AbortSignal;
}

export interface VantageCounts {
  readonly healthy: number;
  readonly unhealthy: number;
  readonly abstain: number;
  readonly postsOk: number;
  readonly postsFailed: number;
}

export interface VantageSummary {
  readonly batch: ObservationBatch;
  /** One per coordinator, in the order of `endpoints`; empty when stopped before posting. */
  readonly posts: readonly PostResult[];
  readonly counts: VantageCounts;
}

export const NO_COORDINATORS_MESSAGE = 'no coordinators configured: observations go nowhere (set coordinators.aws.url / coordinators.cloudflare.url)';

export async function runVantageRound(input: VantageRoundInput, deps: VantageDeps): Promise<VantageSummary> {
  const logger = deps.logger ?? silentLogger;
  // Probing leaves room for the posts inside the interval: a round's vote lands before the next round.
  const probeWindowMs = input.config.probing.intervalSeconds * 1000 - (deps.postTimeoutMs ?? DEFAULT_POST_TIMEOUT_MS);
  const batch = await runRound({ ...input, probeWindowMs }, deps);
  if (input.endpoints.length === 0) logger.error(NO_COORDINATORS_MESSAGE, { vantagePoint: input.vantagePoint });
  const posts = deps.signal?.aborted ? [] : await postObservations(batch, input.endpoints, {
    fetch: deps.postFetch ?? deps.fetch,
    clock: deps.clock,
    signer: deps.signer,
    ...(deps.postTimeoutMs !== undefined && { timeoutMs: deps.postTimeoutMs }),
    ...(deps.timer !== undefined && { timer: deps.timer }),
    logger,
  });
  const summary: VantageSummary = { batch, posts, counts: countRound(batch, posts) };
  logger.info('round done', roundLogFields(summary));
  return summary;
}

export function countRound(batch: ObservationBatch, posts: readonly PostResult[]): VantageCounts {
  const verdicts = (v: string) => batch.results.filter((r) => r.verdict === v).length;
  const postsOk = posts.filter((p) => p.ok).length;
  return { healthy: verdicts('healthy'), unhealthy: verdicts('unhealthy'), abstain: verdicts('abstain'), postsOk, postsFailed: posts.length - postsOk };
}

/** The one log line of a round: what was seen and how each post went (never a secret or a body). */
export function roundLogFields({ batch, posts, counts }: VantageSummary): Record<string, unknown> {
  return {
    vantagePoint: batch.vantagePoint, round: batch.round, controlOk: batch.controlOk, ...counts,
    posted: posts.map((p) => `${p.coordinator}:${p.ok ? p.status : p.error ?? p.status}`),
  };
}
