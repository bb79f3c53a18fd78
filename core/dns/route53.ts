/**
 * Route 53 through @aws-sdk/client-route-53. The caller builds the client (region, credentials,
 * endpoint), so AWS_ENDPOINT_URL_ROUTE_53 or `endpoint` reach test fixtures; build it with
 * `maxAttempts: 1` (ROUTE53_CLIENT_DEFAULTS) so that retries happen here, bounded and with the
 * injected sleep, instead of inside the SDK with real timers.
 *
 * The compare-and-swap is Route 53's own: one atomic change batch holds the record UPSERTs, a
 * DELETE of the state TXT exactly as it stands (TTL and values must match byte for byte) and a
 * CREATE of the new one. If anyone changed the TXT in between, the whole batch is rejected.
 */
import {
  ChangeResourceRecordSetsCommand, GetChangeCommand, ListResourceRecordSetsCommand,
  type Change, type ResourceRecordSet, type Route53Client,
} from '@aws-sdk/client-route-53';
import { realSleep, type Sleep } from '../ports.ts';
import { isNoop } from './plan.ts';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry.ts';
import { encodeStateRecord, parseStateRecord, sameState, stateRecordName } from './state-record.ts';
import { normaliseName } from '../model.ts';
import {
  DnsError, DnsRetryExhaustedError, UnsafePlanError,
  type ApplyResult, type CurrentRecords, type DnsPlan, type DnsProvider, type RecordSet, type RecordType,
  type ServiceDns, type StateRecord,
} from './types.ts';

export const ROUTE53_CLIENT_DEFAULTS = { maxAttempts: 1 } as const;

/** Route 53 answered with an error this provider does not retry (or stopped retrying). */
export class Route53ApiError extends DnsError {
  override readonly name: string = 'Route53ApiError';
  constructor(message: string, zone: string, record: string | undefined, readonly code: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, 'route53', zone, record, options);
  }
}

export interface Route53ProviderOptions {
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly retry?: Partial<Pick<RetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs' | 'maxTotalMs'>>;
  /** Page size for ListResourceRecordSets (Route 53 allows up to 300). */
  readonly pageSize?: number;
  /** Bound on pages read for one name. */
  readonly maxPages?: number;
}

/** An rrset as Route 53 holds it, kept raw so that a DELETE can repeat it exactly. */
interface RawSet { readonly name: string; readonly type: string; readonly ttl: number; readonly values: readonly string[] }

const SERVICE_TYPES: readonly RecordType[] = ['A', 'AAAA', 'CNAME'];
const THROTTLES = new Set(['Throttling', 'ThrottlingException', 'PriorRequestNotComplete']);

interface AwsErrorLike { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }
const awsError = (err: unknown): AwsErrorLike => (typeof err === 'object' && err !== null ? err as AwsErrorLike : {});
const statusOf = (err: unknown): number | undefined => awsError(err).$metadata?.httpStatusCode;
const isServerError = (err: unknown): boolean => (statusOf(err) ?? 0) >= 500;
const isRetryable = (err: unknown): boolean => THROTTLES.has(awsError(err).name ?? '') || isServerError(err);

export class Route53Provider implements DnsProvider {
  readonly name = 'route53' as const;
  readonly zone: string;
  private readonly retry: RetryOptions;
  private readonly pageSize: number;
  private readonly maxPages: number;

