/**
 * Where a coordinator keeps service state, its votes and its audit log. One interface, three
 * backends (memory here; DynamoDB for the Lambda; Durable Object storage for the Worker), all
 * held to the same contract test. Service state writes are compare-and-swap on a version, so two
 * concurrent evaluations never lose or double-apply an update. Votes live in the vote ledger
 * (./ledger.ts): items per vantage point and batch slice, written by that vantage point's batches
 * alone, so recording a vote never waits on, or conflicts with, another vantage point's.
 */
import type { ServiceName, UnixMs, VantagePoint } from '../model.ts';
import type { AuditEntry } from '../engine/actions.ts';
import type { ServiceState } from '../engine/state.ts';
import type { Heartbeat, LedgerItems, LedgerWrite, VoteSheet } from './ledger.ts';

/**
 * What a ledger write did. `replayed`: the heartbeat carries a signed-batch mark (`signed`) and
 * the stored heartbeat of its slice already holds a batch sent at the same time or later, so
 * nothing was written (see replayRefused).
 */
export type LedgerWriteOutcome = 'recorded' | 'replayed';

export interface Versioned<T> {
  readonly value: T;
  /** Opaque to callers; 0 never exists in a store. */
  readonly version: number;
}

export interface AuditQuery {
  readonly service?: ServiceName;
  readonly since?: UnixMs;
  readonly limit?: number;
}

/** Every state and the whole vote ledger, read together: one read per coordinator evaluation. */
export interface StoreSnapshot {
  readonly states: readonly Versioned<ServiceState>[];
  readonly ledger: LedgerItems;
}

export interface VoteLedgerStore {
  /** One vantage point's ledger items: what its next batch is compared with. */
  ledger(vantagePoint: VantagePoint): Promise<LedgerItems>;
  /**
   * Writes the sheet (when given) then the heartbeat. Neither overwrites a newer one (a higher
   * sheet revision, a later heartbeat): a late batch of a slice never undoes a later one.
   * A heartbeat with a `signed` mark is also the signed batch's replay guard: one atomic
   * conditional write refuses it when replayRefused says so, and then nothing is written.
   */
  writeLedger(write: LedgerWrite): Promise<LedgerWriteOutcome>;
  snapshot(): Promise<StoreSnapshot>;
}

export interface StateStore extends VoteLedgerStore {
  get(service: ServiceName): Promise<Versioned<ServiceState> | null>;
  /** Writes if the stored version is still `expected` (null: must not exist yet). Returns the new version, or null on conflict. */
  put(state: ServiceState, expected: number | null): Promise<number | null>;
  list(): Promise<Versioned<ServiceState>[]>;
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  /** Newest first. */
  audit(query?: AuditQuery): Promise<AuditEntry[]>;
}

/** Keeps at most this many audit entries in memory (the durable stores keep theirs with a TTL). */
export const MEMORY_AUDIT_LIMIT = 10_000;

/** Whether a ledger write may replace what is stored (see VoteLedgerStore.writeLedger). */
export const sheetIsNewer = (next: VoteSheet, stored: VoteSheet | undefined): boolean => stored === undefined || next.rev > stored.rev;
export const heartbeatIsNewer = (next: Heartbeat, stored: Heartbeat | undefined): boolean => stored === undefined || next.receivedAt >= stored.receivedAt;
/**
 * The replay rule of POST /v1/observations (instead of an LB1 nonce item): a signed batch is
 * refused when its slice's heartbeat already holds a signed batch sent at the same time or later.
 * A byte-identical replay has the same sentAt; a batch of an older round an older one. Ordered by
 * sentAt, not by round: round numbers are slots of the interval, which shrink when it grows.
 * Heartbeats without a mark (written before 0.3, or by a direct ingest) refuse nothing.
 */
export const replayRefused = (next: Heartbeat, stored: Heartbeat | null | undefined): boolean =>
  next.signed !== undefined && stored?.signed !== undefined && next.signed.sentAt <= stored.signed.sentAt;

export class MemoryStateStore implements StateStore {
  private readonly states = new Map<ServiceName, Versioned<ServiceState>>();
  private auditLog: AuditEntry[] = [];
  private readonly heartbeats = new Map<string, Heartbeat>();
  private readonly sheets = new Map<string, VoteSheet>();
  /** Items written (states, heartbeats, sheets): what the operation-count tests read. */
  readonly writes = { states: 0, heartbeats: 0, sheets: 0 };

  async ledger(vantagePoint: VantagePoint): Promise<LedgerItems> {
    return {
      heartbeats: [...this.heartbeats.values()].filter((h) => h.vantagePoint === vantagePoint),
      sheets: [...this.sheets.values()].filter((s) => s.vantagePoint === vantagePoint),
    };
  }

  async writeLedger(write: LedgerWrite): Promise<LedgerWriteOutcome> {
    const key = `${write.heartbeat.vantagePoint}\u0000${write.heartbeat.slice}`;
    if (replayRefused(write.heartbeat, this.heartbeats.get(key))) return 'replayed';
    if (write.sheet && sheetIsNewer(write.sheet, this.sheets.get(key))) {
      this.sheets.set(key, structuredClone(write.sheet));
      this.writes.sheets++;
    }
    if (heartbeatIsNewer(write.heartbeat, this.heartbeats.get(key))) {
      this.heartbeats.set(key, structuredClone(write.heartbeat));
      this.writes.heartbeats++;
    }
    return 'recorded';
  }

  async snapshot(): Promise<StoreSnapshot> {
    return { states: [...this.states.values()], ledger: { heartbeats: [...this.heartbeats.values()], sheets: [...this.sheets.values()] } };
  }

  async get(service: ServiceName) {
    return this.states.get(service) ?? null;
  }

  async put(state: ServiceState, expected: number | null) {
    const current = this.states.get(state.service);
    if ((current?.version ?? null) !== expected) return null;
    const version = (current?.version ?? 0) + 1;
    // Stored as a JSON copy, as every durable backend would: nobody can mutate it behind our back.
    this.states.set(state.service, { value: structuredClone(state), version });
    this.writes.states++;
    return version;
  }

  async list() {
    return [...this.states.values()];
  }

  async appendAudit(entries: readonly AuditEntry[]) {
    this.auditLog.push(...entries);
    if (this.auditLog.length > MEMORY_AUDIT_LIMIT) this.auditLog = this.auditLog.slice(-MEMORY_AUDIT_LIMIT);
  }

  async audit(query: AuditQuery = {}) {
    return filterAudit(this.auditLog, query);
  }
}

export function filterAudit(entries: readonly AuditEntry[], query: AuditQuery): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = entries.length - 1; i >= 0 && out.length < (query.limit ?? 100); i--) {
    const e = entries[i]!;
    if (query.service !== undefined && e.service !== query.service) continue;
    if (query.since !== undefined && e.at < query.since) break;
    out.push(e);
  }
  return out;
}
