/**
 * Cloudflare DNS over its REST API (v4) with fetch, so it runs unchanged in Node and workerd.
 * Every change is one POST /dns_records/batch, which Cloudflare runs in one database transaction
 * (all or nothing), in the order deletes, patches, puts, posts.
 *
 * Compare-and-swap: Cloudflare has no conditional write, so the state record is the fence. The
 * batch never patches it: it deletes the exact state record it read, by id, and posts the new one.
 * A rival Lifeboat writer that wrote since our read replaced that record (new id), so our delete
 * fails with 81044 and the whole transaction with it: nothing is half-written, and we re-read and
 * report 'conflict' with the state found. A stale plan is refused before any batch by the re-read
 * just before it. Service records are patched in place (a delete + post could leave the name
 * briefly empty at Cloudflare's edge, which propagates record by record).
 * Limit: with no state record yet (a name's very first write) there is nothing to delete, so two
 * first writers racing inside one round trip can both succeed; reads then take the newest state
 * record, and the next write replaces them all with one.
 *
 * Many services at once (applyMany, a whole site failing): Cloudflare allows 1,200 API requests
 * per 5 minutes per user, so reads list the zone (5,000 records a page) instead of two listings
 * per service, and many services share one batch (at most 200 operations, the Free plan's limit).
 * Each service keeps its own delete-by-id + post of its state record inside the batch, so one
 * rival write fails the whole transaction and nothing in it lands; then the zone is read again,
 * the services whose state moved are reported 'conflict', the rest go again, and what still fails
 * is applied one service at a time, which isolates the one at fault. Every request is paced.
 */
import { realSleep, type Fetch, type Sleep } from '../ports.ts';
import { chunkByWeight, type BatchDnsProvider } from './batch.ts';
import { CLOUDFLARE_PACE, Pacer, type PaceOptions } from './batch-pacer.ts';
import { answerWithoutWriting, screenPlans } from './plan.ts';
import { DEFAULT_RETRY, parseRetryAfter, withRetry, type RetryOptions } from './retry.ts';
import { encodeStateRecord, parseStateRecord, sameState, stateRecordName } from './state-record.ts';
import { normaliseName } from '../model.ts';
import {
  DnsError, DnsRetryExhaustedError,
  type ApplyResult, type CurrentRecords, type DnsPlan, type RecordSet, type RecordType,
  type ServiceDns, type StateRecord,
} from './types.ts';
import { LifeboatError } from '../errors.ts';

export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';
/** Cloudflare's "automatic" TTL; proxied records always have it. */
export const CLOUDFLARE_AUTO_TTL = 1;

/** Cloudflare refused a call; `code` is Cloudflare's first error code (0 if it gave none). */
export class CloudflareApiError extends DnsError {
  override readonly name: string = 'CloudflareApiError';
  constructor(message: string, zone: string, record: string | undefined, readonly code: number, readonly status: number, options?: { cause?: unknown }) {
    super(message, 'cloudflare', zone, record, options);
  }
}

export interface CloudflareProviderOptions {
  readonly zoneId: string;
  /** Needs Zone:DNS:Edit on the zone. Sent only as a Bearer header; never logged or echoed. */
  readonly apiToken: string;
  readonly baseUrl?: string;
  readonly fetch?: Fetch;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly retry?: Partial<Pick<RetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs' | 'maxTotalMs'>>;
  /** Bound on pages read per name (100 records each). */
  readonly maxPages?: number;
  /** Client-side pacing of every request (default 4 per second, burst 40, real time). */
  readonly pace?: Partial<PaceOptions>;
  /** applyMany: operations per batch (Cloudflare: 200 on the Free plan, 3,500 on paid plans). */
  readonly batchLimit?: number;
  /** Bound on pages (5,000 records each) when reading the whole zone; past it, names are read one by one. */
  readonly maxZonePages?: number;
}

/** From this many services on, readMany and applyMany list the zone instead of two listings per service. */
const ZONE_LISTING_FROM = 8;
const ZONE_PAGE = 5_000;
/** Batched passes of applyMany (each after a fresh read) before falling back to one service at a time. */
const BATCH_PASSES = 2;

/** One record as the API returns it (the fields this provider uses). */
export interface CloudflareRecord {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly content: string;
  readonly ttl: number;
  readonly proxied?: boolean;
}

