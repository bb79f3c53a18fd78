/**
 * Route 53 through @aws-sdk/client-route-53. The caller builds the client (region, credentials,
 * endpoint), so AWS_ENDPOINT_URL_ROUTE_53 or `endpoint` reach test fixtures; build it with
 * `maxAttempts: 1` (ROUTE53_CLIENT_DEFAULTS) so that retries happen here, bounded and with the
 * injected sleep, instead of inside the SDK with real timers.
 *
 * The compare-and-swap is Route 53's own: one atomic change batch holds the record UPSERTs, a
 * DELETE of the state TXT exactly as it stands (TTL and values must match byte for byte) and a
 * CREATE of the new one. If anyone changed the TXT in between, the whole batch is rejected.
 *
 * Many services at once (applyMany, a whole site failing): Route 53 allows about 5 requests per
 * second per account, so reads list the zone in 300-set pages instead of two requests per
 * service, and the writes of many services share one change batch (up to 1,000 records and
 * 32,000 characters of values). Each service keeps its own DELETE-exact + CREATE of its state
 * record inside the batch, so the batch is atomic across them: if any one state record moved,
 * Route 53 rejects the batch whole and writes nothing. Then the zone is listed again, the services
 * whose state moved are reported 'conflict' (someone else flipped them), and the rest are sent
 * again as one batch; if that fails too (records moved under an unchanged state), each is applied
 * on its own, which isolates the one at fault. Every request is paced to the account's rate.
 */
import {
  ChangeResourceRecordSetsCommand, GetChangeCommand, ListResourceRecordSetsCommand,
  type Change, type ResourceRecordSet, type Route53Client,
} from '@aws-sdk/client-route-53';
import { realSleep, type Sleep } from '../ports.ts';
import { chunkByWeight, type BatchDnsProvider } from './batch.ts';
import { Pacer, ROUTE53_PACE, type PaceOptions } from './batch-pacer.ts';
import { answerWithoutWriting, screenPlans } from './plan.ts';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry.ts';
import { encodeStateRecord, parseStateRecord, sameState, stateRecordName } from './state-record.ts';
import { normaliseName } from '../model.ts';
import {
  DnsError, DnsRetryExhaustedError,
  type AliasTarget, type ApplyResult, type CurrentRecords, type DnsPlan, type RecordSet, type RecordType,
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
  /**
   * Client-side pacing of every request (default 5 per second, burst 5, real time). Shares one
   * account's budget only within this provider: zones of one account in separate providers can
   * still be throttled, which the retries absorb.
   */
  readonly pace?: Partial<PaceOptions>;
  /** applyMany's change batch limits (Route 53: 1,000 ResourceRecord elements, 32,000 value characters). */
  readonly batchLimits?: { readonly records?: number; readonly characters?: number };
  /** Bound on pages (300 sets each) when reading the whole zone; past it, names are read one by one. */
  readonly maxZonePages?: number;
}

/** From this many services on, readMany lists the zone instead of two listings per service. */
const ZONE_LISTING_FROM = 8;

/** An rrset as Route 53 holds it, kept raw so that a DELETE can repeat it exactly. */
interface RawSet { readonly name: string; readonly type: string; readonly ttl: number; readonly values: readonly string[]; readonly alias?: AliasTarget }

const SERVICE_TYPES: readonly RecordType[] = ['A', 'AAAA', 'CNAME'];
const THROTTLES = new Set(['Throttling', 'ThrottlingException', 'PriorRequestNotComplete']);

interface AwsErrorLike { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } }
/** The SDK's exceptions carry the AWS error code as `name`; the Worker's small client (workers/route53-client.ts) as `code`. */
const awsError = (err: unknown): AwsErrorLike => {
  if (typeof err !== 'object' || err === null) return {};
  const e = err as AwsErrorLike;
  return typeof e.code === 'string' ? { ...e, name: e.code, message: e.message, $metadata: e.$metadata } : e;
};
const statusOf = (err: unknown): number | undefined => awsError(err).$metadata?.httpStatusCode;
const isServerError = (err: unknown): boolean => (statusOf(err) ?? 0) >= 500;
const isRetryable = (err: unknown): boolean => THROTTLES.has(awsError(err).name ?? '') || isServerError(err);

