/**
 * Any standards DNS server (BIND, Knot, PowerDNS, ...) through RFC 2136 dynamic updates signed
 * with TSIG (RFC 8945, HMAC-SHA256). The socket is the runtime's (DnsTransport); this is pure.
 *
 * The compare-and-swap is the server's own: one UPDATE whose prerequisite section requires the
 * `_lifeboat.<name>` TXT RRset exactly as it was read (RFC 2136 §2.4.2, or "RRset does not exist"
 * when there was none), and whose update section replaces the service's RRsets and that TXT. The
 * server applies all of it or none; a rival's write in between makes it answer NXRRSET/YXRRSET.
 */
import { normaliseName } from '../model.ts';
import { realSleep, type Sleep } from '../ports.ts';
import {
  CLASS, OPCODE, RCODE, TYPE, decodeA, decodeAAAA, decodeMessage, decodeNameRdata, decodeTxt, encodeA, encodeAAAA,
  encodeMessage, encodeName, encodeTxt, rcodeName, type DecodedMessage, type WireRecord,
} from './dns-wire.ts';
import { DnsTransportError, type DnsServerAddress, type DnsTransport } from './dns-transport.ts';
import { isNoop } from './plan.ts';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry.ts';
import { encodeStateRecord, parseStateRecord, sameState, stateRecordName } from './state-record.ts';
import { TSIG_ALGORITHM, decodeTsigSecret, importTsigKey, signMessage, tsigErrorName, verifyResponse, type TsigKey } from './tsig.ts';
import {
  DnsError, DnsRetryExhaustedError, UnsafePlanError,
  type ApplyResult, type CurrentRecords, type DnsPlan, type DnsProvider, type DnsProviderName, type RecordSet,
  type RecordType, type ServiceDns, type StateRecord,
} from './types.ts';
import { LifeboatError } from '../errors.ts';
import type { Rfc2136RecordConfig } from '../config/rfc2136-schema.ts';

// 'rfc2136' is not yet in DnsProviderName (core/dns/types.ts is widened when this is wired in).
const PROVIDER: DnsProviderName = 'rfc2136';

// The config entry's schema (zod) is core/config/rfc2136-schema.ts: a runtime gets the entry
// already validated and must not bundle zod for it.
export type { Rfc2136RecordConfig } from '../config/rfc2136-schema.ts';

export interface Rfc2136ProviderOptions {
  readonly server: DnsServerAddress;
  /** The zone apex, e.g. example.com. */
  readonly zone: string;
  readonly key: { readonly name: string; readonly algorithm?: typeof TSIG_ALGORITHM; readonly secret: string };
  readonly transport: DnsTransport;
  /** Per message; the retries are bounded on top of it. Default 5 s. */
  readonly timeoutMs?: number;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** Wall clock in ms, for TSIG's time signed. Default Date.now. */
  readonly now?: () => number;
  readonly retry?: Partial<Pick<RetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs' | 'maxTotalMs'>>;
}

/** The server refused or failed a message; names the server, zone, record and key, never the secret. */
export class Rfc2136Error extends DnsError {
  override readonly name: string = 'Rfc2136Error';
  constructor(message: string, zone: string, record: string | undefined, readonly rcode: string, readonly tsigError?: string, options?: { cause?: unknown }) {
    super(message, PROVIDER, zone, record, options);
  }
}

/** An answer worth another try: SERVFAIL (the server is loading, or its backend failed). */
class ServerFailure extends LifeboatError {
  override readonly name: string = 'ServerFailure';
  constructor(readonly rcode: number) {
    super(rcodeName(rcode));
  }
}

const SERVICE_TYPES = [['A', TYPE.A], ['AAAA', TYPE.AAAA], ['CNAME', TYPE.CNAME]] as const;
/** The prerequisite did not hold: someone changed the state record first. */
const PREREQ_FAILED = new Set<number>([RCODE.YXDOMAIN, RCODE.YXRRSET, RCODE.NXRRSET, RCODE.NXDOMAIN]);

/** An RRset as the server holds it, RDATA kept raw so the prerequisite can repeat it exactly. */
interface RawSet { readonly ttl: number; readonly rdata: readonly Uint8Array[] }

const isRetryable = (err: unknown): boolean => (err instanceof DnsTransportError && err.retryable) || err instanceof ServerFailure;

