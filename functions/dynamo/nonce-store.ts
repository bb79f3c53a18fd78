/**
 * NonceStore on DynamoDB: one conditional PutItem per claim, so of concurrent claims exactly one
 * wins. DynamoDB TTL deletes expired items lazily (often hours late), so the condition compares
 * the stored `expiresAtMs` itself; the TTL attribute only keeps the table small.
 */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { UnixMs } from '#core/model.ts';
import type { NonceStore } from '#core/signing/nonce-store.ts';
import { isConditionFailure, TTL_ATTRIBUTE } from './table.ts';

export interface DynamoNonceStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

export class DynamoNonceStore implements NonceStore {
  constructor(private readonly options: DynamoNonceStoreOptions) {}

  async claim(nonce: string, keyId: string, expiresAt: UnixMs, now: UnixMs): Promise<boolean> {
    try {
      await this.options.client.send(new PutItemCommand({
        TableName: this.options.tableName,
        // Key ids never contain '#' (keySchema), so the key is unambiguous.
        Item: {
          pk: { S: `nonce#${keyId}#${nonce}` }, sk: { S: 'nonce' },
          expiresAtMs: { N: String(expiresAt) },
          [TTL_ATTRIBUTE]: { N: String(Math.ceil(expiresAt / 1000)) },
        },
        // A held nonce is free again from the moment of its expiry (now >= expiresAtMs).
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs <= :now',
        ExpressionAttributeValues: { ':now': { N: String(now) } },
      }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}
