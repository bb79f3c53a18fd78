/**
 * One vantage point's round: probe the primary and the secondary of every service, check that
 * this prober can reach the internet at all, and package the votes as an ObservationBatch.
 */
import type { LifeboatConfig, ServiceConfig } from '../config/schema.ts';
import { TARGET_ROLES, type BatchResult, type ObservationBatch, type ProbeResult, type TargetRole, type VantagePoint } from '../model.ts';
import { silentLogger, type Clock, type Fetch, type Logger, type Sleep } from '../ports.ts';
import { hadNetworkAnswer } from './classify.ts';
import { ConnectionGate, RUNTIME_LIMITS } from './connections.ts';
import { startDeadline } from './deadline.ts';
import { BODY_NOT_NEEDED } from './http.ts';
import { probeWithRecheck } from './probe.ts';
import type { TcpConnect } from './ports.ts';
import { servicesOfShard, type ProbeShard } from './shard.ts';
import { MissingTcpConnectError } from './tcp.ts';

export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_CONTROL_TIMEOUT_MS = 5_000;

export interface RoundInput {
  readonly config: LifeboatConfig;
  readonly vantagePoint: VantagePoint;
  readonly round: number;
  readonly ranIn?: string;
  /**
   * How long the probing may take, rechecks included (core/probe/vantage.ts: the interval less the
   * posts' timeout, so a whole round fits in its interval). Only a recheck's deadline is cut short.
   */
  readonly probeWindowMs?: number;
  /** Probe only this shard's services (core/probe/shard.ts); absent: all of them. */
  readonly shard?: ProbeShard;
}

export interface RoundDeps {
  readonly fetch: Fetch;
  readonly tcpConnect?: TcpConnect;
  readonly sleep: Sleep;
  readonly clock: Clock;
  /** Waits out probe and control deadlines (default: real timers; the simulator passes virtual time). */
  readonly timer?: Sleep;
  /**
   * Most connections open at once, probes and control checks together: the runtime's cap
   * (RUNTIME_LIMITS.workers.connections in a Worker). Default: enough for every target to time out
   * once inside the probe window (roundConcurrency), at least 16.
   */
  readonly concurrency?: number;
  /** Told the gate's peak after the round (benchmarks and tests). */
  readonly onConnectionsPeak?: (peak: number) => void;
  /** Deadline for each control URL (default 5 s). */
  readonly controlTimeoutMs?: number;
  /** Receives probe failure details, which the batch itself does not carry. */
  readonly logger?: Logger;
}

/** Runs `fn` over `items` with at most `limit` calls pending; results keep the input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

/**
 * True as soon as any control URL gives any HTTP response (even a 500: the prober is online).
 * Never rejects. Aborting `stop` gives up early (the targets already proved connectivity).
 */
export async function reachesAnyControl(urls: readonly string[], fetch: Fetch, timeoutMs: number, stop: AbortSignal, timer?: Sleep, gate?: ConnectionGate): Promise<boolean> {
  if (urls.length === 0) return false;
  const controller = new AbortController();
  const deadline = startDeadline(timeoutMs, timer);
  deadline.signal.addEventListener('abort', () => controller.abort(), { once: true });
  const abort = (): void => controller.abort();
  stop.addEventListener('abort', abort, { once: true });
  // Settles on abort even if a fetch implementation ignores its signal.
  const aborted = new Promise<never>((_, reject) =>
    controller.signal.addEventListener('abort', () => reject(new Error('control check stopped')), { once: true }));
  try {
    const check = async (url: string): Promise<void> => {
      const response = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: controller.signal });
      await response.body?.cancel(BODY_NOT_NEEDED).catch(() => {});
    };
    await Promise.race([aborted, Promise.any(urls.map((url) => (gate ? gate.run(() => check(url)) : check(url))))]);
    return true;
  } catch {
    return false;
  } finally {
    deadline.clear();
    stop.removeEventListener('abort', abort);
    controller.abort();
  }
}

interface Job {
  readonly service: ServiceConfig;
  readonly role: TargetRole;
}

