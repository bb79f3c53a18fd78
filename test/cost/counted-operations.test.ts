/**
 * The cost model checked against counted operations: the real code runs N services for M rounds
 * and every billed operation is counted where it happens (handler invocations; SQS requests at the
 * loopback SQS; DynamoDB capacity units from the ConsumedCapacity the real DynamoDBClient gets
 * back from dynalite when asked with ReturnConsumedCapacity: 'TOTAL'), then compared, exactly,
 * with countOperations() for the same config and duration. Counts come from the steady state: a
 * warm-up round starts the chain and creates the state items first.
 *
 * The coordinator part counts the vote ledger (core/coordinator/ledger.ts on DynamoDB); the model
 * gets the item sizes measured on the real items, never counts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { createCoordinatorApp } from '#core/coordinator/compose.ts';
import { countOperations, DEFAULT_ASSUMPTIONS, type CostAssumptions } from '#core/cost/operations.ts';
import { itemBytes, writeUnits, type SizedValue } from '#core/cost/storage.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import type { ObservationBatch } from '#core/model.ts';
import { mapSecretSource, silentLogger } from '#core/ports.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { DynamoSlotClaims } from '../../functions/chain-claims.ts';
import { SqsChainQueue } from '../../functions/chain-sqs.ts';
import { DynamoNonceStore } from '../../functions/dynamo/nonce-store.ts';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { createProbeHandler, WATCHDOG_EVENT } from '../../functions/probe.ts';
import { startDynalite, type Dynalite } from '../functions/dynamo/dynalite.ts';
import { SqsFixture, sqsEvent } from '../functions/probe-sqs-fixture.ts';

const dynaliteItemSize = (createRequire(import.meta.url)('dynalite/db/index.js') as { itemSize: (item: unknown) => number }).itemSize;
const pickSizing = (a: CostAssumptions) => ({
  heartbeatItemBytes: a.heartbeatItemBytes, sheetBaseBytes: a.sheetBaseBytes, sheetBytesPerService: a.sheetBytesPerService,
  stateItemBytes: a.stateItemBytes,
});
const KEY = { id: 'probe-count', hex: '33'.repeat(32) };
const INTERVAL_S = 10;
let dynalite: Dynalite;
let target: Server;
let url = '';

beforeAll(async () => {
  dynalite = await startDynalite();
  target = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200); res.end('{}'); }); });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});
afterAll(async () => {
  target.closeAllConnections();
  await new Promise<void>((resolve) => target.close(() => resolve()));
  await dynalite.stop();
});

/** Wraps the real client: asks every call for its consumed capacity and adds it up, per command. */
function countCapacity(client: DynamoDBClient) {
  const units = { read: 0, write: 0 };
  const calls = new Map<string, number>();
  client.middlewareStack.add((next, context) => async (args) => {
    (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
    calls.set(context.commandName ?? '?', (calls.get(context.commandName ?? '?') ?? 0) + 1);
    const out = await next(args);
    const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
    for (const c of [consumed].flat() as ({ CapacityUnits?: number; TableName?: string } | undefined)[]) {
      if (!c?.CapacityUnits) continue;
      if (/^(Get|Query|Scan|BatchGet)/.test(context.commandName ?? '')) units.read += c.CapacityUnits;
      else units.write += c.CapacityUnits;
    }
    return out;
  }, { step: 'initialize', name: 'countCapacity' });
  return { units, calls, reset() { units.read = 0; units.write = 0; calls.clear(); } };
}

function config(services: number, aws: string[], cloudflare: string[] = []): LifeboatConfig {
  return loadConfig({
    services: Array.from({ length: services }, (_, i) => ({
      name: `s${i}.example.com`,
      primary: { url: `${url}/p${i}`, a: ['198.51.100.10'] },
      secondary: { url: `${url}/s${i}`, a: ['198.51.100.20'] },
      healthCheck: { type: 'http', path: '/', timeoutMs: 1_000 },
      dns: [{ provider: 'embedded', ttl: 5 }],
    })),
    vantagePoints: { aws, cloudflare: cloudflare as never },
    probing: { intervalSeconds: INTERVAL_S, recheckDelayMs: 0, controlUrls: [] },
    coordinators: { aws: { url } },
    keys: [{ id: KEY.id, scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: 'ops-count', scope: 'operator' }],
  });
}

describe('counted operations = the cost model', () => {
  it('probe chain: N services x M rounds in one region, invocations, SQS sends and slot-claim units', async () => {
    const cfg = config(20, ['eu-west-1']);
    const minuteStart = Math.ceil(Date.now() / 60_000) * 60_000;
    const clock = { t: minuteStart - 60_000, now() { return this.t; } };
    const sqs = new SqsFixture(() => clock.t);
    const sqsUrl = await sqs.start();
    const dynamo = dynalite.client();
    const counter = countCapacity(dynamo);
    let invocations = 0;
    const inner = createProbeHandler({
      config: () => cfg, region: 'eu-west-1', keyId: KEY.id, keyParameterPrefix: '/k/',
      secrets: () => mapSecretSource({ [`/k/${KEY.id}`]: KEY.hex }), logger: silentLogger, clock, random: () => 0.5,
      queue: () => new SqsChainQueue(new SQSClient({ region: 'eu-west-1', endpoint: sqsUrl, credentials: { accessKeyId: 'AKID', secretAccessKey: 's' }, maxAttempts: 1 }), `${sqsUrl}/1/q`),
      claims: () => new DynamoSlotClaims(dynamo, tableName),
    });
    const tableName = await dynalite.table();
    const handler: typeof inner = (e) => { invocations++; return inner(e); };
    // Warm-up: the watchdog starts the chain a minute before the counted window.
    await handler(WATCHDOG_EVENT);
    while ((sqs.nextVisibleAt() ?? Infinity) < minuteStart) { clock.t = sqs.nextVisibleAt()!; for (const m of sqs.due(clock.t)) await handler(sqsEvent([m])); }
    invocations = 0; counter.reset(); sqs.requests.clear();

    const M = 12; // two minutes of rounds
    const end = minuteStart + M * INTERVAL_S * 1000;
    let nextWatchdog = minuteStart;
    for (;;) {
      const hopAt = sqs.nextVisibleAt() ?? Infinity;
      const at = Math.min(hopAt, nextWatchdog);
      if (at >= end) break;
      clock.t = at;
      if (at === nextWatchdog) { await handler(WATCHDOG_EVENT); nextWatchdog += 60_000; continue; }
      for (const m of sqs.due(at)) await handler(sqsEvent([m]));
    }
    const model = countOperations(cfg, M * INTERVAL_S).aws!;
    expect(invocations).toBe(model.probeInvocations + model.watchdogInvocations);
    expect(model.probeInvocations).toBe(M);
    expect(sqs.count('SendMessage')).toBe(model.sqsSends);
    expect(counter.units.write).toBe(model.claimWriteUnits);
    expect(counter.units.read).toBe(model.claimReadUnits);
    expect(Object.fromEntries(counter.calls)).toEqual({ UpdateItemCommand: M, GetItemCommand: 2 });
    await sqs.stop();
  });

  it('AWS coordinator (vote ledger): N services x V vantage points x M rounds, DynamoDB requests and units', async () => {
    const vps = ['us-east-1', 'eu-west-1', 'us-west-2']; // names of one length: one item size per kind
    const cfg = config(4, vps);
    const dynamo = dynalite.client();
    const counter = countCapacity(dynamo);
    const tableName = await dynalite.table();
    // A fixed start: every number stored (times, expiries) has the same digits on every run.
    const clock = { t: Date.UTC(2026, 10, 29, 12, 1), now() { return this.t; } };
    // The store stamps items from a clock a few milliseconds behind the rounds' (as a write lands in
    // production), never from the wall clock, so every run stores numbers with the same digits.
    const store = new DynamoStateStore({ client: dynamo, tableName, clock: { now: () => clock.t + 137 } });
    const nonces = new DynamoNonceStore({ client: dynamo, tableName });
    const zone = new MemoryZone('example.com');
    const provider = new MemoryDnsProvider(zone, { name: 'embedded' });
    const { coordinator } = createCoordinatorApp({
      name: 'aws', config: cfg, store, nonces, clock, logger: silentLogger, dnsProvider: () => provider,
      keys: staticKeyResolver([{ id: KEY.id, scope: 'probe', secret: new Uint8Array(Buffer.from(KEY.hex, 'hex')) }]),
    });
    let n = 0;
    // What the API does per signed batch: ingest it with its nonce, the heartbeat being the replay
    // guard (no nonce item; the API claims one only when a batch records nothing).
    const post = async (vp: string, round: number) => {
      const batch: ObservationBatch = {
        vantagePoint: `aws:${vp}`, round, sentAt: clock.t, controlOk: true, ranIn: vp,
        results: cfg.services.flatMap((s) => (['primary', 'secondary'] as const).map((t) => ({ service: s.name, target: t, verdict: 'healthy' as const, observedAt: clock.t, latencyMs: 5 }))),
      };
      expect((await coordinator.ingest(batch, KEY.id, { nonce: (++n).toString(16).padStart(32, '0') })).replayChecked).toBe(true);
    };
    // Warm-up: past the gray window, so the heartbeats hold a full window of receive times, every
    // decision state exists and every vote sheet is settled.
    const intervalMs = INTERVAL_S * 1000;
    for (let r = 0; r < 40; r++) { clock.t += intervalMs; if (clock.t % 60_000 === 0) await coordinator.tick(); for (const vp of vps) await post(vp, clock.t / intervalMs); }
    counter.reset();

    const M = 12;
    const start = clock.t + intervalMs;
    for (let r = 0; r < M; r++) {
      clock.t = start + r * intervalMs;
      if ((clock.t - start) % 60_000 === 0) await coordinator.tick();
      // Round numbers as the probe chain makes them: the slot of the interval.
      for (const vp of vps) await post(vp, clock.t / intervalMs);
    }
    const counted = { readUnits: counter.units.read, writeUnits: counter.units.write, calls: Object.fromEntries(counter.calls) };
    // The model takes item sizes, measured here on the real items with DynamoDB's formula.
    const items = (await dynamo.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
    const sizes = (keep: (sk: string, pk: string) => boolean) => items.filter((i) => keep(i.sk!.S!, i.pk!.S!)).map((i) => itemBytes(i as Record<string, SizedValue>));
    // itemBytes is DynamoDB's size formula; dynalite bills by its own implementation of it.
    for (const i of items) expect(itemBytes(i as Record<string, SizedValue>), i.sk!.S).toBe(dynaliteItemSize(i));
    const heartbeats = sizes((sk) => sk.endsWith('#hb'));
    const sheets = sizes((sk) => sk.endsWith('#sheet'));
    const states = sizes((sk, pk) => pk === 'state' && sk.startsWith('svc#'));
    // Batches store no nonce item: their heartbeat is the replay guard.
    expect(items.filter((i) => i.pk!.S!.startsWith('nonce#'))).toEqual([]);
    expect([heartbeats.length, sheets.length, states.length]).toEqual([3, 3, 4]);
    // Every heartbeat, sheet and state of this run has one size (same-width names and numbers).
    for (const list of [heartbeats, sheets, states]) expect(new Set(list).size).toBe(1);
    expect(writeUnits(heartbeats[0]!)).toBe(1);
    // A sheet's fixed part and per-service part, from the sheet's own JSON: the votes object holds one entry per service.
    const sheetItem = items.find((i) => i.sk!.S!.endsWith('#sheet'))!;
    const votes = (JSON.parse(sheetItem.value!.S!) as { votes: Record<string, unknown> }).votes;
    const perService = Object.entries(votes).map(([name, entry]) => Buffer.byteLength(`${JSON.stringify(name)}:${JSON.stringify(entry)},`));
    expect(new Set(perService).size).toBe(1);
    const sheetBytesPerService = perService[0]!;
    const sizing = {
      heartbeatItemBytes: heartbeats[0]!, sheetBaseBytes: sheets[0]! - 4 * sheetBytesPerService, sheetBytesPerService,
      stateItemBytes: states[0]!, changeWritesPerServiceMonth: 0,
    };
    // The estimate's defaults are these measured sizes (service names of 14 characters, 10 s interval).
    expect(sizing).toEqual({ ...pickSizing(DEFAULT_ASSUMPTIONS), changeWritesPerServiceMonth: 0 });
    const model = countOperations(cfg, M * INTERVAL_S, sizing).aws!.storage;
    expect(counted).toEqual({
      readUnits: model.dynamoReadUnits, writeUnits: model.dynamoWriteUnits,
      calls: { QueryCommand: model.dynamoReadRequests, PutItemCommand: model.dynamoWriteRequests },
    });
    // Spelled out: 3 vantage points x 12 batches, each a ledger Query, a snapshot Query and a
    // heartbeat PutItem (no nonce PutItem); 2 ticks, each a snapshot Query; steady state writes
    // no sheet and no state.
    expect(counted.calls).toEqual({ QueryCommand: 3 * 12 * 2 + 2, PutItemCommand: 3 * 12 });
  });
});
