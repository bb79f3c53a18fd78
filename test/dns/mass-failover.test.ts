/**
 * Mass failover (issue 13, the Pangyo case): 1,000 services of one zone decided for the secondary
 * at once, carried out through the coordinator's DNS path against the Route 53 fixture with its
 * rate limits enforced. Time is the fixture's virtual clock: requests are counted, nothing is timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeStateRecord } from '#core/dns/state-record.ts';
import { Route53Fixture } from '../fixtures/route53-server.ts';
import { massFailover, ZONE_ID } from '../fixtures/mass-failover.ts';

let fixture: Route53Fixture;
let endpoint = '';
beforeAll(async () => { fixture = new Route53Fixture(); endpoint = await fixture.start(); });
afterAll(() => fixture.stop());

describe('1,000 services failing at once in one Route 53 zone', () => {
  it('all answer the secondary within 60 s of the decision, in a few batched requests inside the rate limit', async () => {
    const run = await massFailover(fixture, endpoint, 1_000);
    expect(run.done).toHaveLength(1_000);
    expect(run.done.every((d) => d.report.won && d.report.complete)).toBe(true);
    expect([...run.answers.values()].filter((a) => a === '198.51.100.1')).toHaveLength(1_000);
    for (let i = 0; i < 1_000; i++) {
      expect(fixture.get(ZONE_ID, `_lifeboat.app${i}.example.com`, 'TXT')?.values[0]).toContain('active=secondary epoch=2');
    }
    // 2,000 record sets: 7 pages to read, 7 to re-read the state records before writing;
    // 1,000 services x 3 records (A, DELETE + CREATE of the TXT) fit 4 batches of 32,000 characters.
    expect(run.requests.change).toBeLessThanOrEqual(10);
    expect(run.requests.list).toBeLessThanOrEqual(14);
    expect(run.requests.throttled).toBe(0);
    expect(run.virtualMs).toBeLessThanOrEqual(60_000);
  }, 300_000);

  it('keeps each service\'s compare-and-swap: a rival write to one state record costs that service a re-plan, not the batch', async () => {
    fixture = new Route53Fixture();
    endpoint = await fixture.start();
    const rival = encodeStateRecord({ active: 'secondary', epoch: 7, at: 1 });
    const run = await massFailover(fixture, endpoint, 50, {
      beforeFirstChange: (f) => f.seed(ZONE_ID, [{ name: '_lifeboat.app17.example.com.', type: 'TXT', ttl: 60, values: [`"${rival}"`] }]),
    });
    // The first batch was rejected whole (app17's DELETE no longer matched), nothing in it written;
    // the re-read found app17 moved (conflict, re-planned on the rival's state) and the rest went again.
    const app17 = run.done.find((d) => d.work.service === 'app17.example.com')!;
    expect(app17.outcome.disagreements ?? []).toEqual([]);
    expect([...run.answers.values()].filter((a) => a === '198.51.100.1')).toHaveLength(50);
    expect(run.done.filter((d) => d.work.service !== 'app17.example.com').every((d) => d.report.won)).toBe(true);
    expect(fixture.get(ZONE_ID, '_lifeboat.app17.example.com', 'TXT')?.values[0]).toContain('active=secondary epoch=2');
    // Written: the rejected batch, the other 49 again, app17 on its own (a change refused with
    // PriorRequestNotComplete is retried and counted apart).
    expect(run.requests.throttled).toBe(0);
    expect(run.requests.change - run.requests.priorRequestNotComplete).toBe(3);
  }, 120_000);
});