interface Outcome extends Job {
  readonly result: ProbeResult;
  readonly observedAt: number;
}

function toBatchResult({ service, role, result, observedAt }: Outcome, controlOk: boolean): BatchResult {
  return {
    service: service.name,
    target: role,
    // A prober that reached nothing knows nothing: it must not vote anyone down.
    verdict: !controlOk ? 'abstain' : result.ok ? 'healthy' : 'unhealthy',
    observedAt,
    ...(result.failure !== undefined && { failure: result.failure }),
    latencyMs: result.latencyMs,
  };
}

/**
 * The default connection cap: enough that every target could time out once inside the window
 * (a whole site down and blackholed), never below 16 nor above what a Lambda can hold open.
 */
export function roundConcurrency(config: LifeboatConfig, windowMs: number | undefined): number {
  if (windowMs === undefined || windowMs <= 0) return DEFAULT_CONCURRENCY;
  const busyMs = config.services.reduce((sum, s) => sum + TARGET_ROLES.length * s.healthCheck.timeoutMs, 0);
  return Math.min(RUNTIME_LIMITS.lambda.connections, Math.max(DEFAULT_CONCURRENCY, Math.ceil(busyMs / windowMs)));
}

export async function runRound(input: RoundInput, deps: RoundDeps): Promise<ObservationBatch> {
  const config = input.shard ? { ...input.config, services: [...servicesOfShard(input.config.services, input.shard)] } : input.config;
  const logger = deps.logger ?? silentLogger;
  // A missing socket adapter is a deployment bug; voting every tcp target down would hide it.
  if (!deps.tcpConnect && config.services.some((s) => s.healthCheck.type === 'tcp')) {
    throw new MissingTcpConnectError();
  }

  // One gate for the whole round; the control checks queue first, so they never wait on probes.
  const gate = new ConnectionGate(Math.max(1, Math.floor(deps.concurrency ?? roundConcurrency(config, input.probeWindowMs))));
  const targetsAnswered = new AbortController();
  const control = reachesAnyControl(config.probing.controlUrls, deps.fetch,
    deps.controlTimeoutMs ?? DEFAULT_CONTROL_TIMEOUT_MS, targetsAnswered.signal, deps.timer, gate);

  const jobs: Job[] = config.services.flatMap((service) =>
    TARGET_ROLES.map((role) => ({ service, role })));

  const roundStarted = deps.clock.now();
  const recheckEndsBy = input.probeWindowMs === undefined ? undefined : roundStarted + input.probeWindowMs;
  // Every job is started; the gate, not the job count, bounds the connections, so a job sleeping
  // before its recheck holds none.
  const outcomes = await mapWithConcurrency(jobs, jobs.length, async (job): Promise<Outcome> => {
    const started = deps.clock.now();
    let result: ProbeResult;
    try {
      result = await probeWithRecheck(job.service.healthCheck, job.service[job.role],
        config.probing.recheckDelayMs, { ...deps, gate }, recheckEndsBy);
    } catch (error) {
      // A bug or a surprise in one probe must cost one vote, not the whole round.
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      result = { ok: false, failure: 'network', latencyMs: Math.max(0, deps.clock.now() - started), detail: `probe crashed: ${reason.slice(0, 200)}` };
    }
    if (!result.ok) {
      logger.warn('probe failed', { service: job.service.name, target: job.role, failure: result.failure, detail: result.detail, rechecked: result.rechecked });
    }
    return { ...job, result, observedAt: deps.clock.now() };
  });

  const answered = outcomes.some((o) => hadNetworkAnswer(o.result));
  if (answered) targetsAnswered.abort();
  const controlOk = answered || await control;
  deps.onConnectionsPeak?.(gate.peak);
  if (!controlOk) logger.warn('control check failed: abstaining this round', { vantagePoint: input.vantagePoint, round: input.round });

  return {
    vantagePoint: input.vantagePoint,
    round: input.round,
    sentAt: deps.clock.now(),
    ...(input.ranIn !== undefined && { ranIn: input.ranIn }),
    controlOk,
    results: outcomes.map((o) => toBatchResult(o, controlOk)),
  };
}
