/**
 * A Cloudflare vantage point: one Durable Object per configured location hint, clocked by its
 * own alarm (the cron in index.ts is only a watchdog that re-arms it). Each alarm re-arms the
 * next slot FIRST, so a crash mid-round never stops the clock, then runs core's vantage round
 * (core/probe/vantage.ts) unless this slot already ran (alarms are at-least-once).
 *
 * A Worker holds 6 connections and a bounded number of subrequests per invocation (the probe
 * code enforces both: local workerd does not). When core/probe/shard.ts says the round does not
 * fit one invocation, the hint's object (shard 0) arms shards `prober:<hint>#1`... near the same
 * hint; each runs its own clock and slot claim and probes its slice of the services, posting its
 * own batch. A shard past the current count (the config shrank) lets its clock stop.
 */
import { ConfigurationError } from '#core/errors.ts';
import { DurableObject } from 'cloudflare:workers';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { realSleep, systemClock } from '#core/ports.ts';
import { RUNTIME_LIMITS, type RuntimeLimits } from '#core/probe/connections.ts';
import { DEFAULT_POST_TIMEOUT_MS } from '#core/probe/post.ts';
import { shardCount, type ProbeShard } from '#core/probe/shard.ts';
import { runVantageRound } from '#core/probe/vantage.ts';
import { workerConfig } from './config.ts';
import type { Env } from './env.ts';
import { workerLogger } from './log.ts';
import { probeEndpoints, probeSigner } from './probe-deps.ts';
import { nextProbeAt, proberShardName, slotOf } from './schedule.ts';
import { proberName } from './stubs.ts';
import type { ArmResult, LastRound, LocationHint, ProberRpc, ProberStatus } from './bindings.ts';
import { workerTcpConnect } from './tcp.ts';

export type { ArmResult, LastRound } from './bindings.ts';

/** The stub of one shard of a hint's prober (shard 0 is proberStub's object). */
export function proberShardStub(env: Env, hint: LocationHint, shard: number) {
  return env.PROBER.get(env.PROBER.idFromName(proberShardName(proberName(hint), shard)), { locationHint: hint });
}

/** How many invocations one round of `config` needs inside a Worker's limits. */
export function workerShardCount(config: LifeboatConfig, limits: RuntimeLimits): number {
  return shardCount(config, { ...limits, windowMs: intervalMs(config) - DEFAULT_POST_TIMEOUT_MS });
}

