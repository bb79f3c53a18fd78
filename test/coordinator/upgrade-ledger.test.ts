/**
 * Issue 13 migration: a DynamoDB item written by 0.1/0.2 (votes and gray counts inside the
 * service state) is read by the ledger layout as it is: its pending flip is carried out, its
 * override and audit stay, and its still-fresh votes count next to the new ones.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coordinator } from '#core/coordinator/coordinator.ts';
import { MemoryDnsProvider } from '#core/dns/memory.ts';
import { silentLogger } from '#core/ports.ts';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { startDynalite, type Dynalite } from '../functions/dynamo/dynalite.ts';
import { oneService, SECONDARY_IP, SERVICE } from './one-service.ts';

const NOW = 1_800_000_000_000;
let db: Dynalite;
beforeAll(async () => { db = await startDynalite(); });
afterAll(() => db.stop());

function stateOf02(): unknown {
  const vote = { verdict: 'unhealthy', observedAt: NOW - 5_000, receivedAt: NOW - 5_000, failure: 'timeout', latencyMs: 5000, ranIn: null };
  return {
    service: SERVICE, active: 'secondary', epoch: 1, changedAt: NOW - 20_000, lastFailoverAt: NOW - 20_000,
    failStreakSince: null, recoverStreakSince: null, disagreeSince: null, observingSince: NOW - 60_000, hold: null,
    override: { action: 'freeze', reason: 'investigating', by: 'ops-alice', since: NOW - 10_000, until: NOW + 3_600_000 },
    pendingFlip: { to: 'secondary', epoch: 1, decidedAt: NOW - 20_000, attempts: 2, lastAttemptAt: NOW - 15_000 },
    votes: ['aws:us-east-1', 'aws:eu-west-1'].map((vantagePoint) => ({ vantagePoint, primary: vote, secondary: { ...vote, verdict: 'healthy', failure: null, latencyMs: 40 } })),
    lastDecision: null,
    gray: { buckets: [{ at: NOW - 10_000, counts: { aws: [2, 2] } }], degradedSince: null },
  };
}

describe('state stored by 0.1/0.2 in DynamoDB, read by the ledger layout', () => {
  it('keeps the pending flip, the override, the audit and the fresh votes', async () => {
    const client = db.client();
    const tableName = await db.table();
    await client.send(new PutItemCommand({
      TableName: tableName,
      Item: { pk: { S: 'state' }, sk: { S: `svc#${SERVICE}` }, version: { N: '7' }, state: { S: JSON.stringify(stateOf02()) }, updatedAt: { N: String(NOW) } },
    }));
    const store = new DynamoStateStore({ client, tableName });
    await store.appendAudit([{ at: NOW - 20_000, service: SERVICE, kind: 'decision', message: 'failing over (0.2)' }]);
    const { config, zone, spec } = oneService({ aws: ['us-east-1', 'eu-west-1'], cloudflare: ['apac'] });
    const coordinator = new Coordinator({
      name: 'aws', config, store, clock: { now: () => NOW }, logger: silentLogger,
      dnsFor: () => [{ provider: new MemoryDnsProvider(zone, { name: 'embedded' }), dns: spec }],
    });

    await coordinator.ingest({ vantagePoint: 'cloudflare:apac', round: 1, sentAt: NOW, controlOk: true, results: [
      { service: SERVICE, target: 'primary', verdict: 'unhealthy', observedAt: NOW - 100, failure: 'timeout' },
      { service: SERVICE, target: 'secondary', verdict: 'healthy', observedAt: NOW - 100 },
    ] }, 'probe-cf');

    expect(zone.get(SERVICE, 'A')?.values).toEqual([SECONDARY_IP]);
    const [view] = await coordinator.states();
    expect(view!.state).toMatchObject({ active: 'secondary', epoch: 1, pendingFlip: null, override: { action: 'freeze', by: 'ops-alice' } });
    expect(view!.state.votes.map((e) => e.vantagePoint)).toEqual(['aws:eu-west-1', 'aws:us-east-1', 'cloudflare:apac']);
    expect(view!.evidence.tally.primary).toMatchObject({ unhealthy: 3, stale: 0 });
    expect((await store.audit({ service: SERVICE })).map((e) => e.message)).toContain('failing over (0.2)');
  });
});