interface Envelope<T> {
  readonly success: boolean;
  readonly errors?: readonly { code: number; message: string }[];
  readonly result: T;
  readonly result_info?: { page: number; per_page: number; total_pages?: number; count?: number; total_count?: number };
}

/** Thrown inside the retry loop; turned into a DnsError once retries end. */
class HttpFailure extends LifeboatError {
  override readonly name: string = 'HttpFailure';
  constructor(readonly status: number, readonly code: number, readonly detail: string, readonly retryAfterMs?: number) {
    super(`HTTP ${status}`);
  }
}

/**
 * The batch failed because the zone is not as we read it: an id we named is gone (81044), or a
 * record we post now exists (81057, 81058, 81053). Retryable: the next attempt re-reads and
 * rebuilds the batch from fresh ids (bounded like any retry).
 */
class ZoneMoved extends LifeboatError {
  override readonly name: string = 'ZoneMoved';
  constructor(readonly failure: HttpFailure) {
    super(failure.detail);
  }
}
const ZONE_MOVED_CODES: ReadonlySet<number> = new Set([81044, 81053, 81057, 81058]);

const SERVICE_TYPES: readonly string[] = ['A', 'AAAA', 'CNAME'];
const isRetryable = (err: unknown): boolean =>
  err instanceof ZoneMoved || (err instanceof HttpFailure && (err.status === 429 || err.status >= 500));

export class CloudflareDnsProvider implements BatchDnsProvider {
  readonly name = 'cloudflare' as const;
  readonly zone: string;
  private readonly baseUrl: string;
  private readonly fetch: Fetch;
  // An ES private field: not enumerable, so neither JSON.stringify nor util.inspect shows it.
  readonly #token: string;
  private readonly retry: RetryOptions;
  private readonly maxPages: number;
  private readonly maxZonePages: number;
  private readonly batchLimit: number;
  private readonly pacer: Pacer;

  constructor(options: CloudflareProviderOptions) {
    this.zone = options.zoneId;
    this.#token = options.apiToken;
    this.baseUrl = (options.baseUrl ?? CLOUDFLARE_API).replace(/\/+$/, '');
    // Bound to globalThis: workerd throws "Illegal invocation" for a detached fetch.
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.maxPages = options.maxPages ?? 10;
    this.maxZonePages = options.maxZonePages ?? 20;
    this.batchLimit = options.batchLimit ?? 200;
    if (!Number.isInteger(this.batchLimit) || this.batchLimit < 3) throw new DnsError(`Cloudflare batchLimit must be an integer >= 3 (one service's smallest batch), got ${options.batchLimit}`, 'cloudflare', this.zone);
    this.pacer = new Pacer({ ...CLOUDFLARE_PACE, sleep: realSleep, now: Date.now, ...options.pace });
    this.retry = {
      ...DEFAULT_RETRY, ...options.retry, isRetryable,
      retryAfterMs: (err) => (err instanceof HttpFailure ? err.retryAfterMs : undefined),
      sleep: options.sleep ?? realSleep, random: options.random ?? Math.random,
    };
  }

  async read(service: ServiceDns): Promise<CurrentRecords> {
    const { records, txt } = await this.fetchRecords(service.service);
    return { records: toRecordSets(records, service.ttl), state: stateOf(txt) };
  }

  async apply(plan: DnsPlan): Promise<ApplyResult> {
    const base = { provider: this.name, zone: this.zone };
    const answer = answerWithoutWriting(plan, this);
    if (answer instanceof Error) throw answer;
    if (answer) return answer;
    // The read-check-write cycle is what gets retried, not the bare POST: after a 5xx the batch
    // may have landed, and re-sending its posts would duplicate records, so look again first.
    let uncertain = false;
    return this.retrying(plan.service, async () => {
      const { records, txt } = await this.fetchRecords(plan.service);
      const now = stateOf(txt);
      if (uncertain && sameState(now, plan.newState)) return { ...base, outcome: 'applied', state: now };
      if (!sameState(now, plan.expectedState)) return { ...base, outcome: 'conflict', state: now };
      const batch = buildBatch(plan, records, txt.filter((r) => parseStateRecord(r.content)));
      try {
        await this.call('POST', `/zones/${this.zone}/dns_records/batch`, batch);
      } catch (err) {
        uncertain ||= err instanceof HttpFailure && err.status >= 500;
        if (!(err instanceof HttpFailure && ZONE_MOVED_CODES.has(err.code))) throw err;
        // Nothing in the batch was applied. A rival that wrote since our read changed the state:
        // report what it wrote. Records moved under an unchanged state: re-read and try again.
        const after = stateOf((await this.fetchRecords(plan.service)).txt);
        if (!sameState(after, plan.expectedState)) return { ...base, outcome: 'conflict', state: after };
        throw new ZoneMoved(err);
      }
      return { ...base, outcome: 'applied', state: plan.newState };
    });
  }

