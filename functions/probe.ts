/**
 * The probe Lambda, one per AWS region, invoked every minute by EventBridge: one minute of core's
 * vantage rounds (core/probe/vantage.ts) on the interval, none waiting for an earlier one's posts,
 * and no new round when too little time is left for it. Returns once every post has settled
 * (Lambda freezes a returned invocation).
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { VantagePoint } from '#core/model.ts';
import { configuredCoordinators, DEFAULT_POST_TIMEOUT_MS, type PostResult } from '#core/probe/post.ts';
import { probeOffsetMs, roundBudgetMs, roundsInWindow, roundsOnInterval, slotOf } from '#core/probe/schedule.ts';
import { runVantageRound } from '#core/probe/vantage.ts';
import { realSleep, systemClock } from '#core/ports.ts';
import { probeSignerFrom, type RequestSigner } from '#core/signing/signer.ts';
import { defaultProbeDeps, type ProbeHandlerDeps } from './probe-deps.ts';
import { nodeTcpConnect } from './runtime/node-tcp.ts';
import { keyParameterName } from './secrets.ts';

export { roundBudgetMs, roundsInWindow as roundsPerInvocation } from '#core/probe/schedule.ts';
export { defaultProbeDeps, type ProbeHandlerDeps } from './probe-deps.ts';

export interface ProbeSummary {
  readonly vantagePoint: VantagePoint;
  readonly rounds: number;
  readonly planned: number;
  /** True when rounds were skipped because the invocation was running out of time. */
  readonly stoppedEarly: boolean;
  readonly posts: readonly (readonly PostResult[])[];
}

export type ProbeHandler = (event: ScheduledEvent, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<ProbeSummary>;

export function createProbeHandler(deps: ProbeHandlerDeps): ProbeHandler {
  const clock = deps.clock ?? systemClock;
  const sleep = deps.sleep ?? realSleep;
  const fetchFn = deps.fetch ?? ((input, init) => fetch(input, init));
  const postTimeoutMs = deps.postTimeoutMs ?? DEFAULT_POST_TIMEOUT_MS;
  const { logger } = deps;
  const vantagePoint = `aws:${deps.region}` as const;
  // Loaded once per container; a failed load (throttled SSM) is retried by the next invocation.
  let signer: Promise<RequestSigner> | undefined;
  const loadSigner = (config: LifeboatConfig) => signer ??= probeSignerFrom(config, vantagePoint, deps.secrets(),
    (keyId) => keyParameterName(deps.keyParameterPrefix, keyId), deps.keyId)
    .catch((error: unknown) => { signer = undefined; throw error; });

  return async (_event, context) => {
    const config = deps.config();
    const endpoints = configuredCoordinators(config.coordinators);
    const intervalMs = config.probing.intervalSeconds * 1000;
    const planned = roundsInWindow(config.probing.intervalSeconds, deps.windowMs);
    const budget = roundBudgetMs(config, postTimeoutMs);
    const roundSigner = await loadSigner(config);
    const posts: (readonly PostResult[])[] = [];
    let stoppedEarly = false;
    const rounds = await roundsOnInterval({
      // Each region probes at its own phase in the interval (plus jitter), not all at the cron's instant.
      firstAt: clock.now() + probeOffsetMs(vantagePoint, intervalMs, Math.random), intervalMs, count: planned, sleep, clock,
      // Room for this round and its posts, or stop: a killed invocation loses its pending posts.
      mayStart: (i) => {
        if (context.getRemainingTimeInMillis() >= budget) return true;
        stoppedEarly = true;
        logger.warn('stopping early: not enough time left for another round', { vantagePoint, round: i, remainingMs: context.getRemainingTimeInMillis(), budgetMs: budget });
        return false;
      },
    }, async (i) => {
      const { posts: roundPosts } = await runVantageRound(
        { config, vantagePoint, round: slotOf(clock.now(), intervalMs), ranIn: deps.region, endpoints },
        { fetch: fetchFn, tcpConnect: deps.tcpConnect ?? nodeTcpConnect, sleep, clock, logger, signer: roundSigner, postTimeoutMs },
      );
      posts[i] = roundPosts;
    });

    const all = posts.filter(Boolean);
    logger.info('invocation done', { vantagePoint, rounds, planned, stoppedEarly, posts: all.flat().length, failedPosts: all.flat().filter((r) => !r.ok).length });
    return { vantagePoint, rounds, planned, stoppedEarly, posts: all };
  };
}

let production: ProbeHandler | undefined;

/** The Lambda entry point. Built on first invocation: importing this module does no I/O. */
export const handler: ProbeHandler = (event, context) => {
  production ??= createProbeHandler(defaultProbeDeps());
  return production(event, context);
};
