/**
 * A dynalite server on 127.0.0.1 (random port) and the REAL DynamoDBClient pointed at it.
 * Each `table()` call creates a fresh table, so tests never see each other's items.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../../functions/dynamo/table.ts';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** Fake credentials: dynalite does not check signatures, the client still signs every request. */
export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

export interface Dynalite {
  readonly endpoint: string;
  client(): DynamoDBClient;
  table(): Promise<string>;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  let seq = 0;
  const client = () => {
    const c = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: FAKE_CREDENTIALS, maxAttempts: 2 });
    clients.push(c);
    return c;
  };
  const admin = client();
  return {
    endpoint,
    client,
    async table() {
      const name = `lifeboat-test-${++seq}`;
      await createTable(admin, name);
      return name;
    },
    async stop() {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