  constructor(private readonly client: Route53Client, hostedZoneId: string, options: Route53ProviderOptions = {}) {
    this.zone = hostedZoneId.replace(/^\/?hostedzone\//, '');
    this.pageSize = options.pageSize ?? 100;
    this.maxPages = options.maxPages ?? 20;
    this.retry = {
      ...DEFAULT_RETRY, ...options.retry, isRetryable,
      sleep: options.sleep ?? realSleep, random: options.random ?? Math.random,
    };
  }

  async read(service: ServiceDns): Promise<CurrentRecords> {
    const name = normaliseName(service.service);
    // The state record first, then the records: a write landing between the two reads then
    // shows as a stale expectedState (a CAS conflict), never as old records under a new state.
    const txt = await this.stateSet(name);
    const sets = await this.listAt(name);
    const records = sets.filter((s) => (SERVICE_TYPES as readonly string[]).includes(s.type)).map((s) => toRecordSet(s));
    return { records, state: stateOf(txt) };
  }

  async apply(plan: DnsPlan): Promise<ApplyResult> {
    const base = { provider: this.name, zone: this.zone };
    if (isNoop(plan)) return { ...base, outcome: 'unchanged', state: plan.expectedState };
    const txtName = stateRecordName(plan.service);
    // Read the TXT as it stands: the DELETE must repeat its TTL and values exactly.
    const old = await this.stateSet(plan.service);
    if (!sameState(stateOf(old), plan.expectedState)) return { ...base, outcome: 'conflict', state: stateOf(old) };
    const changes: Change[] = [];
    for (const change of plan.changes) {
      if (change.kind === 'delete') throw new UnsafePlanError('a plan may not delete records', this.name, this.zone, change.before.name);
      changes.push({ Action: 'UPSERT', ResourceRecordSet: toAws(change.after.name, change.after.type, change.after.ttl, change.after.values) });
    }
    if (old) changes.push({ Action: 'DELETE', ResourceRecordSet: { Name: old.name, Type: 'TXT', TTL: old.ttl, ResourceRecords: old.values.map((Value) => ({ Value })) } });
    const ttl = changes[0]?.ResourceRecordSet?.TTL ?? old?.ttl ?? 60;
    changes.push({ Action: 'CREATE', ResourceRecordSet: toAws(txtName, 'TXT', ttl, [quoteTxt(encodeStateRecord(plan.newState))]) });
    const command = new ChangeResourceRecordSetsCommand({
      HostedZoneId: this.zone,
      ChangeBatch: { Comment: `lifeboat: ${plan.service} -> ${plan.to} (epoch ${plan.newState.epoch})`, Changes: changes },
    });
    // A 5xx leaves the outcome unknown: the batch may have landed before the retry is rejected.
    let uncertain = false;
    try {
      const out = await withRetry(() => this.client.send(command), {
        ...this.retry, isRetryable: (err) => { uncertain ||= isServerError(err); return isRetryable(err); },
      });
      return { ...base, outcome: 'applied', changeId: bareChangeId(out.ChangeInfo?.Id), state: plan.newState };
    } catch (err) {
      if (awsError(err).name !== 'InvalidChangeBatch') throw this.toDnsError(err, plan.service);
      const now = stateOf(await this.stateSet(plan.service));
      if (uncertain && sameState(now, plan.newState)) return { ...base, outcome: 'applied', state: now };
      if (!sameState(now, plan.expectedState)) return { ...base, outcome: 'conflict', state: now };
      throw this.toDnsError(err, plan.service);
    }
  }

  /** Polls GetChange until the change is INSYNC; false if it was still PENDING at the deadline. */
  async waitForSync(changeId: string, options: { timeoutMs: number; pollMs?: number }): Promise<boolean> {
    const pollMs = Math.max(1, options.pollMs ?? 2_000);
    const polls = Math.max(1, Math.ceil(options.timeoutMs / pollMs));
    for (let i = 0; i < polls; i++) {
      if (i > 0) await this.retry.sleep(pollMs);
      const out = await this.send(() => this.client.send(new GetChangeCommand({ Id: bareChangeId(changeId) })), `change ${changeId}`);
      if (out.ChangeInfo?.Status === 'INSYNC') return true;
    }
    return false;
  }

  private async stateSet(service: string): Promise<RawSet | undefined> {
    const name = stateRecordName(service);
    return (await this.listAt(name, 'TXT')).find((s) => s.type === 'TXT');
  }

  /** Every rrset named exactly `name` (from `type` on), following IsTruncated, bounded. */
  private async listAt(name: string, type?: RecordType): Promise<RawSet[]> {
    const found: RawSet[] = [];
    let start: { name: string; type?: string; id?: string } = { name, ...(type ? { type } : {}) };
    for (let page = 0; page < this.maxPages; page++) {
      const out = await this.send(() => this.client.send(new ListResourceRecordSetsCommand({
        HostedZoneId: this.zone, StartRecordName: start.name, StartRecordType: start.type as RecordType | undefined,
        StartRecordIdentifier: start.id, MaxItems: this.pageSize,
      })), name);
      for (const set of out.ResourceRecordSets ?? []) {
        // Route 53 sorts by name, so the first other name ends this name's sets.
        if (normaliseName(set.Name ?? '') !== name) return found;
        found.push(this.fromAws(set, name));
      }
      if (!out.IsTruncated || !out.NextRecordName) return found;
      start = { name: out.NextRecordName, type: out.NextRecordType, id: out.NextRecordIdentifier };
    }
    throw new Route53ApiError(`Route 53 zone ${this.zone}: more than ${this.maxPages} pages of records named ${name}`, this.zone, name, 'TooManyPages');
  }

  private fromAws(set: ResourceRecordSet, name: string): RawSet {
    if (set.AliasTarget || set.SetIdentifier) {
      throw new Route53ApiError(
        `Route 53 zone ${this.zone}: ${name} ${set.Type} is an alias or routing-policy record; Lifeboat only manages simple records`,
        this.zone, name, 'UnsupportedRecord');
    }
    return { name: set.Name ?? name, type: set.Type ?? '', ttl: set.TTL ?? 0, values: (set.ResourceRecords ?? []).map((r) => r.Value ?? '') };
  }

  private async send<T>(call: () => Promise<T>, record: string): Promise<T> {
    try {
      return await withRetry(call, this.retry);
    } catch (err) {
      throw this.toDnsError(err, record);
    }
  }

  private toDnsError(err: unknown, record: string): DnsError {
    const { name = 'Error', message = String(err) } = awsError(err);
    const status = statusOf(err);
    const what = `Route 53 zone ${this.zone}, record ${record}`;
    if (isRetryable(err)) {
      return new DnsRetryExhaustedError(`${what}: gave up after bounded retries (at most ${this.retry.attempts} attempts): ${name}: ${message}`, 'route53', this.zone, record, { cause: err });
    }
    const hint = name === 'NoSuchHostedZone' ? ' (check hostedZoneId and that the credentials belong to its account)' : '';
    return new Route53ApiError(`${what}: ${name}${status ? ` (HTTP ${status})` : ''}: ${message}${hint}`, this.zone, record, name, status, { cause: err });
  }
}

function toAws(name: string, type: string, ttl: number, values: readonly string[]): ResourceRecordSet {
  return { Name: `${normaliseName(name)}.`, Type: type as RecordType, TTL: ttl, ResourceRecords: values.map((Value) => ({ Value })) };
}

function toRecordSet(set: RawSet): RecordSet {
  const type = set.type as RecordType;
  const values = set.values.map((v) => (type === 'CNAME' ? normaliseName(v) : type === 'AAAA' ? v.toLowerCase() : v)).sort();
  return { name: normaliseName(set.name), type, ttl: set.ttl, values };
}

function stateOf(set: RawSet | undefined): StateRecord | null {
  for (const value of set?.values ?? []) {
    const state = parseStateRecord(unquoteTxt(value));
    if (state) return state;
  }
  return null;
}

function bareChangeId(id: string | undefined): string | undefined {
  return id?.replace(/^\/?change\//, '');
}

/** Route 53 TXT values are quoted character strings; ours are short and need no escaping but quotes. */
export function quoteTxt(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Joins a TXT value's quoted strings (`"a" "b"` is "ab") and undoes \" \\ and \DDD escapes. */
export function unquoteTxt(value: string): string {
  const parts = [...value.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? '');
  const joined = parts.length > 0 ? parts.join('') : value;
  return joined.replace(/\\(\d{3}|.)/g, (_, esc: string) => (esc.length === 3 ? String.fromCharCode(Number(esc)) : esc));
}
