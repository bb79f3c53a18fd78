/**
 * StateStore on DynamoDB (layout in ./table.ts). Compare-and-swap on a numeric `version` with
 * conditional writes; audit entries written twice (global and per-service partition) so both
 * queries of the API are a single Query, newest first, and expire by TTL. The vote ledger
 * (core/coordinator/ledger.ts) shares the states' partition, so one Query reads every state and
 * every vote: a coordinator evaluation costs one read, whatever the number of vantage points.
 */
import {
  BatchWriteItemCommand, GetItemCommand, PutItemCommand, QueryCommand,
  type DynamoDBClient, type QueryCommandInput, type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { AuditQuery, LedgerWriteOutcome, StateStore, StoreSnapshot, Versioned } from '#core/coordinator/store.ts';
import type { Heartbeat, LedgerItems, LedgerWrite, VoteSheet } from '#core/coordinator/ledger.ts';
import type { AuditEntry } from '#core/engine/actions.ts';
import type { ServiceState } from '#core/engine/state.ts';
import type { ServiceName, VantagePoint } from '#core/model.ts';
import { isConditionFailure, num, SORT_KEY, str, TTL_ATTRIBUTE, type Item } from './table.ts';
import { StorageError } from '#core/errors.ts';
import { systemClock, type Clock } from '#core/ports.ts';

export interface DynamoStateStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Audit entries are deleted by TTL this long after they were written. Default 30 days. */
  readonly auditRetentionDays?: number;
  /** For the audit sort key's tie-breaker; injectable for tests. */
  readonly random?: () => string;
  /** Bound on Query pages read for one call (each page is up to 1 MB). */
  readonly maxPages?: number;
  /** Stamps `updatedAt` and audit expiry; the coordinator's clock, so items are reproducible in tests. */
  readonly clock?: Clock;
}

const STATE_PK = 'state';
const AUDIT_PK = 'audit';
const STATE_PREFIX = 'svc#';
const LEDGER_PREFIX = 'vp#';
const stateSk = (service: ServiceName) => `${STATE_PREFIX}${service}`;
/** Vantage points and service names never contain '#' (config names, DNS names). */
const ledgerPrefix = (vp: VantagePoint) => `${LEDGER_PREFIX}${vp}#`;
const heartbeatSk = (hb: Pick<Heartbeat, 'vantagePoint' | 'slice'>) => `${ledgerPrefix(hb.vantagePoint)}${hb.slice}#hb`;
const sheetSk = (sheet: Pick<VoteSheet, 'vantagePoint' | 'slice'>) => `${ledgerPrefix(sheet.vantagePoint)}${sheet.slice}#sheet`;
const auditPk = (service: ServiceName) => `audit#${service}`;
/** Fixed width so string order is time order (15 digits last until the year 33658). */
const auditTime = (at: number) => String(Math.max(0, Math.floor(at))).padStart(15, '0');
/** BatchWriteItem takes at most 25 requests. */
const BATCH = 25;
const MAX_UNPROCESSED_RETRIES = 6;

