/**
 * The AWS coordinator code path on this machine: the real Lambda handler (functions/coordinator.ts)
 * behind a loopback function URL, its state and nonces in dynalite (DynamoDB's API and
 * conditional-write semantics) through the real DynamoDBClient, its secrets from an in-memory
 * stand-in for SSM, and its one-minute EventBridge schedule as a timer.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import type { ScheduledEvent } from 'aws-lambda';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { Notifier } from '#core/coordinator/coordinator.ts';
import type { DnsProvider } from '#core/dns/types.ts';
import type { Logger } from '#core/ports.ts';
import { createCoordinatorHandler, type CoordinatorHandler } from '../../functions/coordinator.ts';
import { createTable } from '../../functions/dynamo/table.ts';
import { keyParameterName, staticSecretSource } from '../../functions/secrets.ts';
import { startFunctionUrl, type FunctionUrl } from './function-url.ts';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** dynalite does not check signatures; the client still signs every request. Not a real key. */
const LOCAL_CREDENTIALS = { accessKeyId: 'AKIDLOCALRUN', secretAccessKey: 'local-run-not-a-secret' };
const KEY_PREFIX = '/lifeboat/keys/';
const DNS_PREFIX = '/lifeboat/dns/';
const TABLE = 'lifeboat-local';

export interface LocalDynamo {
  readonly endpoint: string;
  /** A real DynamoDBClient pointed at it (destroyed by stop()). */
  client(): DynamoDBClient;
  /** Creates a table laid out as the CDK stack lays it out. */
  createTable(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** DynamoDB's API and conditional-write semantics on loopback (dynalite); also used by the tests. */
export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const client = () => {
    const c = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
    clients.push(c);
    return c;
  };
  const admin = client();
  // Requests dynalite is still working on: it closes its database when the server closes, so
  // one still running then fails with "Database is closed" (seen in e2e teardown under load).
  let inFlight = 0;
  const drained: (() => void)[] = [];
  server.on('request', (_req: unknown, res: { once(event: 'close', f: () => void): void }) => {
    inFlight++;
    res.once('close', () => { if (--inFlight === 0) drained.splice(0).forEach((f) => f()); });
  });
  return {
    endpoint,
    client,
    createTable: (name) => createTable(admin, name),
    async stop() {
      // Stop accepting, let what dynalite is doing finish (bounded), then drop the clients and idle sockets.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (inFlight > 0) await Promise.race([new Promise<void>((r) => drained.push(r)), new Promise((r) => setTimeout(r, 5_000))]);
      for (const c of clients) c.destroy();
      server.closeAllConnections?.();
      await closed;
    },
  };
}

export interface AwsCoordinatorOptions {
  readonly config: LifeboatConfig;
  readonly dynamo: LocalDynamo;
  /** Hex secret of every HMAC key, by key id (ECDSA probe keys need none: the config has their public key). */
  readonly keySecrets: Readonly<Record<string, string>>;
  readonly embedded: DnsProvider;
  /** RFC 2136 TSIG secrets by `secretFrom` name (the local run's BIND), served as SSM would. */
  readonly dnsSecrets?: Readonly<Record<string, string>>;
  readonly logger: Logger;
  readonly notifier?: Notifier;
  /** SSM parameters by full name over the key secrets (undefined removes one). */
  readonly extraSecrets?: Readonly<Record<string, string | undefined>>;
  /** The schedule's period; EventBridge's is one minute, the local run uses the probe interval. */
  readonly tickMs: number;
  readonly port?: number;
}

export interface LocalLambda {
  readonly url: string;
  readonly handler: CoordinatorHandler;
  stop(): Promise<void>;
}

export function scheduledEvent(at = new Date()): ScheduledEvent {
  return {
    version: '0', id: crypto.randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000',
    time: at.toISOString(), region: 'us-east-1', resources: ['arn:aws:events:us-east-1:000000000000:rule/lifeboat-coordinator-tick'], detail: {},
  };
}

export async function startAwsCoordinator(options: AwsCoordinatorOptions): Promise<LocalLambda> {
  await options.dynamo.createTable(TABLE).catch((err: Error) => {
    // A restarted coordinator finds its table already there, as a redeployed Lambda would.
    if (err.name !== 'ResourceInUseException') throw err;
  });
  const secrets: Record<string, string> = Object.fromEntries([
    ...Object.entries(options.keySecrets).map(([id, hex]) => [keyParameterName(KEY_PREFIX, id), hex]),
    ...Object.entries(options.dnsSecrets ?? {}).map(([name, value]) => [`${DNS_PREFIX}${name}`, value]),
  ]);
  for (const [name, value] of Object.entries(options.extraSecrets ?? {})) {
    if (value === undefined) delete secrets[name]; else secrets[name] = value;
  }
  const handler = createCoordinatorHandler({
    config: () => options.config,
    dynamo: () => options.dynamo.client(),
    route53: () => new Route53Client({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS }),
    secrets: () => staticSecretSource(secrets),
    tableName: TABLE,
    keyParameterPrefix: KEY_PREFIX,
    dnsParameterPrefix: DNS_PREFIX,
    embedded: () => options.embedded,
    logger: options.logger,
    writeMetric: () => undefined,
    ...(options.notifier ? { notifier: options.notifier } : {}),
  });
  // Invocations still running at stop() are awaited, so the store is never closed under them.
  const running = new Set<Promise<unknown>>();
  const invoke: CoordinatorHandler = (event) => {
    const call = handler(event);
    running.add(call);
    void call.catch(() => undefined).finally(() => running.delete(call));
    return call;
  };
  const url: FunctionUrl = await startFunctionUrl(invoke, '127.0.0.1', options.port ?? 0);
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped) return;
    invoke(scheduledEvent()).catch((err: Error) => options.logger.error('scheduled tick failed', { coordinator: 'aws', error: err.message }));
  }, options.tickMs);
  return {
    url: url.url,
    handler,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await url.close();
      await Promise.allSettled(running);
    },
  };
}
