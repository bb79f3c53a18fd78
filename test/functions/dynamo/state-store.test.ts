import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStateStore } from '../../../functions/dynamo/state-store.ts';
import { stateStoreContract } from '../../coordinator/state-store-contract.ts';
import { startDynalite, type Dynalite } from './dynalite.ts';

let db: Dynalite;
beforeAll(async () => { db = await startDynalite(); });
afterAll(() => db.stop());

stateStoreContract('dynamodb (dynalite)', async () => new DynamoStateStore({ client: db.client(), tableName: await db.table() }));

describe('DynamoStateStore layout', () => {
  it('keeps audit items with a TTL in unix seconds, globally and per service', async () => {
    const tableName = await db.table();
    const client = db.client();
    const store = new DynamoStateStore({ client, tableName, auditRetentionDays: 30 });
    const before = Math.floor(Date.now() / 1000);
    await store.appendAudit([
      { at: 5_000, service: 'a.example.com', kind: 'decision', message: 'x' },
      { at: 5_000, service: null, kind: 'rejected', message: 'y' },
    ]);
    const global = await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'audit' } } }));
    expect(global.Items).toHaveLength(2);
    const ttl = Number(global.Items![0]!.expiresAt!.N);
    expect(ttl).toBeGreaterThanOrEqual(before + 30 * 86_400);
    expect(ttl).toBeLessThan(before + 30 * 86_400 + 60);
    expect((await store.audit({ service: 'a.example.com' })).map((e) => e.message)).toEqual(['x']);
    // Same millisecond, one call: newest-first keeps the written order reversed.
    expect((await store.audit()).map((e) => e.message)).toEqual(['y', 'x']);
  });

  it('pages through more audit entries than one Query returns', async () => {
    const store = new DynamoStateStore({ client: db.client(), tableName: await db.table() });
    const entries = Array.from({ length: 60 }, (_, i) => ({ at: 10_000 + i, service: 'p.example.com', kind: 'decision' as const, message: 'x'.repeat(20_000) }));
    await store.appendAudit(entries);
    const got = await store.audit({ service: 'p.example.com', limit: 1000 });
    expect(got).toHaveLength(60);
    expect(got[0]!.at).toBe(10_059);
  });

  it('stores the state as one item with a numeric version', async () => {
    const tableName = await db.table();
    const client = db.client();
    const store = new DynamoStateStore({ client, tableName });
    await store.put({ ...(await import('#core/engine/state.ts')).initialServiceState('s.example.com') }, null);
    const item = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'state' }, sk: { S: 'svc#s.example.com' } } }));
    expect(item.Item?.version?.N).toBe('1');
    expect(item.Item?.expiresAt).toBeUndefined();
  });
});