export class Rfc2136Provider implements DnsProvider {
  readonly name = PROVIDER;
  readonly zone: string;
  private readonly server: DnsServerAddress;
  private readonly keyName: string;
  private readonly secret: Uint8Array<ArrayBuffer>;
  private key: Promise<TsigKey> | undefined;
  private readonly transport: DnsTransport;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly retry: RetryOptions;

  constructor(options: Rfc2136ProviderOptions) {
    this.zone = normaliseName(options.zone);
    this.server = options.server;
    this.keyName = normaliseName(options.key.name);
    if ((options.key.algorithm ?? TSIG_ALGORITHM) !== TSIG_ALGORITHM) {
      throw new DnsError(`RFC 2136 zone ${this.zone}: TSIG key ${this.keyName}: algorithm must be ${TSIG_ALGORITHM}`, PROVIDER, this.zone);
    }
    try {
      this.secret = decodeTsigSecret(this.keyName, options.key.secret);
    } catch (err) {
      throw new DnsError(`RFC 2136 zone ${this.zone}: ${(err as Error).message}`, PROVIDER, this.zone);
    }
    this.transport = options.transport;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.retry = {
      ...DEFAULT_RETRY, ...options.retry, isRetryable,
      sleep: options.sleep ?? realSleep, random: options.random ?? Math.random, now: this.now,
    };
  }

  async read(service: ServiceDns): Promise<CurrentRecords> {
    const name = this.inZone(service.service);
    // The state record first, then the records: a write landing between the reads shows as a
    // stale expectedState (a CAS conflict), never as old records under a new state.
    const txt = await this.rrset(stateRecordName(name), TYPE.TXT);
    const sets = await Promise.all(SERVICE_TYPES.map(async ([type, code]) => ({ type, set: await this.rrset(name, code) })));
    const records = sets.flatMap(({ type, set }) => (set ? [toRecordSet(name, type, set)] : []));
    return { records, state: stateOf(txt) };
  }

  async apply(plan: DnsPlan): Promise<ApplyResult> {
    const base = { provider: this.name, zone: this.zone };
    if (isNoop(plan)) return { ...base, outcome: 'unchanged', state: plan.expectedState };
    const name = this.inZone(plan.service);
    const txtName = stateRecordName(name);
    // The TXT as it stands, raw: the prerequisite must repeat its RDATA exactly.
    const old = await this.rrset(txtName, TYPE.TXT);
    if (!sameState(stateOf(old), plan.expectedState)) return { ...base, outcome: 'conflict', state: stateOf(old) };

    const prerequisites: WireRecord[] = old
      ? old.rdata.map((rdata) => ({ name: txtName, type: TYPE.TXT, class: CLASS.IN, ttl: 0, rdata }))
      : [{ name: txtName, type: TYPE.TXT, class: CLASS.NONE, ttl: 0, rdata: new Uint8Array(0) }];
    const updates: WireRecord[] = [];
    for (const change of plan.changes) {
      if (change.kind === 'delete') throw new UnsafePlanError('a plan may not delete records', this.name, this.zone, change.before.name);
      const set = change.after;
      if (normaliseName(set.name) !== name) throw new UnsafePlanError(`record ${set.name} is not the planned name ${name}`, this.name, this.zone, set.name);
      updates.push(...replaceRRset(name, typeCode(set.type), set.ttl, set.values.map((v) => encodeRdata(set.type, v))));
    }
    const ttl = plan.changes.find((c) => c.kind !== 'delete')?.after.ttl ?? old?.ttl ?? 60;
    updates.push(...replaceRRset(txtName, TYPE.TXT, ttl, [encodeTxt([encodeStateRecord(plan.newState)])]));

    // A timeout or SERVFAIL leaves the outcome unknown: the update may have landed before the retry.
    let uncertain = false;
    const response = await this.exchange(name, 'update', (id) => encodeMessage({
      id, response: false, opcode: OPCODE.UPDATE, rcode: 0,
      questions: [{ name: this.zone, type: TYPE.SOA, class: CLASS.IN }],
      answers: prerequisites, authorities: updates, additionals: [],
    }), () => { uncertain = true; });
    if (response.rcode === RCODE.NOERROR) return { ...base, outcome: 'applied', state: plan.newState };
    if (!PREREQ_FAILED.has(response.rcode)) throw this.refusal(response.rcode, name, 'update');
    const now = stateOf(await this.rrset(txtName, TYPE.TXT));
    if (uncertain && sameState(now, plan.newState)) return { ...base, outcome: 'applied', state: now };
    return { ...base, outcome: 'conflict', state: now };
  }

