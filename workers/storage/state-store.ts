/**
 * StateStore over Durable Object SQLite storage. Every method is synchronous SQL inside the
 * Durable Object, so a read-compare-write cannot interleave with another request's: the CAS is
 * atomic without locks. Audit entries are kept for AUDIT_RETENTION_MS and at most AUDIT_MAX_ENTRIES.
 * The vote ledger (core/coordinator/ledger.ts) is one row per vantage point, slice and kind in
 * lb_ledger (WITHOUT ROWID: one b-tree, so one row written per item); lb_state rows hold no votes
 * since 0.3 (rows saved by 0.1/0.2 still do, and are read as they are).
 */
import type { AuditEntry } from '#core/engine/actions.ts';
import type { ServiceState } from '#core/engine/state.ts';
import { heartbeatIsNewer, replayRefused, sheetIsNewer, type AuditQuery, type LedgerWriteOutcome, type StateStore, type StoreSnapshot, type Versioned } from '#core/coordinator/store.ts';
import type { Heartbeat, LedgerItems, LedgerWrite, VoteSheet } from '#core/coordinator/ledger.ts';
import type { ServiceName, UnixMs, VantagePoint } from '#core/model.ts';

export const AUDIT_MAX_ENTRIES = 10_000;
export const AUDIT_RETENTION_MS = 30 * 24 * 3600_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS lb_state (service TEXT PRIMARY KEY, version INTEGER NOT NULL, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS lb_audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, service TEXT, entry TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS lb_audit_service ON lb_audit (service, seq);
  CREATE TABLE IF NOT EXISTS lb_ledger (vp TEXT NOT NULL, slice TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (vp, slice, kind)) WITHOUT ROWID;
`;

type LedgerRow = { kind: string; value: string };

type StateRow = { version: number; value: string };

export class DurableStateStore implements StateStore {
  private readonly sql: SqlStorage;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
    this.sql.exec(SCHEMA);
  }

  async get(service: ServiceName): Promise<Versioned<ServiceState> | null> {
    const row = this.sql.exec<StateRow>('SELECT version, value FROM lb_state WHERE service = ?', service).toArray()[0];
    return row ? { version: row.version, value: JSON.parse(row.value) as ServiceState } : null;
  }

  async put(state: ServiceState, expected: number | null): Promise<number | null> {
    return this.storage.transactionSync(() => {
      const row = this.sql.exec<{ version: number }>('SELECT version FROM lb_state WHERE service = ?', state.service).toArray()[0];
      if ((row?.version ?? null) !== expected) return null;
      const version = (row?.version ?? 0) + 1;
      this.sql.exec('INSERT OR REPLACE INTO lb_state (service, version, value) VALUES (?, ?, ?)', state.service, version, JSON.stringify(state));
      return version;
    });
  }

  async list(): Promise<Versioned<ServiceState>[]> {
    return this.sql.exec<StateRow>('SELECT version, value FROM lb_state ORDER BY service').toArray()
      .map((row) => ({ version: row.version, value: JSON.parse(row.value) as ServiceState }));
  }

  async ledger(vantagePoint: VantagePoint): Promise<LedgerItems> {
    return ledgerOf(this.sql.exec<LedgerRow>('SELECT kind, value FROM lb_ledger WHERE vp = ?', vantagePoint).toArray());
  }

  async writeLedger(write: LedgerWrite): Promise<LedgerWriteOutcome> {
    const { vantagePoint: vp, slice } = write.heartbeat;
    return this.storage.transactionSync(() => {
      const stored = ledgerOf(this.sql.exec<LedgerRow>('SELECT kind, value FROM lb_ledger WHERE vp = ? AND slice = ?', vp, slice).toArray());
      // One transaction: the signed batch's replay guard (replayRefused) and its writes cannot interleave with another's.
      if (replayRefused(write.heartbeat, stored.heartbeats[0])) return 'replayed';
      const put = (kind: string, value: unknown) => this.sql.exec('INSERT OR REPLACE INTO lb_ledger (vp, slice, kind, value) VALUES (?, ?, ?, ?)', vp, slice, kind, JSON.stringify(value));
      if (write.sheet && sheetIsNewer(write.sheet, stored.sheets[0])) put('sheet', write.sheet);
      if (heartbeatIsNewer(write.heartbeat, stored.heartbeats[0])) put('hb', write.heartbeat);
      return 'recorded';
    });
  }

  async snapshot(): Promise<StoreSnapshot> {
    const states = await this.list();
    return { states, ledger: ledgerOf(this.sql.exec<LedgerRow>('SELECT kind, value FROM lb_ledger').toArray()) };
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.storage.transactionSync(() => {
      for (const e of entries) this.sql.exec('INSERT INTO lb_audit (at, service, entry) VALUES (?, ?, ?)', e.at, e.service, JSON.stringify(e));
      // Count cap on every append (cheap on the primary key); the age cap runs on the alarm.
      this.sql.exec('DELETE FROM lb_audit WHERE seq <= (SELECT MAX(seq) FROM lb_audit) - ?', AUDIT_MAX_ENTRIES);
    });
  }

  /** Newest first (insertion order, as the memory store). */
  async audit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.service !== undefined) { where.push('service = ?'); args.push(query.service); }
    if (query.since !== undefined) { where.push('at >= ?'); args.push(query.since); }
    const sql = `SELECT entry FROM lb_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return this.sql.exec<{ entry: string }>(sql, ...args, query.limit ?? 100).toArray().map((r) => JSON.parse(r.entry) as AuditEntry);
  }

  /** Drops audit entries older than the retention; returns how many went. */
  sweepAudit(now: UnixMs): number {
    return this.sql.exec('DELETE FROM lb_audit WHERE at < ?', now - AUDIT_RETENTION_MS).rowsWritten;
  }
}

function ledgerOf(rows: readonly LedgerRow[]): LedgerItems {
  const heartbeats: Heartbeat[] = [];
  const sheets: VoteSheet[] = [];
  for (const row of rows) {
    if (row.kind === 'hb') heartbeats.push(JSON.parse(row.value) as Heartbeat);
    else sheets.push(JSON.parse(row.value) as VoteSheet);
  }
  return { heartbeats, sheets };
}
