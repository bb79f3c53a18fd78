/**
 * A round too large for one Worker invocation is split across prober shards (core/probe/shard.ts):
 * the hint's own object (shard 0) arms `prober:<hint>#1`, `#2`..., each probes its slice of the
 * services on its own alarm, and together they probe every service once per round. The config
 * and limits are swapped on the instances (a 3-service config under a subrequest cap that fits
 * one service per invocation), since the bundled test config has one service (which fits one
 * invocation: prober.test.ts runs it unsharded).
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { RUNTIME_LIMITS } from '#core/probe/connections.ts';
import { workerConfig } from '../../../workers/config.ts';
import { proberShardStub, workerShardCount, type Prober } from '../../../workers/prober.ts';
import { control, inspect } from './helpers.ts';

const HINT = 'enam' as const;
const SHARDS = [0, 1, 2] as const;

// Stops the clocks and gives the instances back their bundled config (storage is shared across files).
afterEach(async () => {
  for (const k of [...SHARDS, 3]) {
    await runInDurableObject(proberShardStub(env, HINT, k), (instance, state) => {
      const prober = instance as unknown as Prober;
      prober.configSource = workerConfig;
      prober.limits = RUNTIME_LIMITS.workers;
      return state.storage.deleteAlarm();
    });
  }
});

function threeServices(): LifeboatConfig {
  const base = workerConfig();
  const one = base.services[0]!;
  return { ...base, services: ['a', 'b', 'c'].map((p) => ({ ...one, name: `${p}.${one.name}` })) };
}

describe('prober shards', () => {
  it('a config needing 3 shards: shard 0 arms the others and every service is probed once per round across them', async () => {
    await control({ primary: 200, secondary: 200, reset: true });
    const config = threeServices();
    // Probe and recheck for both targets of one service, plus the control checks and the reserve.
    const limits = { connections: RUNTIME_LIMITS.workers.connections, subrequests: 16 + config.probing.controlUrls.length + 4 };
    expect(workerShardCount(config, limits)).toBe(3);
    expect(workerShardCount(config, RUNTIME_LIMITS.workers)).toBe(1);
    for (const k of SHARDS) {
      await runInDurableObject(proberShardStub(env, HINT, k), (instance) => {
        const prober = instance as unknown as Prober;
        prober.configSource = () => config;
        prober.limits = limits;
      });
    }
    const shard0 = proberShardStub(env, HINT, 0);
    await shard0.ensureArmed(HINT);
    expect((await proberShardStub(env, HINT, 1).status()).alarmAt).toBeNull();

    expect(await runDurableObjectAlarm(shard0)).toBe(true);
    for (const k of [1, 2]) {
      const status = await proberShardStub(env, HINT, k).status();
      expect(status).toMatchObject({ hint: HINT, shard: k });
      expect(status.alarmAt).toBeGreaterThan(Date.now());
      expect(await runDurableObjectAlarm(proberShardStub(env, HINT, k))).toBe(true);
    }
    // No fourth shard was armed.
    expect((await proberShardStub(env, HINT, 3).status()).alarmAt).toBeNull();

    const rounds = await Promise.all(SHARDS.map(async (k) => (await proberShardStub(env, HINT, k).status()).lastRound!));
    expect(rounds.map((r) => r.shard)).toEqual(SHARDS.map((index) => ({ index, count: 3 })));
    expect(rounds.every((r) => r.results === 2 && r.controlOk === true)).toBe(true);
    expect(new Set(rounds.map((r) => r.slot)).size).toBe(1);

    // What reached the AWS coordinator for this round: each service's two targets, exactly once.
    const posts = (await inspect()).awsPosts.map((p) => p.body as { vantagePoint: string; round: number; results: { service: string; target: string }[] })
      .filter((b) => b.vantagePoint === `cloudflare:${HINT}` && b.round === rounds[0]!.slot);
    expect(posts).toHaveLength(3);
    const probed = posts.flatMap((b) => b.results.map((r) => `${r.service} ${r.target}`)).sort();
    expect(probed).toEqual(config.services.flatMap((s) => [`${s.name} primary`, `${s.name} secondary`]).sort());
  });
});
