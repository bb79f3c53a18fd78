/**
 * Issue 13 load: 24 vantage points post one service's batch at the same moment, 100 rounds, to
 * the AWS coordinator over DynamoDB (dynalite on loopback). 0 batches lost or refused, every vote
 * counted; the service fails over once when the primary goes down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { startDynalite, type Dynalite } from '../functions/dynamo/dynalite.ts';
import { batchOf, coordinatorOver, deployment } from './fleet.ts';

let db: Dynalite;
beforeAll(async () => { db = await startDynalite(); });
afterAll(() => db.stop());

describe('24 vantage points at once, 100 rounds (AWS path over dynalite)', () => {
  it('loses and refuses no batch, counts every vote', async () => {
    const { config, names, vps } = deployment(1, 15, 9);
    expect(vps).toHaveLength(24);
    const store = new DynamoStateStore({ client: db.client(), tableName: await db.table() });
    let now = 1_800_000_000_000;
    const coordinator = coordinatorOver(store, config, { now: () => now });
    let accepted = 0;
    const failures: unknown[] = [];
    for (let round = 1; round <= 100; round++) {
      const verdict = round >= 50 && round < 60 ? 'unhealthy' : 'healthy';
      const results = await Promise.allSettled(vps.map((vp) => coordinator.ingest(batchOf(vp, names, now, round, verdict), 'probe-key')));
      for (const r of results) {
        if (r.status === 'fulfilled') accepted += r.value.accepted;
        else failures.push(r.reason);
      }
      const [s] = await coordinator.states();
      // Every vote of this round is in, and fresh.
      if (s!.state.votes.some((e) => e.primary?.receivedAt !== now)) failures.push(`round ${round}: a vote is missing`);
      now += 10_000;
    }
    expect(failures).toEqual([]);
    expect(accepted).toBe(100 * 24 * 2);
    const [s] = await coordinator.states();
    expect(s!.state.epoch).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