export class DynamoStateStore implements StateStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly retentionS: number;
  private readonly random: () => string;
  private readonly maxPages: number;
  private readonly clock: Clock;

  constructor(options: DynamoStateStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.retentionS = Math.round((options.auditRetentionDays ?? 30) * 86_400);
    this.random = options.random ?? (() => crypto.randomUUID().slice(0, 8));
    this.maxPages = options.maxPages ?? 20;
    this.clock = options.clock ?? systemClock;
  }

  async get(service: ServiceName): Promise<Versioned<ServiceState> | null> {
    const out = await this.client.send(new GetItemCommand({
      TableName: this.table, Key: { pk: { S: STATE_PK }, sk: { S: stateSk(service) } }, ConsistentRead: true,
    }));
    return out.Item ? versioned(out.Item) : null;
  }

  async put(state: ServiceState, expected: number | null): Promise<number | null> {
    const version = (expected ?? 0) + 1;
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: { S: STATE_PK }, sk: { S: stateSk(state.service) },
          version: { N: String(version) }, state: { S: JSON.stringify(state) }, updatedAt: { N: String(this.clock.now()) },
        },
        ...(expected === null
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': { N: String(expected) } } }),
      }));
      return version;
    } catch (err) {
      if (isConditionFailure(err)) return null;
      throw err;
    }
  }

  async list(): Promise<Versioned<ServiceState>[]> {
    const items = await this.query({
      TableName: this.table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': { S: STATE_PK }, ':prefix': { S: STATE_PREFIX } }, ConsistentRead: true,
    }, Infinity);
    return items.map(versioned);
  }

  async ledger(vantagePoint: VantagePoint): Promise<LedgerItems> {
    const items = await this.query({
      TableName: this.table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': { S: STATE_PK }, ':prefix': { S: ledgerPrefix(vantagePoint) } }, ConsistentRead: true,
    }, Infinity);
    return ledgerOf(items);
  }

  async writeLedger(write: LedgerWrite): Promise<LedgerWriteOutcome> {
    const hb = write.heartbeat;
    const attrs: Item = { receivedAt: { N: String(hb.receivedAt) }, value: { S: JSON.stringify(hb) } };
    if (hb.signed) {
      // The signed batch's replay guard is this one conditional write (core/coordinator/store.ts
      // replayRefused), so it goes first: a refused replay writes nothing. A heartbeat without
      // `sentAt` (unsigned, or before 0.3) keeps the receive-time rule.
      const stored = await this.putUnlessNewer(heartbeatSk(hb), { ...attrs, sentAt: { N: String(hb.signed.sentAt) } },
        '(attribute_not_exists(sentAt) AND receivedAt <= :v) OR sentAt < :sent', { ':v': { N: String(hb.receivedAt) }, ':sent': { N: String(hb.signed.sentAt) } });
      if (!stored) return 'replayed';
      // A crash before the sheet lands leaves the heartbeat naming a revision not stored: the
      // slice gives no votes until its next batch, which rewrites both (ledger.ts planRecord).
      await this.putSheet(write.sheet);
      return 'recorded';
    }
    // Unsigned: sheet first, so a heartbeat never names a sheet revision that is not stored.
    await this.putSheet(write.sheet);
    await this.putUnlessNewer(heartbeatSk(hb), attrs, 'receivedAt <= :v', { ':v': { N: String(hb.receivedAt) } });
    return 'recorded';
  }

  private async putSheet(sheet: VoteSheet | null): Promise<void> {
    if (sheet) await this.putUnlessNewer(sheetSk(sheet), { rev: { N: String(sheet.rev) }, value: { S: JSON.stringify(sheet) } }, 'rev < :v', { ':v': { N: String(sheet.rev) } });
  }

  async snapshot(): Promise<StoreSnapshot> {
    const items = await this.query({
      TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: STATE_PK } }, ConsistentRead: true,
    }, Infinity);
    const states = items.filter((i) => i[SORT_KEY]?.S?.startsWith(STATE_PREFIX)).map(versioned);
    return { states, ledger: ledgerOf(items) };
  }

  /**
   * A ledger item is written by its own vantage point only; the condition keeps a late batch from
   * undoing a later one (and a signed heartbeat's, a replay out). False when the condition refused it.
   */
  private async putUnlessNewer(sk: string, attrs: Item, condition: string, values: Item): Promise<boolean> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.table, Item: { pk: { S: STATE_PK }, sk: { S: sk }, ...attrs },
        ConditionExpression: `attribute_not_exists(pk) OR ${condition}`, ExpressionAttributeValues: values,
      }));
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return false;
    }
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const expiresAt = Math.floor(this.clock.now() / 1000) + this.retentionS;
    const requests: WriteRequest[] = entries.flatMap((entry, i) => {
      // The index keeps the order of entries written in the same millisecond by one call.
      const sk = `${auditTime(entry.at)}#${String(i).padStart(3, '0')}${this.random()}`;
      const attrs: Item = { sk: { S: sk }, at: { N: String(entry.at) }, entry: { S: JSON.stringify(entry) }, [TTL_ATTRIBUTE]: { N: String(expiresAt) } };
      const pks = entry.service === null ? [AUDIT_PK] : [AUDIT_PK, auditPk(entry.service)];
      return pks.map((pk) => ({ PutRequest: { Item: { ...attrs, pk: { S: pk } } } }));
    });
    for (let i = 0; i < requests.length; i += BATCH) await this.batchWrite(requests.slice(i, i + BATCH));
  }

  async audit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = query.limit ?? 100;
    const input: QueryCommandInput = {
      TableName: this.table,
      KeyConditionExpression: query.since === undefined ? 'pk = :pk' : 'pk = :pk AND sk >= :since',
      ExpressionAttributeValues: {
        ':pk': { S: query.service === undefined ? AUDIT_PK : auditPk(query.service) },
        ...(query.since === undefined ? {} : { ':since': { S: auditTime(query.since) } }),
      },
      ScanIndexForward: false,
    };
    const items = await this.query(input, limit);
    return items.map((item) => JSON.parse(str(item, 'entry')) as AuditEntry);
  }

  /** Follows LastEvaluatedKey until `limit` items or `maxPages` pages. */
  private async query(input: QueryCommandInput, limit: number): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    for (let page = 0; page < this.maxPages && items.length < limit; page++) {
      const out = await this.client.send(new QueryCommand({
        ...input, ...(Number.isFinite(limit) ? { Limit: limit - items.length } : {}), ...(start ? { ExclusiveStartKey: start } : {}),
      }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    return items;
  }

  /** BatchWriteItem may hand back unprocessed items under load: resend them with a short backoff. */
  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > MAX_UNPROCESSED_RETRIES) throw new StorageError(`audit write: ${pending.length} items still unprocessed after ${MAX_UNPROCESSED_RETRIES} retries`);
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1_000, 25 * 2 ** attempt)));
      const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }));
      pending = out.UnprocessedItems?.[this.table] ?? [];
    }
  }
}

function versioned(item: Item): Versioned<ServiceState> {
  return { value: JSON.parse(str(item, 'state')) as ServiceState, version: num(item, 'version') };
}

function ledgerOf(items: readonly Item[]): LedgerItems {
  const heartbeats: Heartbeat[] = [];
  const sheets: VoteSheet[] = [];
  for (const item of items) {
    const sk = item[SORT_KEY]?.S ?? '';
    if (!sk.startsWith(LEDGER_PREFIX)) continue;
    if (sk.endsWith('#hb')) heartbeats.push(JSON.parse(str(item, 'value')) as Heartbeat);
    else if (sk.endsWith('#sheet')) sheets.push(JSON.parse(str(item, 'value')) as VoteSheet);
  }
  return { heartbeats, sheets };
}