  /** The RRset of one name and type, or undefined when there is none (NXDOMAIN or no data). */
  private async rrset(name: string, type: number): Promise<RawSet | undefined> {
    const response = await this.exchange(name, 'query', (id) => encodeMessage({
      id, response: false, opcode: OPCODE.QUERY, rcode: 0,
      questions: [{ name, type, class: CLASS.IN }], answers: [], authorities: [], additionals: [],
    }));
    if (response.rcode === RCODE.NXDOMAIN) return undefined;
    if (response.rcode !== RCODE.NOERROR) throw this.refusal(response.rcode, name, 'query');
    // Only the name itself: a CNAME answer to an A query also carries the chain it points to.
    const rrs = response.answers.filter((r) => r.type === type && r.class === CLASS.IN && normaliseName(r.name) === name);
    if (rrs.length === 0) return undefined;
    return { ttl: Math.min(...rrs.map((r) => r.ttl)), rdata: rrs.map((r) => r.rdata) };
  }

  /**
   * Sends one signed message (new id and signature each attempt), with bounded retries of
   * timeouts, dropped connections and SERVFAIL; verifies the answer's id and TSIG.
   */
  private async exchange(record: string, what: 'query' | 'update', build: (id: number) => Uint8Array, onRetry?: () => void): Promise<DecodedMessage> {
    const key = await this.tsigKey();
    try {
      return await withRetry(async () => {
        const id = (this.retry.random() * 0x10000) & 0xffff;
        const signed = await signMessage(build(id), key, this.now() / 1000);
        const bytes = await this.transport(this.server, signed.bytes, { signal: AbortSignal.timeout(this.timeoutMs) });
        let response: DecodedMessage;
        try {
          response = decodeMessage(bytes);
        } catch (err) {
          throw new Rfc2136Error(`${this.where(record)}: the ${what} answer is not a DNS message: ${(err as Error).message}`, this.zone, record, 'FORMERR', undefined, { cause: err });
        }
        if (response.id !== id || !response.response) {
          throw new Rfc2136Error(`${this.where(record)}: the ${what} answer does not belong to the ${what} sent (id ${response.id}, expected ${id})`, this.zone, record, 'BADID');
        }
        const verdict = await verifyResponse(bytes, response, key, signed.mac, this.now() / 1000);
        if (!verdict.ok) {
          if (verdict.reason === 'server') throw this.refusal(response.rcode, record, what, verdict.error);
          const why = verdict.reason === 'unsigned' ? `is not signed (${rcodeName(response.rcode)})` : `has a TSIG that does not hold: ${verdict.detail}`;
          throw new Rfc2136Error(`${this.where(record)}: the ${what} answer ${why}; not trusted (key ${this.keyName})`, this.zone, record, rcodeName(response.rcode));
        }
        if (response.rcode === RCODE.SERVFAIL) throw new ServerFailure(response.rcode);
        return response;
      }, { ...this.retry, onRetry: () => onRetry?.() });
    } catch (err) {
      if (err instanceof DnsError) throw err;
      const reason = err instanceof ServerFailure ? `the server answered ${err.message}` : (err as Error).message;
      if (isRetryable(err)) {
        throw new DnsRetryExhaustedError(`${this.where(record)}: ${what} gave up after bounded retries (at most ${this.retry.attempts} attempts): ${reason}`, PROVIDER, this.zone, record, { cause: err });
      }
      throw new Rfc2136Error(`${this.where(record)}: ${what} failed: ${reason}`, this.zone, record, err instanceof DnsTransportError ? err.code : 'ERROR', undefined, { cause: err });
    }
  }