export class Route53Provider implements BatchDnsProvider {
  readonly name = 'route53' as const;
  readonly zone: string;
  private readonly retry: RetryOptions;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly maxZonePages: number;
  private readonly pacer: Pacer;
  private readonly batchRecords: number;
  private readonly batchCharacters: number;

  constructor(private readonly client: Route53Client, hostedZoneId: string, options: Route53ProviderOptions = {}) {
    this.zone = hostedZoneId.replace(/^\/?hostedzone\//, '');
    this.pageSize = options.pageSize ?? 100;
    this.maxPages = options.maxPages ?? 20;
    this.maxZonePages = options.maxZonePages ?? 100;
    this.batchRecords = options.batchLimits?.records ?? 1_000;
    this.batchCharacters = options.batchLimits?.characters ?? 32_000;
    this.pacer = new Pacer({ ...ROUTE53_PACE, sleep: realSleep, now: Date.now, ...options.pace });
    this.retry = {
      ...DEFAULT_RETRY, ...options.retry, isRetryable,
      sleep: options.sleep ?? realSleep, random: options.random ?? Math.random,
    };
  }

  async readMany(services: readonly ServiceDns[]): Promise<ReadonlyMap<string, CurrentRecords>> {
    const zone = services.length >= ZONE_LISTING_FROM ? await this.listZone() : null;
    const out = new Map<string, CurrentRecords>();
    for (const service of services) {
      const name = normaliseName(service.service);
      if (!zone) { out.set(name, await this.read(service)); continue; }
      const sets = (zone.get(name) ?? []).filter((s) => (SERVICE_TYPES as readonly string[]).includes(s.Type ?? ''));
      const txt = (zone.get(stateRecordName(name)) ?? []).find((s) => s.Type === 'TXT');
      out.set(name, {
        records: sets.map((s) => toRecordSet(this.fromAws(s, name))),
        state: stateOf(txt ? this.fromAws(txt, stateRecordName(name)) : undefined),
      });
    }
    return out;
  }

  async applyMany(plans: readonly DnsPlan[]): Promise<readonly (ApplyResult | Error)[]> {
    const base = { provider: this.name, zone: this.zone };
    const screened = screenPlans(plans, this);
    const results = screened.results;
    let todo = screened.todo;
    const uncertain = new Set<number>();
    // Two batched passes (the second after a re-read), then one service at a time.
    for (let pass = 0; pass < 2 && todo.length > 0; pass++) {
      let olds: Map<string, RawSet | undefined>;
      try {
        olds = await this.stateSets(todo.map((i) => plans[i]!.service));
      } catch (err) {
        for (const i of todo) results[i] = err instanceof Error ? err : new Error(String(err));
        todo = [];
        break;
      }
      const ready: number[] = [];
      for (const i of todo) {
        const plan = plans[i]!;
        const now = stateOf(olds.get(plan.service));
        if (uncertain.has(i) && sameState(now, plan.newState)) results[i] = { ...base, outcome: 'applied', state: now };
        else if (!sameState(now, plan.expectedState)) results[i] = { ...base, outcome: 'conflict', state: now };
        else ready.push(i);
      }
      const rejected: number[] = [];
      const changesOf = new Map(ready.map((i) => [i, this.changesFor(plans[i]!, olds.get(plans[i]!.service))]));
      // An alias has no ResourceRecord; counted as one, with its DNS name's characters, to stay on the safe side.
      const weights = (i: number) => {
        const values = changesOf.get(i)!.flatMap((c) => (c.ResourceRecordSet?.AliasTarget
          ? [c.ResourceRecordSet.AliasTarget.DNSName ?? ''] : (c.ResourceRecordSet?.ResourceRecords ?? []).map((r) => r.Value ?? '')));
        return [values.length, values.reduce((n, v) => n + v.length, 0)];
      };
      for (const chunk of chunkByWeight(ready, [this.batchRecords, this.batchCharacters], weights)) {
        const command = new ChangeResourceRecordSetsCommand({
          HostedZoneId: this.zone,
          ChangeBatch: { Comment: `lifeboat: ${chunk.length} services`, Changes: chunk.flatMap((i) => changesOf.get(i)!) },
        });
        try {
          const out = await withRetry(() => this.paced(() => this.client.send(command)), {
            ...this.retry, isRetryable: (err) => { if (isServerError(err)) chunk.forEach((i) => uncertain.add(i)); return isRetryable(err); },
          });
          for (const i of chunk) results[i] = { ...base, outcome: 'applied', changeId: bareChangeId(out.ChangeInfo?.Id), state: plans[i]!.newState };
        } catch (err) {
          if (awsError(err).name === 'InvalidChangeBatch') rejected.push(...chunk);
          else for (const i of chunk) results[i] = this.toDnsError(err, plans[i]!.service);
        }
      }
      todo = rejected;
    }
    for (const i of todo) {
      try { results[i] = await this.apply(plans[i]!); } catch (err) { results[i] = err instanceof Error ? err : new Error(String(err)); }
    }
    return results.map((r) => r!);
  }

  /** One service's changes: record UPSERTs, DELETE of the state TXT exactly as read, CREATE of the new one. */
  private changesFor(plan: DnsPlan, old: RawSet | undefined): Change[] {
    const changes: Change[] = plan.changes.flatMap((c) => (c.kind === 'delete' ? []
      : [{ Action: 'UPSERT' as const, ResourceRecordSet: c.after.alias ? aliasToAws(c.after.name, c.after.type, c.after.alias) : toAws(c.after.name, c.after.type, c.after.ttl, c.after.values) }]));
    if (old) changes.push({ Action: 'DELETE', ResourceRecordSet: { Name: old.name, Type: 'TXT', TTL: old.ttl, ResourceRecords: old.values.map((Value) => ({ Value })) } });
    // An alias has no TTL: the state record then keeps its own, or 60 s.
    const ttl = changes[0]?.ResourceRecordSet?.TTL ?? old?.ttl ?? 60;
    changes.push({ Action: 'CREATE', ResourceRecordSet: toAws(stateRecordName(plan.service), 'TXT', ttl, [quoteTxt(encodeStateRecord(plan.newState))]) });
    return changes;
  }

  /** The state TXT of each service: from one zone listing when there are many, else one by one. */
  private async stateSets(services: readonly string[]): Promise<Map<string, RawSet | undefined>> {
    const zone = services.length >= ZONE_LISTING_FROM ? await this.listZone() : null;
    const out = new Map<string, RawSet | undefined>();
    for (const service of services) {
      if (!zone) { out.set(service, await this.stateSet(service)); continue; }
      const name = stateRecordName(service);
      const txt = (zone.get(name) ?? []).find((s) => s.Type === 'TXT');
      out.set(service, txt ? this.fromAws(txt, name) : undefined);
    }
    return out;
  }

  /** Every rrset of the zone by name, or null when the zone is longer than maxZonePages. */
  private async listZone(): Promise<Map<string, ResourceRecordSet[]> | null> {
    const byName = new Map<string, ResourceRecordSet[]>();
    let start: { name?: string; type?: string; id?: string } = {};
    for (let page = 0; page < this.maxZonePages; page++) {
      const out = await this.send(() => this.client.send(new ListResourceRecordSetsCommand({
        HostedZoneId: this.zone, StartRecordName: start.name, StartRecordType: start.type as RecordType | undefined,
        StartRecordIdentifier: start.id, MaxItems: 300,
      })), `zone ${this.zone}`);
      for (const set of out.ResourceRecordSets ?? []) {
        const name = normaliseName(set.Name ?? '');
        const list = byName.get(name);
        if (list) list.push(set);
        else byName.set(name, [set]);
      }
      if (!out.IsTruncated || !out.NextRecordName) return byName;
      start = { name: out.NextRecordName, type: out.NextRecordType, id: out.NextRecordIdentifier };
    }
    return null;
  }

  private async paced<T>(call: () => Promise<T>): Promise<T> {
    await this.pacer.take();
    return call();
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
    const answer = answerWithoutWriting(plan, this);
    if (answer instanceof Error) throw answer;
    if (answer) return answer;
    // Read the TXT as it stands: the DELETE must repeat its TTL and values exactly.
    const old = await this.stateSet(plan.service);
    if (!sameState(stateOf(old), plan.expectedState)) return { ...base, outcome: 'conflict', state: stateOf(old) };
    const changes = this.changesFor(plan, old);
    const command = new ChangeResourceRecordSetsCommand({
      HostedZoneId: this.zone,
      ChangeBatch: { Comment: `lifeboat: ${plan.service} -> ${plan.to} (epoch ${plan.newState.epoch})`, Changes: changes },
    });
    // A 5xx leaves the outcome unknown: the batch may have landed before the retry is rejected.
    let uncertain = false;
    try {
      const out = await withRetry(() => this.paced(() => this.client.send(command)), {
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

  /** One GetChange: true once Route 53 reports the change INSYNC on all its name servers. */
  async isInSync(changeId: string): Promise<boolean> {
    const out = await this.send(() => this.client.send(new GetChangeCommand({ Id: bareChangeId(changeId) })), `change ${changeId}`);
    return out.ChangeInfo?.Status === 'INSYNC';
  }

  /** Polls GetChange until the change is INSYNC; false if it was still PENDING at the deadline. */
  async waitForSync(changeId: string, options: { timeoutMs: number; pollMs?: number }): Promise<boolean> {
    const pollMs = Math.max(1, options.pollMs ?? 2_000);
    const polls = Math.max(1, Math.ceil(options.timeoutMs / pollMs));
    for (let i = 0; i < polls; i++) {
      if (i > 0) await this.retry.sleep(pollMs);
      if (await this.isInSync(changeId)) return true;
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
    if (set.SetIdentifier) {
      throw new Route53ApiError(
        `Route 53 zone ${this.zone}: ${name} ${set.Type} is a routing-policy record (SetIdentifier ${set.SetIdentifier}); Lifeboat manages simple and alias records only`,
        this.zone, name, 'UnsupportedRecord');
    }
    const base = { name: set.Name ?? name, type: set.Type ?? '', ttl: set.TTL ?? 0, values: (set.ResourceRecords ?? []).map((r) => r.Value ?? '') };
    const a = set.AliasTarget;
    if (!a) return base;
    return { ...base, ttl: 0, values: [], alias: { dnsName: normaliseName(a.DNSName ?? ''), hostedZoneId: a.HostedZoneId ?? '', evaluateTargetHealth: a.EvaluateTargetHealth ?? false } };
  }

  private async send<T>(call: () => Promise<T>, record: string): Promise<T> {
    try {
      return await withRetry(() => this.paced(call), this.retry);
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

/** An alias record set in Route 53's shape: AliasTarget instead of TTL and ResourceRecords. */
function aliasToAws(name: string, type: string, alias: AliasTarget): ResourceRecordSet {
  return {
    Name: `${normaliseName(name)}.`, Type: type as RecordType,
    AliasTarget: { HostedZoneId: alias.hostedZoneId, DNSName: `${alias.dnsName}.`, EvaluateTargetHealth: alias.evaluateTargetHealth },
  };
}

function toRecordSet(set: RawSet): RecordSet {
  const type = set.type as RecordType;
  if (set.alias) return { name: normaliseName(set.name), type, ttl: 0, values: [], alias: set.alias };
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
