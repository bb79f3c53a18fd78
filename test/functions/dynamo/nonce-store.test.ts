import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoNonceStore } from '../../../functions/dynamo/nonce-store.ts';
import { nonceStoreContract } from '../../signing/nonce-store-contract.ts';
import { startDynalite, type Dynalite } from './dynalite.ts';

let db: Dynalite;
beforeAll(async () => { db = await startDynalite(); });
afterAll(() => db.stop());

nonceStoreContract(async () => new DynamoNonceStore({ client: db.client(), tableName: await db.table() }), 'dynamodb (dynalite)');

describe('DynamoNonceStore', () => {
  it('sets the TTL attribute in unix seconds, rounded up past the expiry', async () => {
    const tableName = await db.table();
    const client = db.client();
    await new DynamoNonceStore({ client, tableName }).claim('a'.repeat(32), 'probe-1', 1_700_000_000_500, 1_699_999_999_000);
    const item = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `nonce#probe-1#${'a'.repeat(32)}` }, sk: { S: 'nonce' } } }));
    expect(item.Item?.expiresAt?.N).toBe('1700000001');
    expect(item.Item?.expiresAtMs?.N).toBe('1700000000500');
  });
});