  private refusal(rcode: number, record: string, what: 'query' | 'update', tsigError?: number): Rfc2136Error {
    const tsig = tsigError === undefined ? undefined : tsigErrorName(tsigError);
    const code = `${rcodeName(rcode)}${tsig ? ` (TSIG ${tsig})` : ''}`;
    const hint = tsig === 'BADSIG' ? `: the secret of key ${this.keyName} is not the one the server holds for it`
      : tsig === 'BADKEY' ? `: the server has no key ${this.keyName} (with ${TSIG_ALGORITHM}), or the key may not ${what} this zone (Knot answers BADKEY when no ACL of the zone allows it)`
      : tsig === 'BADTIME' ? `: this clock and the server's differ by more than the allowed fudge (key ${this.keyName})`
      : rcode === RCODE.REFUSED ? `: key ${this.keyName} may not ${what === 'update' ? 'update' : 'query'} this zone here (allow-update / update-policy / ACL), or the server is not authoritative for it`
      : rcode === RCODE.NOTAUTH ? `: the server is not authoritative for ${this.zone}, or rejected key ${this.keyName}`
      : rcode === RCODE.NOTZONE ? `: ${record} is not inside zone ${this.zone}`
      : '';
    return new Rfc2136Error(`${this.where(record)}: ${what} refused: ${code}${hint}`, this.zone, record, rcodeName(rcode), tsig);
  }

  private where(record: string): string {
    return `RFC 2136 server ${this.server.host}:${this.server.port} zone ${this.zone}, record ${record}`;
  }

  private inZone(service: string): string {
    const name = normaliseName(service);
    if (name !== this.zone && !name.endsWith(`.${this.zone}`)) {
      throw new DnsError(`RFC 2136 zone ${this.zone}: ${name} is not inside the zone; set zone to the apex that holds it`, PROVIDER, this.zone, name);
    }
    return name;
  }

  private tsigKey(): Promise<TsigKey> {
    this.key ??= importTsigKey(this.keyName, this.secret);
    return this.key;
  }
}

/** Delete the RRset (class ANY), then add each record (RFC 2136 §2.5.2, §2.5.1). */
function replaceRRset(name: string, type: number, ttl: number, rdata: readonly Uint8Array[]): WireRecord[] {
  return [
    { name, type, class: CLASS.ANY, ttl: 0, rdata: new Uint8Array(0) },
    ...rdata.map((r) => ({ name, type, class: CLASS.IN, ttl, rdata: r })),
  ];
}

function typeCode(type: RecordType): number {
  return TYPE[type];
}

function encodeRdata(type: RecordType, value: string): Uint8Array {
  switch (type) {
    case 'A': return encodeA(value);
    case 'AAAA': return encodeAAAA(value);
    case 'CNAME': return encodeName(normaliseName(value));
    case 'TXT': return encodeTxt([value]);
  }
}

function toRecordSet(name: string, type: 'A' | 'AAAA' | 'CNAME', set: RawSet): RecordSet {
  const decode = type === 'A' ? decodeA : type === 'AAAA' ? decodeAAAA : (r: Uint8Array) => normaliseName(decodeNameRdata(r));
  return { name, type, ttl: set.ttl, values: set.rdata.map(decode).sort() };
}

function stateOf(set: RawSet | undefined): StateRecord | null {
  for (const rdata of set?.rdata ?? []) {
    const state = parseStateRecord(decodeTxt(rdata).join(''));
    if (state) return state;
  }
  return null;
}

export interface Rfc2136Deps {
  /** The value of the secret named by the entry's `secretFrom` (base64), as the adapter read it. */
  readonly secret: string | undefined;
  /** The runtime's transport: nodeDnsTransport (Lambda, CLI, local run) or workerDnsTransport. */
  readonly transport: DnsTransport | undefined;
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

/** The provider for one config entry; a missing secret or transport is an error naming what supplies it. */
export function createRfc2136Provider(entry: Rfc2136RecordConfig, deps: Rfc2136Deps): Rfc2136Provider {
  const zone = normaliseName(entry.zone);
  if (!deps.secret) {
    throw new DnsError(
      `RFC 2136 zone ${zone} is configured but the secret ${entry.secretFrom} (the base64 secret of TSIG key ${entry.keyName}) was not given: `
      + `put it in SSM (AWS), \`wrangler secret put ${entry.secretFrom}\` (Cloudflare), or the environment variable ${entry.secretFrom} locally`,
      PROVIDER, zone);
  }
  if (!deps.transport) throw new DnsError(`RFC 2136 zone ${zone} is configured but this runtime gave no DNS transport`, PROVIDER, zone);
  return new Rfc2136Provider({
    server: { host: entry.server, port: entry.port, tcp: entry.tcp }, zone,
    key: { name: entry.keyName, algorithm: entry.algorithm, secret: deps.secret }, transport: deps.transport,
    ...(deps.sleep ? { sleep: deps.sleep } : {}), ...(deps.random ? { random: deps.random } : {}),
  });
}
