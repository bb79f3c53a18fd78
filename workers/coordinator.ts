/**
 * The Cloudflare coordinator: one Durable Object (named `coordinator`) that serves core's HTTP
 * API (createCoordinatorApp) over its SQLite storage, and whose alarm runs coordinator.tick()
 * every probing interval (notices silence, expires overrides, retries pending DNS flips) and
 * sweeps expired nonces and old audit entries. No decision logic here: it is all in core.
 */
import { DurableObject } from 'cloudflare:workers';
import { createCoordinatorApp } from '../core/coordinator/wiring.ts';
import type { Notifier } from '../core/coordinator/coordinator.ts';
import { webhookNotifierFromConfig } from '../core/notify/webhook.ts';
import { systemClock } from '../core/ports.ts';
import { envKeyResolver } from '../core/signing/keys.ts';
import { workerConfig } from './config.ts';
import { dnsProviderFactory } from './dns.ts';
import { stringVars, type Env } from './env.ts';
import { workerLogger } from './log.ts';
import { nextSlotStart } from './schedule.ts';
import { DurableNonceStore } from './storage/nonce-store.ts';
import { DurableStateStore } from './storage/state-store.ts';

type Wired = ReturnType<typeof createCoordinatorApp>;

const notifierOption = (notifier: Notifier | undefined) => (notifier ? { notifier } : {});

export class CoordinatorObject extends DurableObject<Env> {
  readonly store: DurableStateStore;
  readonly nonces: DurableNonceStore;
  private wired: Wired | undefined;
  private readonly logger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.logger = workerLogger('coordinator', env.LOG_LEVEL);
    // Synchronous SQL: the tables exist before any request is delivered, no blockConcurrencyWhile needed.
    this.store = new DurableStateStore(ctx.storage);
    this.nonces = new DurableNonceStore(ctx.storage);
  }

  /**
   * Built on first use rather than in the constructor: a missing key secret then fails the
   * request (500, logged with the variable to set) instead of every call to the object.
   */
  private app(): Wired {
    if (!this.wired) {
      const config = workerConfig();
      this.wired = createCoordinatorApp({
        name: 'cloudflare', config, store: this.store, nonces: this.nonces,
        keys: envKeyResolver(config.keys, stringVars(this.env)),
        clock: systemClock, logger: this.logger, dnsProvider: dnsProviderFactory(this.env),
        // Webhook URLs named by urlFromEnv are Worker secrets of that name (wrangler secret put).
        ...notifierOption(webhookNotifierFromConfig(config, stringVars(this.env), { coordinator: 'cloudflare', fetch: (i, init) => fetch(i, init), clock: systemClock, logger: this.logger })),
      });
    }
    return this.wired;
  }

  override async fetch(request: Request): Promise<Response> {
    let wired: Wired;
    try {
      wired = this.app();
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      this.logger.error('coordinator cannot start', { error: detail });
      return Response.json({ error: 'misconfigured', detail: 'the coordinator cannot start; see its logs' }, { status: 500 });
    }
    return wired.app.fetch(request);
  }

  /** RPC from the watchdog: make sure the tick clock runs. */
  async ensureArmed(): Promise<{ alarmAt: number; rearmed: boolean }> {
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
    const decisions = await this.app().coordinator.tick();
    this.logger.debug('tick', { decisions: decisions.length, noncesSwept: nonces, auditSwept: audit });
  }

  private intervalMs(): number {
    return workerConfig().probing.intervalSeconds * 1000;
  }
}