  async readMany(services: readonly ServiceDns[]): Promise<ReadonlyMap<string, CurrentRecords>> {
    const zone = services.length >= ZONE_LISTING_FROM ? await this.listZone() : null;
    const out = new Map<string, CurrentRecords>();
    for (const service of services) {
      const name = normaliseName(service.service);
      if (!zone) { out.set(name, await this.read(service)); continue; }
      const { records, txt } = recordsOf(zone, name);
      out.set(name, { records: toRecordSets(records, service.ttl), state: stateOf(txt) });
    }
    return out;
  }

  async applyMany(plans: readonly DnsPlan[]): Promise<readonly (ApplyResult | Error)[]> {
    const base = { provider: this.name, zone: this.zone };
    const screened = screenPlans(plans, this);
    const results = screened.results;
    let todo = screened.todo;
    // Batches that got a 5xx may have landed: the next read tells (state already the new one).
    const uncertain = new Set<number>();
    for (let pass = 0; pass < BATCH_PASSES && todo.length > 0; pass++) {
      let zone: Map<string, CloudflareRecord[]> | null;
      try {
        zone = todo.length >= ZONE_LISTING_FROM ? await this.listZone() : null;
      } catch (err) {
        for (const i of todo) results[i] = asError(err);
        todo = [];
        break;
      }
      const ready: { index: number; batch: ReturnType<typeof buildBatch> }[] = [];
      for (const i of todo) {
        const plan = plans[i]!;
        try {
          const { records, txt } = zone ? recordsOf(zone, normaliseName(plan.service)) : await this.fetchRecords(plan.service);
          const now = stateOf(txt);
          if (uncertain.has(i) && sameState(now, plan.newState)) results[i] = { ...base, outcome: 'applied', state: now };
          else if (!sameState(now, plan.expectedState)) results[i] = { ...base, outcome: 'conflict', state: now };
          else ready.push({ index: i, batch: buildBatch(plan, records, txt.filter((r) => parseStateRecord(r.content))) });
        } catch (err) {
          results[i] = asError(err);
        }
      }
      const rejected: number[] = [];
      const size = (b: ReturnType<typeof buildBatch>) => b.deletes.length + b.patches.length + b.posts.length;
      for (const chunk of chunkByWeight(ready, [this.batchLimit], (r) => [size(r.batch)])) {
        const body = {
          deletes: chunk.flatMap((r) => r.batch.deletes), patches: chunk.flatMap((r) => r.batch.patches), posts: chunk.flatMap((r) => r.batch.posts),
        };
        try {
          // Only a 429 is re-sent as is (nothing ran); after a 5xx the batch may have landed.
          await withRetry(() => this.call('POST', `/zones/${this.zone}/dns_records/batch`, body), {
            ...this.retry, isRetryable: (err) => err instanceof HttpFailure && err.status === 429,
          });
          for (const r of chunk) results[r.index] = { ...base, outcome: 'applied', state: plans[r.index]!.newState };
        } catch (err) {
          if (err instanceof HttpFailure && (ZONE_MOVED_CODES.has(err.code) || err.status >= 500)) {
            if (err.status >= 500) chunk.forEach((r) => uncertain.add(r.index));
            rejected.push(...chunk.map((r) => r.index));
          } else {
            for (const r of chunk) results[r.index] = this.toDnsError(err, plans[r.index]!.service);
          }
        }
      }
      todo = rejected;
    }
    for (const i of todo) {
      const plan = plans[i]!;
      try {
        results[i] = uncertain.has(i) && sameState((await this.read(this.serviceOf(plan))).state, plan.newState)
          ? { ...base, outcome: 'applied', state: plan.newState }
          : await this.apply(plan);
      } catch (err) {
        results[i] = asError(err);
      }
    }
    return results.map((r) => r!);
  }

  /** Enough of a ServiceDns to read a plan's service (read uses only its name and TTL). */
  private serviceOf(plan: DnsPlan): ServiceDns {
    return { service: plan.service, ttl: CLOUDFLARE_AUTO_TTL, targets: { primary: [], secondary: [] } };
  }

