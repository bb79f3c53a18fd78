/**
 * The prober Durable Object keeps time with its own alarm: a run probes every target, posts the
 * batch to every coordinator (its own through the DO binding, AWS over HTTP) and re-arms itself
 * for the next slot; a second alarm for the same slot posts nothing. The cron is a watchdog that
 * arms every configured prober and the coordinator. Alarms are armed in the future (TOOLCHAIN.md).
 */
import { createExecutionContext, createScheduledController, env, listDurableObjectIds, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoordinatorObject } from '../../../workers/coordinator.ts';
import worker from '../../../workers/index.ts';
import { statesWithVotes } from '../../support/stored-votes.ts';
import { nextSlotStart, probeJitterMaxMs, probePhaseMs, slotOf } from '../../../workers/schedule.ts';
import { coordinatorStub, proberName, proberStub } from '../../../workers/stubs.ts';
import { control, coordinatorStorage, inspect } from './helpers.ts';
import { HINTS, INTERVAL_SECONDS, PROBE_KEY, SERVICE } from './shared.ts';

const INTERVAL_MS = INTERVAL_SECONDS * 1000;

/** Stops every clock a test started, so no alarm fires on its own in a later test. */
afterEach(async () => {
  for (const hint of [...HINTS, 'oc' as const]) {
    await runInDurableObject(proberStub(env, hint), (_i, state) => state.storage.deleteAlarm());
  }
  await runInDurableObject(coordinatorStub(env), (_i, state) => state.storage.deleteAlarm());
});

const postsFrom = (posts: Awaited<ReturnType<typeof inspect>>['awsPosts'], vp: string) =>
  posts.filter((p) => (p.body as { vantagePoint: string }).vantagePoint === vp);

describe('prober Durable Object', () => {
  it('runs a round on its alarm, posts to every coordinator and re-arms for the next slot', async () => {
    await control({ primary: 200, secondary: 200, reset: true });
    const stub = proberStub(env, 'weur');
    await stub.ensureArmed('weur');
    const noncesBefore = (await coordinatorStorage()).nonces;

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const status = await stub.status();
    expect(status.hint).toBe('weur');
    expect(status.lastRound).toMatchObject({ controlOk: true, results: 2 });
    expect(status.lastRound?.posted?.map((p) => [p.coordinator, p.status])).toEqual(expect.arrayContaining([['cloudflare', 200], ['aws', 200]]));
    // Re-armed inside the next slot, at this prober's phase plus at most the jitter (wrapped in the slot).
    const next = nextSlotStart(status.lastRound!.startedAt, INTERVAL_MS);
    expect(slotOf(status.alarmAt!, INTERVAL_MS)).toBe(slotOf(next, INTERVAL_MS));
    const late = (status.alarmAt! - next - probePhaseMs('cloudflare:weur', INTERVAL_MS) + INTERVAL_MS) % INTERVAL_MS;
    expect(late).toBeLessThan(probeJitterMaxMs(INTERVAL_MS));
    expect(status.lastSlot).toBe(slotOf(status.lastRound!.startedAt, INTERVAL_MS));

    const aws = postsFrom((await inspect()).awsPosts, 'cloudflare:weur');
    expect(aws).toHaveLength(1);
    expect(aws[0]).toMatchObject({ keyId: PROBE_KEY.id, body: { round: status.lastSlot, controlOk: true } });
    // An observation batch claims no nonce: its vantage point's ledger heartbeat is the replay guard,
    // and it records this round's signed batch.
    expect((await coordinatorStorage()).nonces).toBe(noncesBefore);
    const heartbeats = await runInDurableObject(coordinatorStub(env), async (instance) => (await (instance as unknown as CoordinatorObject).store.snapshot()).ledger.heartbeats);
    const weur = heartbeats.filter((hb) => hb.vantagePoint === 'cloudflare:weur');
    expect(weur).toHaveLength(1);
    expect(weur[0]!.signed).toMatchObject({ round: status.lastSlot });
    // Votes live in the vote ledger, not in the state item (test/support/stored-votes.ts).
    const states = await runInDurableObject(coordinatorStub(env), (instance) => statesWithVotes((instance as unknown as CoordinatorObject).store));
    const vote = states.find((s) => s.value.service === SERVICE)?.value.votes.find((v) => v.vantagePoint === 'cloudflare:weur');
    expect(vote).toMatchObject({ primary: { verdict: 'healthy' }, secondary: { verdict: 'healthy' } });
  });

  it('skips a duplicate alarm for the same slot: nothing is posted twice', async () => {
    await control({ reset: true });
    const stub = proberStub(env, 'apac');
    await stub.ensureArmed('apac');
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const first = await stub.status();
    const apacHeartbeat = async () => (await runInDurableObject(coordinatorStub(env), async (instance) => (await (instance as unknown as CoordinatorObject).store.snapshot()).ledger.heartbeats))
      .filter((hb) => hb.vantagePoint === 'cloudflare:apac');
    const afterFirst = await apacHeartbeat();
    expect(afterFirst).toHaveLength(1);

    // The re-armed alarm delivered again within the same slot (at-least-once delivery). With a
    // 300 s slot the two runs straddle a slot boundary only if one lands in its last ~0.1 s.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const second = await stub.status();
    expect(second.lastSlot).toBe(first.lastSlot);
    expect(second.lastRound).toEqual(first.lastRound);
    expect(second.alarmAt).not.toBeNull(); // the clock keeps running
    expect(postsFrom((await inspect()).awsPosts, 'cloudflare:apac')).toHaveLength(1);
    // A second post would have moved the heartbeat's signed mark (a new nonce and sentAt).
    expect(await apacHeartbeat()).toEqual(afterFirst);
  });

  it('lets the clock stop for a location that is not in the config', async () => {
    const stub = proberStub(env, 'oc');
    await stub.ensureArmed('oc');
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.status()).alarmAt).toBeNull();
  });
});

describe('watchdog cron', () => {
  it('creates and arms every configured prober and the coordinator; leaves armed clocks alone', async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);

    const ids = (await listDurableObjectIds(env.PROBER)).map((id) => id.toString());
    for (const hint of HINTS) {
      expect(ids).toContain(env.PROBER.idFromName(proberName(hint)).toString());
      const status = await proberStub(env, hint).status();
      expect(status.hint).toBe(hint);
      expect(status.alarmAt).toBeGreaterThan(Date.now());
    }
    const coordinatorAlarm = await runInDurableObject(coordinatorStub(env), (_i, state) => state.storage.getAlarm());
    expect(coordinatorAlarm).toBeGreaterThan(Date.now());

    // A second watchdog run finds every clock running and changes nothing.
    const again = await Promise.all(HINTS.map((hint) => proberStub(env, hint).ensureArmed(hint)));
    expect(again.every((r) => !r.rearmed)).toBe(true);
  });
});
