/**
 * A Cloudflare vantage point: one Durable Object per configured location hint, clocked by its
 * own alarm (the cron in index.ts is only a watchdog that re-arms it). Each alarm re-arms the
 * next slot FIRST, so a crash mid-round never stops the clock, then runs core's vantage round
 * (core/probe/vantage.ts) unless this slot already ran (alarms are at-least-once).
 */
import { DurableObject } from 'cloudflare:workers';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { realSleep, systemClock } from '#core/ports.ts';
import { runVantageRound } from '#core/probe/vantage.ts';
import { workerConfig } from './config.ts';
import type { Env } from './env.ts';
import { workerLogger } from './log.ts';
import { probeEndpoints, probeSigner } from './probe-deps.ts';
import { nextProbeAt, slotOf } from './schedule.ts';
import type { ArmResult, LastRound, LocationHint, ProberRpc, ProberStatus } from './bindings.ts';
import { workerTcpConnect } from './tcp.ts';

export type { ArmResult, LastRound } from './bindings.ts';

export class Prober extends DurableObject<Env> implements ProberRpc {
  private hint: LocationHint | undefined;
  /** Highest slot a round was started for; a repeat alarm for it is skipped. */
  private lastSlot = -1;
  private readonly logger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.logger = workerLogger('prober', env.LOG_LEVEL);
    void ctx.blockConcurrencyWhile(async () => {
      this.hint = await ctx.storage.get<LocationHint>('hint');
      this.lastSlot = (await ctx.storage.get<number>('lastSlot')) ?? -1;
    });
  }

  /** RPC from the watchdog: remember which hint this object serves and make sure the clock runs. */
  async ensureArmed(hint: LocationHint): Promise<ArmResult> {
    if (this.hint !== hint) {
      this.hint = hint;
      await this.ctx.storage.put('hint', hint);
    }
    const current = await this.ctx.storage.getAlarm();
    if (current !== null) return { alarmAt: current, rearmed: false };
    const alarmAt = nextProbeAt(Date.now(), intervalMs(workerConfig()), `cloudflare:${hint}`, Math.random);
    await this.ctx.storage.setAlarm(alarmAt);
    this.logger.warn('prober alarm was not set: re-armed by the watchdog', { hint, alarmAt });
    return { alarmAt, rearmed: true };
  }

  /** RPC: what this prober last did (for operators and tests). */
  async status(): Promise<ProberStatus> {
    return {
      hint: this.hint, lastSlot: this.lastSlot,
      alarmAt: await this.ctx.storage.getAlarm(),
      lastRound: (await this.ctx.storage.get<LastRound>('lastRound')) ?? null,
    };
  }

  override async alarm(): Promise<void> {
    const config = workerConfig();
    const hint = this.hint;
    if (!hint || !config.vantagePoints.cloudflare.includes(hint)) {
      // Not (or no longer) configured: let the clock stop; the watchdog only arms configured hints.
      this.logger.warn('prober alarm for a location not in the config: not re-arming', { hint });
      return;
    }
    const every = intervalMs(config);
    const now = Date.now();
    await this.ctx.storage.setAlarm(nextProbeAt(now, every, `cloudflare:${hint}`, Math.random));
    const slot = slotOf(now, every);
    if (slot <= this.lastSlot) {
      this.logger.info('duplicate alarm for a slot that already ran: skipped', { hint, slot });
      return;
    }
    // Claimed before the work: a retry after a crash mid-round skips the slot rather than posting twice.
    this.lastSlot = slot;
    await this.ctx.storage.put('lastSlot', slot);
    await this.ctx.storage.put('lastRound', await this.round(config, hint, slot, now));
  }

  private async round(config: LifeboatConfig, hint: LocationHint, slot: number, startedAt: number): Promise<LastRound> {
    try {
      const signer = await probeSigner(config, this.env, `cloudflare:${hint}`);
      const { endpoints, fetch: postFetch } = probeEndpoints(config, this.env);
      // ranIn stays unset: an alarm has no request.cf, and the colo cannot be learnt without network.
      const { batch, posts } = await runVantageRound({ config, vantagePoint: `cloudflare:${hint}`, round: slot, endpoints }, {
        fetch: (input, init) => fetch(input, init), postFetch, tcpConnect: workerTcpConnect, sleep: realSleep, clock: systemClock, logger: this.logger, signer,
      });
      return { slot, startedAt, controlOk: batch.controlOk, results: batch.results.length, posted: posts };
    } catch (err) {
      // Logged and kept in storage, not rethrown: a throw makes the runtime retry the alarm,
      // which would only skip (the slot is claimed) and could disturb the armed next slot.
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.logger.error('round failed', { hint, slot, error });
      return { slot, startedAt, error };
    }
  }
}

function intervalMs(config: LifeboatConfig): number {
  return config.probing.intervalSeconds * 1000;
}
