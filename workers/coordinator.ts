/**
 * The Cloudflare coordinator: one Durable Object (named `coordinator`) that serves core's HTTP
 * API over its SQLite storage, and whose alarm runs coordinator.tick() every probing interval
 * (notices silence, expires overrides, retries pending DNS flips) and sweeps expired nonces and
 * old audit entries. Composed by core (core/coordinator/compose.ts) from Worker secrets, exactly
 * as the Lambda is from SSM: no decision logic and no secret handling here.
 */
import { DurableObject } from 'cloudflare:workers';
import { composeCoordinator, type Composition } from '#core/coordinator/compose.ts';
import { systemClock } from '#core/ports.ts';
import type { ArmResult, CoordinatorRpc } from './bindings.ts';
import { workerConfig } from './config.ts';
import { workerDnsClients } from './dns.ts';
import { workerDnsTransport } from './dns-transport.ts';
import { workerSecretNames, workerSecrets, type Env } from './env.ts';
import { workerLogger } from './log.ts';
import { nextSlotStart } from './schedule.ts';
import type { Logger } from '#core/ports.ts';
import type { MetricsSink } from '#core/notify/metrics.ts';
import { DurableNonceStore } from './storage/nonce-store.ts';
import { DurableStateStore } from './storage/state-store.ts';

export class CoordinatorObject extends DurableObject<Env> implements CoordinatorRpc {
  readonly store: DurableStateStore;
  readonly nonces: DurableNonceStore;
  private composed: Promise<Composition> | undefined;
  private readonly logger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.logger = workerLogger('coordinator', env.LOG_LEVEL);
    // Synchronous SQL: the tables exist before any request is delivered, no blockConcurrencyWhile needed.
    this.store = new DurableStateStore(ctx.storage);
    this.nonces = new DurableNonceStore(ctx.storage);
  }

  /** Built on first use; a failure (an invalid config) is not remembered, so a fix needs no restart. */
  private app(): Promise<Composition> {
    this.composed ??= composeCoordinator({
      name: 'cloudflare', config: workerConfig(), store: this.store, nonces: this.nonces,
      clock: systemClock, logger: this.logger, fetch: (i, init) => fetch(i, init),
      secrets: workerSecrets(this.env), secretNames: workerSecretNames, ...workerDnsClients(this.env), dnsTransport: workerDnsTransport,
      metrics: logMetrics(this.logger),
      ...(this.env.LIFEBOAT_DATA_PLANE_SECRET ? { dataPlaneSecret: this.env.LIFEBOAT_DATA_PLANE_SECRET } : {}),
    });
    this.composed.catch(() => { this.composed = undefined; });
    return this.composed;
  }

  override async fetch(request: Request): Promise<Response> {
    let composed: Composition;
    try {
      composed = await this.app();
    } catch (err) {
      this.logger.error('coordinator cannot start', { error: err instanceof Error ? err.message : String(err) });
      return Response.json({ error: 'misconfigured', detail: 'the coordinator cannot start; see its logs' }, { status: 500 });
    }
    return composed.app.fetch(request);
  }

  /** RPC from the Worker's gate: refusals it counted, shown in status and in the aggregate entry. */
  async noteRefusals(counts: Readonly<Record<string, number>>): Promise<void> {
    (await this.app()).refusals.merge(counts);
  }

  /** RPC from the watchdog: make sure the tick clock runs. */
  async ensureArmed(): Promise<ArmResult> {
    const current = await this.ctx.storage.getAlarm();
    if (current !== null) return { alarmAt: current, rearmed: false };
    const alarmAt = nextSlotStart(Date.now(), this.intervalMs());
    await this.ctx.storage.setAlarm(alarmAt);
    return { alarmAt, rearmed: true };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    // Re-armed first so that a failing tick never stops the clock.
    await this.ctx.storage.setAlarm(nextSlotStart(now, this.intervalMs()));
    const nonces = this.nonces.sweep(now);
    const audit = this.store.sweepAudit(now);
    const composed = await this.app();
    const decisions = await composed.coordinator.tick();
    // The aggregate refusal entry (one a minute at most) and the check of the AWS coordinator (once a minute).
    await composed.housekeeping();
    this.logger.debug('tick', { decisions: decisions.length, noncesSwept: nonces, auditSwept: audit });
  }

  private intervalMs(): number {
    return workerConfig().probing.intervalSeconds * 1000;
  }
}

/** Metrics on Cloudflare: one structured line each, queryable in Workers Logs (`message = "metric"`). */
function logMetrics(logger: Logger): MetricsSink {
  return { count: (metric, value, dimensions) => logger.info('metric', { metric, value, ...dimensions }) };
}