  /** Every record of the zone by name, or null when it is longer than maxZonePages. */
  private async listZone(): Promise<Map<string, CloudflareRecord[]> | null> {
    const byName = new Map<string, CloudflareRecord[]>();
    for (let page = 1; page <= this.maxZonePages; page++) {
      const query = new URLSearchParams({ per_page: String(ZONE_PAGE), page: String(page) });
      const body = await this.request<CloudflareRecord[]>('GET', `/zones/${this.zone}/dns_records?${query}`, `zone ${this.zone}`);
      for (const r of body.result ?? []) {
        const name = normaliseName(r.name);
        const list = byName.get(name);
        if (list) list.push(r);
        else byName.set(name, [r]);
      }
      const info = body.result_info;
      if (!info || page >= (info.total_pages ?? 1) || (body.result ?? []).length === 0) return byName;
    }
    return null;
  }

  private async fetchRecords(service: string): Promise<{ records: CloudflareRecord[]; txt: CloudflareRecord[] }> {
    const name = normaliseName(service);
    // State record first, then the records (see Route53Provider.read): never new state over old records.
    const txt = await this.list(stateRecordName(name), 'TXT');
    const all = await this.list(name);
    return { records: all.filter((r) => SERVICE_TYPES.includes(r.type)), txt: txt.filter((r) => r.type === 'TXT') };
  }

  /** GET /dns_records?name.exact=&type= across result_info pages, bounded. */
  private async list(name: string, type?: RecordType): Promise<CloudflareRecord[]> {
    const out: CloudflareRecord[] = [];
    for (let page = 1; page <= this.maxPages; page++) {
      const query = new URLSearchParams({ 'name.exact': name, per_page: '100', page: String(page), ...(type ? { type } : {}) });
      const body = await this.request<CloudflareRecord[]>('GET', `/zones/${this.zone}/dns_records?${query}`, name);
      out.push(...(body.result ?? []).filter((r) => normaliseName(r.name) === name));
      const info = body.result_info;
      if (!info || page >= (info.total_pages ?? 1) || (body.result ?? []).length === 0) return out;
    }
    throw new CloudflareApiError(`Cloudflare zone ${this.zone}: more than ${this.maxPages} pages of records named ${name}`, this.zone, name, 0, 200);
  }

  private request<T>(method: 'GET' | 'POST', path: string, record: string, body?: unknown): Promise<Envelope<T>> {
    return this.retrying(record, () => this.call<T>(method, path, body));
  }

  /** One HTTP call; any failure is an HttpFailure carrying Cloudflare's error code and hint. */
  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Envelope<T>> {
    await this.pacer.take();
    const res = await this.fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: Envelope<T> | undefined;
    try { parsed = JSON.parse(text) as Envelope<T>; } catch { parsed = undefined; }
    if (res.ok && parsed?.success) return parsed;
    const errors = parsed?.errors ?? [];
    const detail = errors.length > 0 ? errors.map((e) => `${e.code}: ${e.message}`).join('; ') : `non-JSON body (${text.slice(0, 80).replace(/\s+/g, ' ')})`;
    throw new HttpFailure(res.status, errors[0]?.code ?? 0, detail, parseRetryAfter(res.headers.get('retry-after')));
  }

  /** Runs `fn` with bounded retries and turns what is left into a DnsError naming zone and record. */
  private async retrying<T>(record: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(fn, this.retry);
    } catch (err) {
      throw this.toDnsError(err, record);
    }
  }

  /** What is left of a failure once retries end, as a DnsError naming zone and record. */
  private toDnsError(err: unknown, record: string): Error {
    const what = `Cloudflare zone ${this.zone}, record ${record}`;
    if (err instanceof ZoneMoved) {
      return new DnsRetryExhaustedError(`${what}: records kept changing under the write (at most ${this.retry.attempts} attempts): ${err.failure.detail}`, 'cloudflare', this.zone, record, { cause: err });
    }
    if (!(err instanceof HttpFailure)) return asError(err);
    if (isRetryable(err)) {
      return new DnsRetryExhaustedError(`${what}: gave up after bounded retries (at most ${this.retry.attempts} attempts): HTTP ${err.status}: ${err.detail}`, 'cloudflare', this.zone, record, { cause: err });
    }
    const hint = err.status === 401 || err.status === 403 ? ' (check CLOUDFLARE_API_TOKEN: it needs Zone DNS Edit on this zone)' : '';
    // The message is built from Cloudflare's error list, which never echoes the token.
    return new CloudflareApiError(`${what}: HTTP ${err.status}: ${err.detail}${hint}`, this.zone, record, err.code, err.status, { cause: err });
  }
}

