/**
 * The probe Lambda, one per configured AWS region, invoked every minute by EventBridge. Each
 * invocation runs floor(60 / interval) rounds spaced by the interval; after each round the batch
 * is posted to every coordinator in parallel WITHOUT waiting before the next round's timer, so a
 * slow coordinator never delays probing. All posts are settled before returning (Lambda freezes
 * a returned invocation). Probing and posting are core/probe; this only schedules them.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { VantagePoint } from '#core/model.ts';
import { configuredCoordinators, DEFAULT_POST_TIMEOUT_MS, postObservations, type PostResult } from '#core/probe/post.ts';
import { runRound } from '#core/probe/round.ts';
import type { TcpConnect } from '#core/probe/tcp.ts';
import { realSleep, systemClock, type Clock, type Fetch, type Logger, type Sleep } from '#core/ports.ts';
import { decodeHexSecret } from '#core/signing/keys.ts';
import { hmacSigner } from '#core/signing/signer.ts';
import { bundledConfig } from './bundled-config.ts';
import { lambdaLogger, requireEnv } from './lambda-env.ts';
import { nodeTcpConnect } from './runtime/node-tcp.ts';
import { keyParameterName, SsmSecretSource, type SecretSource } from './secrets.ts';

export interface ProbeHandlerDeps {
  readonly config: () => LifeboatConfig;
  /** This function's region: the vantage point is `aws:<region>`. */
  readonly region: string;
  /** The probe-scope key this fleet signs with, and where its secret is. */
  readonly keyId: string;
  readonly secrets: () => SecretSource;
  readonly keyParameterPrefix: string;
  readonly logger: Logger;
  readonly fetch?: Fetch;
  readonly tcpConnect?: TcpConnect;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  readonly postTimeoutMs?: number;
  /** Wall time one invocation covers: the schedule's period (default 60 s). */
  readonly windowMs?: number;
}

export interface ProbeSummary {
  readonly vantagePoint: VantagePoint;
  readonly rounds: number;
  readonly planned: number;
  /** True when rounds were skipped because the invocation was running out of time. */
  readonly stoppedEarly: boolean;
  readonly posts: readonly (readonly PostResult[])[];
}

export type ProbeHandler = (event: ScheduledEvent, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<ProbeSummary>;

/** Rounds per invocation: one minute of rounds at the configured interval (at least one). */
export function roundsPerInvocation(intervalSeconds: number, windowMs = 60_000): number {
  return Math.max(1, Math.floor(windowMs / 1000 / intervalSeconds));
}

/** Longest a round can take: probe, rapid recheck, probe again, then the posts' timeout, plus slack. */
export function roundBudgetMs(config: LifeboatConfig, postTimeoutMs: number): number {
  const probe = Math.max(...config.services.map((s) => s.healthCheck.timeoutMs));
  return 2 * probe + config.probing.recheckDelayMs + postTimeoutMs + 1_000;
}

export function createProbeHandler(deps: ProbeHandlerDeps): ProbeHandler {
  const clock = deps.clock ?? systemClock;
  const sleep = deps.sleep ?? realSleep;
  const fetchFn = deps.fetch ?? ((input, init) => fetch(input, init));
  const postTimeoutMs = deps.postTimeoutMs ?? DEFAULT_POST_TIMEOUT_MS;
  const { logger } = deps;
  const vantagePoint = `aws:${deps.region}` as const;
  let secret: Promise<Uint8Array> | undefined;
  const signingSecret = () => {
    if (!secret) {
      secret = deps.secrets().get(keyParameterName(deps.keyParameterPrefix, deps.keyId)).then((hex) => decodeHexSecret(hex, deps.keyId));
      secret.catch(() => { secret = undefined; });
    }
    return secret;
  };

  return async (_event, context) => {
    const config = deps.config();
    const endpoints = configuredCoordinators(config.coordinators);
    const intervalMs = config.probing.intervalSeconds * 1000;
    const planned = roundsPerInvocation(config.probing.intervalSeconds, deps.windowMs);
    const budget = roundBudgetMs(config, postTimeoutMs);
    if (endpoints.length === 0) logger.error('no coordinators configured: observations go nowhere (set coordinators.aws.url / coordinators.cloudflare.url)', { vantagePoint });
    const key = await signingSecret();
    const started = clock.now();
    const posts: Promise<PostResult[]>[] = [];
    let rounds = 0;
    let stoppedEarly = false;

    for (let i = 0; i < planned; i++) {
      const wait = started + i * intervalMs - clock.now();
      if (wait > 0) await sleep(wait);
      // Room for this round and its posts, or stop: a killed invocation loses its pending posts.
      if (context.getRemainingTimeInMillis() < budget) {
        stoppedEarly = true;
        logger.warn('stopping early: not enough time left for another round', { vantagePoint, round: i, remainingMs: context.getRemainingTimeInMillis(), budgetMs: budget });
        break;
      }
      const now = clock.now();
      const batch = await runRound(
        { config, vantagePoint, round: Math.floor(now / intervalMs), ranIn: deps.region },
        { fetch: fetchFn, tcpConnect: deps.tcpConnect ?? nodeTcpConnect, sleep, clock, logger },
      );
      rounds++;
      if (endpoints.length > 0) {
        posts.push(postObservations(batch, endpoints, { fetch: fetchFn, clock, signer: hmacSigner(deps.keyId, key), timeoutMs: postTimeoutMs, logger }));
      }
      const unhealthy = batch.results.filter((r) => r.verdict === 'unhealthy').length;
      logger.info('round', { vantagePoint, round: batch.round, controlOk: batch.controlOk, results: batch.results.length, unhealthy });
    }

    const results = await Promise.all(posts);
    const failed = results.flat().filter((r) => !r.ok);
    logger.info('invocation done', { vantagePoint, rounds, planned, stoppedEarly, posts: results.flat().length, failedPosts: failed.length });
    return { vantagePoint, rounds, planned, stoppedEarly, posts: results };
  };
}

export function defaultProbeDeps(env: NodeJS.ProcessEnv = process.env): ProbeHandlerDeps {
  const region = requireEnv(env, 'AWS_REGION');
  return {
    config: bundledConfig,
    region,
    keyId: requireEnv(env, 'LIFEBOAT_PROBE_KEY_ID'),
    keyParameterPrefix: requireEnv(env, 'LIFEBOAT_KEY_PARAMETER_PREFIX'),
    // The key is read in this function's own region, so a probe never depends on another region.
    secrets: () => new SsmSecretSource(new SSMClient({ region })),
    logger: lambdaLogger(env, { vantagePoint: `aws:${region}` }),
  };
}

let production: ProbeHandler | undefined;

/** The Lambda entry point. Built on first invocation: importing this module does no I/O. */
export const handler: ProbeHandler = (event, context) => {
  production ??= createProbeHandler(defaultProbeDeps());
  return production(event, context);
};
