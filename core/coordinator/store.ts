/**
 * Where a coordinator keeps service state and its audit log. One interface, three backends
 * (memory here; DynamoDB for the Lambda; Durable Object storage for the Worker), all held to
 * the same contract test. Writes are compare-and-swap on a version, so two concurrent
 * evaluations never lose or double-apply an update.
 */
import type { ServiceName, UnixMs } from '../model.ts';
import type { AuditEntry } from '../engine/actions.ts';
import type { ServiceState } from '../engine/state.ts';

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

export interface StateStore {
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

export class MemoryStateStore implements StateStore {
  private readonly states = new Map<ServiceName, Versioned<ServiceState>>();
  private auditLog: AuditEntry[] = [];

  async get(service: ServiceName) {
    return this.states.get(service) ?? null;
  }

  async put(state: ServiceState, expected: number | null) {
    const current = this.states.get(state.service);
    if ((current?.version ?? null) !== expected) return null;
    const version = (current?.version ?? 0) + 1;
    // Stored as a JSON copy, as every durable backend would: nobody can mutate it behind our back.
    this.states.set(state.service, { value: structuredClone(state), version });
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