export class Prober extends DurableObject<Env> implements ProberRpc {
  private hint: LocationHint | undefined;
  private shard = 0;
  /** Highest slot a round was started for; a repeat alarm for it is skipped. */
  private lastSlot = -1;
  private readonly logger;
  /** The bundled config and the runtime's limits; tests swap these on an instance (runInDurableObject). */
  configSource: () => LifeboatConfig = workerConfig;
  limits: RuntimeLimits = RUNTIME_LIMITS.workers;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.logger = workerLogger('prober', env.LOG_LEVEL);
    void ctx.blockConcurrencyWhile(async () => {
      this.hint = await ctx.storage.get<LocationHint>('hint');
      this.shard = (await ctx.storage.get<number>('shard')) ?? 0;
      this.lastSlot = (await ctx.storage.get<number>('lastSlot')) ?? -1;
    });
  }

  /** RPC from the watchdog (shard 0) or shard 0 (shards 1...): remember what this object serves and make sure its clock runs. */
  async ensureArmed(hint: LocationHint, shard = 0): Promise<ArmResult> {
    if (!Number.isSafeInteger(shard) || shard < 0) throw new ConfigurationError(`shard must be a whole number >= 0, got ${shard}`);
    if (this.hint !== hint || this.shard !== shard) {
      this.hint = hint;
      this.shard = shard;
      await this.ctx.storage.put({ hint, shard });
    }
    const current = await this.ctx.storage.getAlarm();
    if (current !== null) return { alarmAt: current, rearmed: false };
    const alarmAt = nextProbeAt(Date.now(), intervalMs(this.configSource()), `cloudflare:${hint}`, Math.random);
    await this.ctx.storage.setAlarm(alarmAt);
    // Shard 0 arms its shards every round: only its being unarmed is news.
    if (shard === 0) this.logger.warn('prober alarm was not set: re-armed by the watchdog', { hint, alarmAt });
    return { alarmAt, rearmed: true };
  }

  /** RPC: what this prober last did (for operators and tests). */
  async status(): Promise<ProberStatus> {
    return {
      hint: this.hint, shard: this.shard, lastSlot: this.lastSlot,
      alarmAt: await this.ctx.storage.getAlarm(),
      lastRound: (await this.ctx.storage.get<LastRound>('lastRound')) ?? null,
    };
  }

  override async alarm(): Promise<void> {
    const config = this.configSource();
    const hint = this.hint;
    if (!hint || !config.vantagePoints.cloudflare.includes(hint)) {
      // Not (or no longer) configured: let the clock stop; the watchdog only arms configured hints.
      this.logger.warn('prober alarm for a location not in the config: not re-arming', { hint });
      return;
    }
    const count = workerShardCount(config, this.limits);
    if (this.shard >= count) {
      this.logger.info('prober shard no longer needed: not re-arming', { hint, shard: this.shard, count });
      return;
    }
    const every = intervalMs(config);
    const now = Date.now();
    await this.ctx.storage.setAlarm(nextProbeAt(now, every, `cloudflare:${hint}`, Math.random));
    if (this.shard === 0) await this.armShards(hint, count);
    const slot = slotOf(now, every);
    if (slot <= this.lastSlot) {
      this.logger.info('duplicate alarm for a slot that already ran: skipped', { hint, shard: this.shard, slot });
      return;
    }
    // Claimed before the work: a retry after a crash mid-round skips the slot rather than posting twice.
    this.lastSlot = slot;
    await this.ctx.storage.put('lastSlot', slot);
    await this.ctx.storage.put('lastRound', await this.round(config, hint, slot, now, { index: this.shard, count }));
  }

  /** Makes sure shards 1..count-1 run; one failing to arm is logged, never stops this round. */
  private async armShards(hint: LocationHint, count: number): Promise<void> {
    await Promise.all(Array.from({ length: count - 1 }, async (_, i) => {
      try {
        await proberShardStub(this.env, hint, i + 1).ensureArmed(hint, i + 1);
      } catch (err) {
        this.logger.error('could not arm a prober shard', { hint, shard: i + 1, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      }
    }));
  }

  private async round(config: LifeboatConfig, hint: LocationHint, slot: number, startedAt: number, shard: ProbeShard): Promise<LastRound> {
    const part = shard.count > 1 ? { shard } : {};
    try {
      const signer = await probeSigner(config, this.env, `cloudflare:${hint}`);
      const { endpoints, fetch: postFetch } = probeEndpoints(config, this.env);
      // ranIn stays unset: an alarm has no request.cf, and the colo cannot be learnt without network.
      const { batch, posts } = await runVantageRound({ config, vantagePoint: `cloudflare:${hint}`, round: slot, endpoints, ...part }, {
        fetch: (input, init) => fetch(input, init), postFetch, tcpConnect: workerTcpConnect, sleep: realSleep, clock: systemClock, logger: this.logger, signer,
        concurrency: this.limits.connections,
      });
      return { slot, startedAt, ...part, controlOk: batch.controlOk, results: batch.results.length, posted: posts };
    } catch (err) {
      // Logged and kept in storage, not rethrown: a throw makes the runtime retry the alarm,
      // which would only skip (the slot is claimed) and could disturb the armed next slot.
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.logger.error('round failed', { hint, shard: shard.index, slot, error });
      return { slot, startedAt, ...part, error };
    }
  }
}

function intervalMs(config: LifeboatConfig): number {
  return config.probing.intervalSeconds * 1000;
}
