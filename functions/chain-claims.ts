/**
 * The probe chain's slot claims on DynamoDB: one item per vantage point holding the newest slot
 * claimed, raised by a conditional UpdateItem, so of two messages for one slot exactly one wins.
 * The item lives in the region's own small table (the probe stack's), never in another region.
 *   pk `chain` / sk `<vantage point>`, numeric `slot`.
 */
import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SlotClaims } from '#core/probe/chain.ts';
import { isConditionFailure, num } from './dynamo/table.ts';

export class DynamoSlotClaims implements SlotClaims {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async claim(vantagePoint: string, slot: number): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: 'chain' }, sk: { S: vantagePoint } },
        UpdateExpression: 'SET slot = :slot',
        ConditionExpression: 'attribute_not_exists(slot) OR slot < :slot',
        ExpressionAttributeValues: { ':slot': { N: String(slot) } },
      }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async newest(vantagePoint: string): Promise<number | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({
      TableName: this.tableName,
      Key: { pk: { S: 'chain' }, sk: { S: vantagePoint } },
      ConsistentRead: true,
    }));
    return Item ? num(Item, 'slot') : undefined;
  }
}
