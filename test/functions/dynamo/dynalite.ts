/**
 * dynalite on 127.0.0.1 with the REAL DynamoDBClient (the local run's launcher), and a fresh
 * table per `table()` call so tests never see each other's items.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalDynamo } from '../../../cli/local/aws-coordinator.ts';

export interface Dynalite {
  readonly endpoint: string;
  client(): DynamoDBClient;
  table(): Promise<string>;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const local = await startLocalDynamo();
  let seq = 0;
  return {
    endpoint: local.endpoint,
    client: local.client,
    async table() {
      const name = `lifeboat-test-${++seq}`;
      await local.createTable(name);
      return name;
    },
    stop: local.stop,
  };
}