/**
 * The batch body: service records patched in place by id (only a changed number of values deletes
 * or posts); every state record read deleted by id and the new one posted, so the batch fails as
 * a whole if any of them was replaced since the read (the compare-and-swap).
 */
export function buildBatch(plan: DnsPlan, records: readonly CloudflareRecord[], stateTxts: readonly CloudflareRecord[]) {
  const deletes: { id: string }[] = stateTxts.map((r) => ({ id: r.id }));
  const patches: Record<string, unknown>[] = [];
  const posts: Record<string, unknown>[] = [];
  for (const change of plan.changes) {
    if (change.kind === 'delete') continue;
    const set = change.after;
    const proxied = set.proxied ?? false;
    const ttl = proxied ? CLOUDFLARE_AUTO_TTL : set.ttl;
    const existing = records.filter((r) => r.type === set.type);
    const wanted = set.values.filter((v) => !existing.some((r) => sameContent(set.type, r.content, v)));
    // Records already holding a wanted value stay (patched only if ttl/proxied differ), so no
    // step of the transaction creates an identical record, which Cloudflare rejects.
    const spare = existing.filter((r) => !set.values.some((v) => sameContent(set.type, r.content, v)));
    for (const r of existing) {
      if (!spare.includes(r) && (r.ttl !== ttl || (r.proxied ?? false) !== proxied)) patches.push({ id: r.id, ttl, proxied });
    }
    spare.forEach((r, i) => {
      const content = wanted[i];
      if (content === undefined) deletes.push({ id: r.id });
      else patches.push({ id: r.id, content, ttl, proxied });
    });
    for (const content of wanted.slice(spare.length)) posts.push({ name: set.name, type: set.type, content, ttl, proxied });
  }
  const first = plan.changes.find((c) => c.kind !== 'delete');
  const ttl = first ? (first.after.proxied ? CLOUDFLARE_AUTO_TTL : first.after.ttl) : stateTxts[0]?.ttl ?? CLOUDFLARE_AUTO_TTL;
  posts.push({ name: stateRecordName(plan.service), type: 'TXT', content: `"${encodeStateRecord(plan.newState)}"`, ttl });
  return { deletes, patches, posts };
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** One service's records and state TXTs out of a zone listing. */
function recordsOf(zone: ReadonlyMap<string, readonly CloudflareRecord[]>, name: string): { records: CloudflareRecord[]; txt: CloudflareRecord[] } {
  return {
    records: (zone.get(name) ?? []).filter((r) => SERVICE_TYPES.includes(r.type)),
    txt: (zone.get(stateRecordName(name)) ?? []).filter((r) => r.type === 'TXT'),
  };
}

function sameContent(type: string, a: string, b: string): boolean {
  return type === 'CNAME' || type === 'AAAA' ? normaliseName(a) === normaliseName(b) : a === b;
}

/** Groups records into sets. Proxied records report the configured TTL: Cloudflare pins them to 1. */
function toRecordSets(records: readonly CloudflareRecord[], configuredTtl: number): RecordSet[] {
  const sets: RecordSet[] = [];
  for (const type of SERVICE_TYPES as RecordType[]) {
    const group = records.filter((r) => r.type === type);
    const first = group[0];
    if (!first) continue;
    const proxied = group.every((r) => r.proxied === true);
    const values = group.map((r) => (type === 'A' ? r.content : normaliseName(r.content))).sort();
    sets.push({ name: normaliseName(first.name), type, ttl: proxied ? configuredTtl : first.ttl, values, proxied });
  }
  return sets;
}

/**
 * The state the TXT records hold. Normally one; after two first writers raced (see the limit
 * above) the newest (highest epoch, then latest time) is the state, and the next write replaces all.
 */
function stateOf(txt: readonly CloudflareRecord[]): StateRecord | null {
  let newest: StateRecord | null = null;
  for (const r of txt) {
    const state = parseStateRecord(r.content);
    if (state && (!newest || state.epoch > newest.epoch || (state.epoch === newest.epoch && state.at > newest.at))) newest = state;
  }
  return newest;
}
