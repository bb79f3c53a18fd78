/**
 * A quorum of unhealthy votes at the Cloudflare coordinator makes exactly one DNS change at the
 * (loopback) Cloudflare API: one atomic batch that points the record at the secondary and writes
 * the state TXT. Later votes and ticks change nothing more.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { initialServiceState } from '#core/engine/state.ts';
import type { CoordinatorObject } from '../../../workers/coordinator.ts';
import { coordinatorStub } from '../../../workers/stubs.ts';
import { batch, coordinatorObject, coordinatorStorage, inspect, postBatch } from './helpers.ts';
import { AWS_PROBE_KEY, CF_ZONE, INTERVAL_SECONDS, PRIMARY_IP, PROBE_KEY, SECONDARY_IP, SERVICE } from './shared.ts';

/**
 * The coordinator has been observing for one interval already (one fresh healthy vote), so the
 * next batches are not its cold start: workerd's clock is real and a test cannot wait 300 s.
 */
async function observingForOneInterval(): Promise<void> {
  await runInDurableObject(coordinatorObject(), async (instance: CoordinatorObject) => {
    const now = Date.now();
    const stored = await instance.store.get(SERVICE);
    const vote = { verdict: 'healthy' as const, observedAt: now - 1_000, receivedAt: now - 1_000, failure: null, latencyMs: 40, ranIn: null };
    const state = {
      ...(stored?.value ?? initialServiceState(SERVICE)),
      observingSince: now - INTERVAL_SECONDS * 1000 - 1,
      votes: [{ vantagePoint: 'aws:us-east-1' as const, primary: vote, secondary: vote }],
    };
    expect(await instance.store.put(state, stored?.version ?? null)).not.toBeNull();
  });
}

describe('failover through the coordinator Durable Object', () => {
  it('flips the Cloudflare record once when a quorum sees the primary down', async () => {
    const writesBefore = (await inspect()).cfRequests.filter((r) => r.method !== 'GET').length;
    await observingForOneInterval();
    const round = Math.floor(Date.now() / 1000);
    // Every configured vantage point votes, so earlier tests' healthy votes cannot dilute the quorum.
    for (const vp of ['cloudflare:weur', 'cloudflare:apac', 'cloudflare:enam']) {
      expect((await postBatch(batch(vp, round, 'unhealthy'), PROBE_KEY)).status).toBe(200);
    }
    expect((await postBatch(batch('aws:us-east-1', round, 'unhealthy'), AWS_PROBE_KEY)).status).toBe(200);
    // A coordinator tick after the flip must not write again.
    await runInDurableObject(coordinatorStub(env), (_i, state) => state.storage.setAlarm(Date.now() + 60_000));
    expect(await runDurableObjectAlarm(coordinatorStub(env))).toBe(true);
    await runInDurableObject(coordinatorStub(env), (_i, state) => state.storage.deleteAlarm());

    const { cfRequests, cfRecords } = await inspect();
    const writes = cfRequests.filter((r) => r.method !== 'GET').slice(writesBefore);
    expect(writes).toHaveLength(1);
    const [write] = writes;
    expect(write).toMatchObject({ method: 'POST', path: `/client/v4/zones/${CF_ZONE}/dns_records/batch`, authorized: true });
    const sent = JSON.stringify(write!.body);
    expect(sent).toContain(SECONDARY_IP);
    expect(sent).toContain(`_lifeboat.${SERVICE}`);
    expect(cfRecords.filter((r) => r.name === SERVICE && r.type === 'A').map((r) => r.content)).toEqual([SECONDARY_IP]);
    expect(cfRecords.some((r) => r.content === PRIMARY_IP)).toBe(false);

    const state = (await coordinatorStorage()).states.find((s) => s.value.service === SERVICE)!.value;
    expect(state).toMatchObject({ active: 'secondary', epoch: 1, pendingFlip: null });
  });
});
