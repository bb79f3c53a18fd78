/**
 * An in-memory zone with the provider contract's exact semantics: atomic apply, compare-and-swap
 * on the state record, nothing sent for a no-op. It backs the simulator, the tests, and the zone
 * that the embedded DNS server answers from.
 */
import { encodeStateRecord, parseStateRecord, sameState, stateRecordName } from './state-record.ts';
import { normaliseName } from '../model.ts';
import { isNoop, refuseAliases } from './plan.ts';
import { UnsafePlanError } from './types.ts';
import type {
  ApplyResult, CurrentRecords, DnsPlan, DnsProvider, DnsProviderName, RecordSet, RecordType, ServiceDns,
} from './types.ts';

type Key = `${string}|${RecordType}`;
const keyOf = (name: string, type: RecordType): Key => `${normaliseName(name)}|${type}`;

export class MemoryZone {
  private readonly sets = new Map<Key, RecordSet>();
  private readonly listeners = new Set<() => void>();
  /** Number of successful writes, for tests that check idempotency. */
  writes = 0;

  constructor(readonly apex: string) {}

  get(name: string, type: RecordType): RecordSet | undefined {
    return this.sets.get(keyOf(name, type));
  }

  all(): RecordSet[] {
    return [...this.sets.values()];
  }

  /** Replaces record sets in one step, as one transaction. */
  write(sets: readonly RecordSet[]): void {
    for (const set of sets) this.sets.set(keyOf(set.name, set.type), { ...set, name: normaliseName(set.name) });
    this.writes += 1;
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface MemoryProviderOptions {
  readonly name?: DnsProviderName;
  /** Called before each read/apply; throw from it to simulate an API failure. */
  readonly beforeCall?: (call: 'read' | 'apply') => void | Promise<void>;
}

export class MemoryDnsProvider implements DnsProvider {
  readonly name: DnsProviderName;
  readonly zone: string;
  private readonly beforeCall: MemoryProviderOptions['beforeCall'];

  constructor(readonly store: MemoryZone, options: MemoryProviderOptions = {}) {
    this.name = options.name ?? 'memory';
    this.zone = store.apex;
    this.beforeCall = options.beforeCall;
  }

  async read(service: ServiceDns): Promise<CurrentRecords> {
    await this.beforeCall?.('read');
    return this.readNow(service.service);
  }

  private readNow(name: string): CurrentRecords {
    const records = (['A', 'AAAA', 'CNAME'] as const)
      .map((type) => this.store.get(name, type))
      .filter((r): r is RecordSet => r !== undefined);
    const txt = this.store.get(stateRecordName(name), 'TXT');
    return { records, state: txt?.values[0] ? parseStateRecord(txt.values[0]) : null };
  }

  async apply(plan: DnsPlan): Promise<ApplyResult> {
    await this.beforeCall?.('apply');
    const base = { provider: this.name, zone: this.zone };
    // The embedded zone serves plain records only; an alias is Route 53's.
    if (this.name !== 'route53') refuseAliases(plan.changes.flatMap((c) => (c.kind === 'delete' ? [] : [c.after])), this);
    if (isNoop(plan)) return { ...base, outcome: 'unchanged', state: plan.expectedState };
    const now = this.readNow(plan.service);
    if (!sameState(now.state, plan.expectedState)) return { ...base, outcome: 'conflict', state: now.state };
    const writes: RecordSet[] = [];
    for (const change of plan.changes) {
      if (change.kind === 'delete') throw new UnsafePlanError('a plan may not delete records', this.name, this.zone, change.before.name);
      writes.push(change.after);
    }
    const ttl = writes[0]?.ttl ?? this.readNow(plan.service).records[0]?.ttl ?? 60;
    this.store.write([
      ...writes,
      { name: stateRecordName(plan.service), type: 'TXT', ttl, values: [encodeStateRecord(plan.newState)] },
    ]);
    return { ...base, outcome: 'applied', state: plan.newState };
  }
}
