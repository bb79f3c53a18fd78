/**
 * The one DynamoDB table of the AWS coordinator: its key schema and item layout, shared by the
 * stores, the CDK stack and the tests so the three never disagree.
 *
 * Items (pk / sk, both strings):
 *   state           / svc#<service>       current ServiceState (JSON) + numeric `version`; since 0.3
 *                                         without votes (state saved by 0.1/0.2 still holds them)
 *   state           / vp#<vp>#<slice>#hb  vote ledger heartbeat (JSON `value`, numeric `receivedAt`,
 *                                         and since 0.3 numeric `sentAt` of the signed batch: its
 *                                         replay guard), rewritten by every batch of that slice
 *   state           / vp#<vp>#<slice>#sheet  vote ledger sheet (JSON `value`, numeric `rev`), rewritten
 *                                         only when a vote changes (core/coordinator/ledger.ts)
 *   audit           / <at:15>#<rand>      every audit entry, newest last in sort order
 *   audit#<service> / <at:15>#<rand>      the same entry again, so one service's log is a Query
 *   nonce#<key>#<n> / nonce               a claimed LB1 nonce, `expiresAtMs` decides (every signed
 *                                         request but an observation batch that records votes)
 *
 * All states and the ledger share one partition so one Query reads everything an evaluation
 * needs, not a Scan over audit and nonce items. Writes to it: one heartbeat per vantage point and
 * batch, plus changes; far below one partition's 1,000 writes per second.
 * Audit and nonce items carry `expiresAt` (unix SECONDS), the table's TTL attribute.
 */
import { CreateTableCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StorageError } from '#core/errors.ts';

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';
/** DynamoDB TTL attribute: unix seconds. TTL deletes lazily (up to days late), so code never trusts it for correctness. */
export const TTL_ATTRIBUTE = 'expiresAt';

export type Item = Record<string, AttributeValue>;

/** Reads a string attribute; throws when the item does not have the shape this module writes. */
export function str(item: Item, name: string): string {
  const v = item[name];
  if (v?.S === undefined) throw new StoreDataError(`attribute ${name} is missing or not a string`, item[PARTITION_KEY]?.S);
  return v.S;
}

export function num(item: Item, name: string): number {
  const v = item[name];
  if (v?.N === undefined) throw new StoreDataError(`attribute ${name} is missing or not a number`, item[PARTITION_KEY]?.S);
  return Number(v.N);
}

/** An item in the table is not what this code wrote (hand edit, older layout). */
export class StoreDataError extends StorageError {
  override readonly name: string = 'StoreDataError';
  constructor(message: string, readonly key?: string) {
    super(key ? `${message} (item ${key})` : message);
  }
}

export const isConditionFailure = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { name?: string }).name === 'ConditionalCheckFailedException';

/** Creates the table as the CDK stack does (for tests and local runs against dynalite). */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' }, { AttributeName: SORT_KEY, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }, { AttributeName: SORT_KEY, KeyType: 'RANGE' }],
  }));
}
