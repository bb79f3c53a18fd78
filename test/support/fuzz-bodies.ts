/**
 * Fuzzing the coordinator's HTTP API over any StateStore: validly signed (ECDSA probe keys bound
 * to their provider, an HMAC operator key), arbitrary requests to every route, each checked for
 * (1) never a 5xx, (2) a refused request changes no stored state and adds to the audit exactly
 * what the API documents, (3) no stored state grows past a bound derived from the config.
 *
 * Runs in Node and inside workerd: Web APIs only, relative imports, no Buffer.
 */
import { statesWithVotes } from './stored-votes.ts';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { LifeboatConfig, LifeboatConfigInput } from '#core/config/schema.ts';
import { loadConfig, policyFor, vantagePointsOf } from '#core/config/validate.ts';
import { composeCoordinator, type Composition } from '#core/coordinator/compose.ts';
import type { StateStore } from '#core/coordinator/store.ts';
import type { AuditEntry } from '#core/engine/actions.ts';
import type { ServiceState } from '#core/engine/state.ts';
import { MAX_OBSERVATION_SKEW_MS } from '#core/engine/votes.ts';
import { MAX_DATE_MS, MAX_LATENCY_MS } from '#core/api/bodies.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import { normaliseName } from '#core/model.ts';
import { mapSecretSource, silentLogger, type Clock } from '#core/ports.ts';
import { generateProbeKeyPair, importPrivateKey } from '#core/signing/ecdsa.ts';
import { hexToBytes, keyEnvVar } from '#core/signing/keys.ts';
import { MAX_BODY_BYTES, signRequest, signRequestEcdsa } from '#core/signing/lb1.ts';
import type { NonceStore } from '#core/signing/nonce-store.ts';

export const FUZZ_SERVICES = ['app.example.com', 'api.example.com'] as const;
const AWS_REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-2'] as const;
const CF_HINTS = ['apac', 'weur'] as const;
/** DynamoDB refuses an item over 400 KB: the state of one service is one item. */
export const DYNAMO_ITEM_LIMIT = 400 * 1024;

/** A key as the fuzzer signs with it: the ECDSA private key, or the HMAC secret. */
export type SigningKey =
  | { readonly id: string; readonly kind: 'ecdsa'; readonly privateKey: CryptoKey }
  | { readonly id: string; readonly kind: 'hmac'; readonly secret: Uint8Array };

/** Who signs a request; `none` sends no X-Lifeboat-* headers at all. */
export type Signer = 'aws' | 'cloudflare' | 'operator' | 'none';
export type FuzzKeys = Readonly<Record<Exclude<Signer, 'none'>, SigningKey>>;

export interface FuzzKeyMaterial {
  readonly keys: FuzzKeys;
  readonly config: LifeboatConfigInput['keys'];
  /** Secrets the coordinator reads (the operator's HMAC secret). */
  readonly secrets: Record<string, string>;
}

/** One ECDSA probe key per provider (the default deployment) and one HMAC operator key. */
export async function fuzzKeys(): Promise<FuzzKeyMaterial> {
  const [aws, cf] = await Promise.all([generateProbeKeyPair(), generateProbeKeyPair()]);
  const opHex = '5a'.repeat(32);
  return {
    keys: {
      aws: { id: 'probe-aws', kind: 'ecdsa', privateKey: await importPrivateKey(aws.privateKey, 'probe-aws') },
      cloudflare: { id: 'probe-cf', kind: 'ecdsa', privateKey: await importPrivateKey(cf.privateKey, 'probe-cf') },
      operator: { id: 'ops-fuzz', kind: 'hmac', secret: hexToBytes(opHex)! },
    },
    config: [
      { id: 'probe-aws', scope: 'probe', speaksFor: ['aws'], publicKey: aws.publicKey },
      { id: 'probe-cf', scope: 'probe', speaksFor: ['cloudflare'], publicKey: cf.publicKey },
      { id: 'ops-fuzz', scope: 'operator' },
    ],
    secrets: { [keyEnvVar('ops-fuzz')]: opHex },
  };
}

export function fuzzConfig(keys: LifeboatConfigInput['keys']): LifeboatConfig {
  return loadConfig({
    services: FUZZ_SERVICES.map((name, i) => ({
      name,
      primary: { url: 'http://127.0.0.1:9/', a: [`198.51.100.${10 + i}`] },
      secondary: { url: 'http://127.0.0.1:9/', a: [`198.51.100.${20 + i}`] },
      healthCheck: { type: 'http', path: '/healthz' },
      dns: [{ provider: 'embedded', ttl: 5 }],
      policy: { minVotes: 2, failAfter: 1 },
    })),
    vantagePoints: { aws: [...AWS_REGIONS], cloudflare: [...CF_HINTS] },
    probing: { intervalSeconds: 30 },
    keys,
  } satisfies LifeboatConfigInput);
}

export class FuzzClock implements Clock {
  constructor(public at = Date.now()) {}
  now = () => this.at;
}

export interface FuzzRig extends Composition {
  readonly config: LifeboatConfig;
  readonly store: StateStore;
  readonly clock: FuzzClock;
  readonly keys: FuzzKeys;
}

/** The coordinator composed as every runtime composes it, over the given stores. */
export async function fuzzRig(store: StateStore, nonces: NonceStore, material: FuzzKeyMaterial): Promise<FuzzRig> {
  const config = fuzzConfig(material.config);
  const clock = new FuzzClock();
  const composed = await composeCoordinator({
    name: 'fuzz', config, store, nonces, clock, logger: silentLogger,
    fetch: async () => new Response('ok'),
    secrets: mapSecretSource(material.secrets),
    secretNames: { key: keyEnvVar, route53Credentials: 'AWS_ACCESS_KEY_ID', webhook: (n) => n, dnsSecret: (n) => n },
    embedded: new MemoryDnsProvider(new MemoryZone('example.com'), { name: 'embedded' }),
  });
  return { ...composed, config, store, clock, keys: material.keys };
}

// ---------------------------------------------------------------------------------------------
// Requests. Times inside bodies are written as "$now+<ms>" / "$now-<ms>" (a number) or
// "$iso+<ms>" (an ISO string) and filled in from the coordinator's clock when sent, so a shrunk
// counterexample still reads as "one hour ahead" rather than an absolute time.

export type FuzzRequest =
  | { readonly route: 'observations'; readonly signer: Signer; readonly body: unknown; readonly advanceMs: number }
  | { readonly route: 'override'; readonly signer: Signer; readonly body: unknown; readonly advanceMs: number }
  | { readonly route: 'status'; readonly signer: Signer; readonly advanceMs: number }
  | { readonly route: 'audit'; readonly signer: Signer; readonly query: string; readonly advanceMs: number }
  | { readonly route: 'other'; readonly signer: Signer; readonly method: string; readonly path: string; readonly body: unknown; readonly advanceMs: number }
  | { readonly route: 'oversize'; readonly signer: Signer; readonly path: string; readonly advanceMs: number };

const TIME_RE = /^\$(now|iso)([+-]\d+)$/;

/** Replaces the "$now±ms" / "$iso±ms" placeholders with times from `now`. */
export function fillTimes(value: unknown, now: number): unknown {
  if (typeof value === 'string') {
    const m = TIME_RE.exec(value);
    if (!m) return value;
    const at = now + Number(m[2]);
    return m[1] === 'now' ? at : new Date(Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, at))).toISOString();
  }
  if (Array.isArray(value)) return value.map((v) => fillTimes(v, now));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTimes(v, now)]));
  return value;
}

const rel = (min: number, max: number, kind: 'now' | 'iso' = 'now') =>
  fc.integer({ min, max }).map((ms) => `$${kind}${ms < 0 ? '' : '+'}${ms}`);

/** Numbers that have broken JavaScript services before: past Date's range, huge, negative, fractional. */
const nastyNumber = fc.oneof(
  fc.constantFrom(MAX_DATE_MS + 1, MAX_DATE_MS, -1, -0, 1e308, -1e308, 2 ** 53, 2 ** 60, 0.5, 1e-320, MAX_LATENCY_MS + 1),
  fc.double(), fc.integer(),
);
const nasty = fc.oneof(nastyNumber, fc.string({ maxLength: 40, unit: 'binary' }), fc.constant(null), fc.boolean(), fc.constant([]), fc.constant({}));

/** An observation time: mostly inside the accepted window, sometimes just outside it, or far off. */
const observedAt = fc.oneof(
  { weight: 6, arbitrary: rel(-50_000, 0) },
  { weight: 2, arbitrary: rel(-200_000, 200_000) },
  { weight: 1, arbitrary: fc.constantFrom(`$now+${MAX_OBSERVATION_SKEW_MS}`, `$now+${MAX_OBSERVATION_SKEW_MS + 1}`, 0, MAX_DATE_MS) },
);

const vpName = (signer: 'aws' | 'cloudflare') =>
  fc.constantFrom(...(signer === 'aws' ? AWS_REGIONS : CF_HINTS).map((r) => `${signer}:${r}`));

/** ranIn as a probe might send it, or written to be as costly as possible to store (escaped in JSON). */
const ranIn = fc.oneof(fc.string({ maxLength: 64, unit: 'binary' }), fc.constant('\u0000'.repeat(64)), fc.constant('\ud800'.repeat(64)));

const result = fc.record({
  service: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FUZZ_SERVICES, 'APP.example.com.') }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 253 }) }),
  target: fc.constantFrom('primary', 'secondary'),
  verdict: fc.constantFrom('healthy', 'unhealthy', 'abstain'),
  observedAt,
  failure: fc.constantFrom('timeout', 'dns', 'refused', 'tls', 'network', 'status', 'body', 'latency'),
  latencyMs: fc.double({ min: 0, max: MAX_LATENCY_MS, noNaN: true }),
}, { requiredKeys: ['service', 'target', 'verdict', 'observedAt'] });

/** A batch the schema accepts, from a vantage point the signer speaks for. */
export const validBatch = (signer: 'aws' | 'cloudflare') => fc.record({
  vantagePoint: vpName(signer),
  round: fc.nat(),
  sentAt: rel(-5_000, 0),
  ranIn,
  controlOk: fc.constant(true),
  results: fc.array(result, { maxLength: 8 }),
}, { requiredKeys: ['vantagePoint', 'round', 'sentAt', 'controlOk', 'results'] });

type Json = Record<string, unknown>;

/** A valid body with one field replaced, removed, or an unknown field added. */
function mutated(base: fc.Arbitrary<Json>, fields: readonly string[]): fc.Arbitrary<Json> {
  return fc.tuple(base, fc.constantFrom(...fields, 'extraField'), fc.constantFrom('replace', 'delete'), nasty).map(([b, field, how, value]) => {
    const out: Json = { ...b };
    if (how === 'delete') delete out[field];
    else out[field] = value;
    return out;
  });
}

function withBadResult(base: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return fc.tuple(base, fc.constantFrom('service', 'target', 'verdict', 'observedAt', 'failure', 'latencyMs', 'extra'), nasty).map(([b, field, value]) => {
    const results = [...(b.results as Json[])];
    results.push({ service: FUZZ_SERVICES[0], target: 'primary', verdict: 'unhealthy', observedAt: '$now-1000', [field]: value });
    return { ...b, results };
  });
}

const batchFields = ['vantagePoint', 'round', 'sentAt', 'ranIn', 'controlOk', 'results'];

const observationBody = (signer: 'aws' | 'cloudflare') => fc.oneof(
  { weight: 5, arbitrary: validBatch(signer) as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: mutated(validBatch(signer), batchFields) },
  { weight: 2, arbitrary: withBadResult(validBatch(signer)) },
  // controlOk false with a verdict that is not abstain (must be refused), or all abstaining.
  { weight: 1, arbitrary: validBatch(signer).map((b) => ({ ...b, controlOk: false })) },
  // Vantage points that are not the signer's: the other provider's, unconfigured, invented, malformed.
  { weight: 2, arbitrary: fc.tuple(validBatch(signer), fc.oneof(vpName(signer === 'aws' ? 'cloudflare' : 'aws'), fc.constantFrom(`${signer}:invented`, `${signer}:us-west-2`, 'local:x', 'AWS:US-EAST-1', `${signer}:${'a'.repeat(41)}`), fc.string({ maxLength: 50 }))).map(([b, vp]) => ({ ...b, vantagePoint: vp })) },
  { weight: 1, arbitrary: fc.jsonValue() },
);

const overrideBody = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    service: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FUZZ_SERVICES) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 253 }) }),
    action: fc.constantFrom('force-primary', 'force-secondary', 'freeze', 'auto'),
    until: fc.oneof(rel(-60_000, 400 * 86_400_000), rel(-60_000, 400 * 86_400_000, 'iso'), fc.constantFrom(MAX_DATE_MS + 1, MAX_DATE_MS, '2999-01-01T00:00:00Z', 'not a date', '2026-02-30T00:00:00Z')),
    reason: fc.oneof(fc.string({ minLength: 3, maxLength: 500, unit: 'binary' }), fc.constantFrom('  a  ', '\u0000'.repeat(500), 'x'.repeat(501))),
  }, { requiredKeys: ['service', 'action', 'reason'] }) as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: mutated(fc.constant({ service: FUZZ_SERVICES[0], action: 'freeze', reason: 'fuzzing', until: '$now+60000' }), ['service', 'action', 'until', 'reason']) },
  { weight: 1, arbitrary: fc.jsonValue() },
);

const queryValue = fc.oneof(
  fc.constantFrom('', '0', '1', '100', '1000', '1001', '-1', '1e2', '0x10', 'NaN', 'Infinity', '8640000000000000', '8640000000000001', '9999999999999999', '00000000000000001', FUZZ_SERVICES[0], 'x'.repeat(2100)),
  fc.string({ maxLength: 30, unit: 'binary' }),
  fc.nat().map(String),
);

/** Query strings for GET /v1/audit: the documented parameters with arbitrary values, repeats and junk. */
export const auditQuery = fc.array(fc.tuple(fc.constantFrom('service', 'since', 'limit', 'other', ''), queryValue), { maxLength: 4 })
  .chain((pairs) => fc.constantFrom('encoded', 'raw').map((how) =>
    pairs.map(([k, v]) => (how === 'encoded' ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${k}=${v.replace(/[#\s]/g, '')}`)).join('&')));

const advanceMs = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 40_000 }) });

const probeSigner = fc.constantFrom<Signer>('aws', 'aws', 'aws', 'cloudflare', 'cloudflare', 'operator', 'none');
const operatorSigner = fc.constantFrom<Signer>('operator', 'operator', 'operator', 'operator', 'aws', 'none');

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  { weight: 8, arbitrary: probeSigner.chain((signer) => fc.record({
    route: fc.constant('observations' as const), signer: fc.constant(signer), advanceMs,
    body: observationBody(signer === 'cloudflare' ? 'cloudflare' : 'aws'),
  })) },
  { weight: 3, arbitrary: fc.record({ route: fc.constant('override' as const), signer: operatorSigner, body: overrideBody, advanceMs }) },
  { weight: 1, arbitrary: fc.record({ route: fc.constant('status' as const), signer: operatorSigner, advanceMs }) },
  { weight: 2, arbitrary: fc.record({ route: fc.constant('audit' as const), signer: operatorSigner, query: auditQuery, advanceMs }) },
  { weight: 1, arbitrary: fc.record({
    route: fc.constant('other' as const), signer: fc.constantFrom<Signer>('operator', 'aws', 'none'), advanceMs,
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
    path: fc.constantFrom('/', '/v1', '/v1/', '/v1/unknown', '/v1/observations/x', '/v1/status/', '/V1/STATUS', '/v2/status', '/v1/override/../status', '/healthz/x'),
    body: fc.jsonValue(),
  }) },
  { weight: 1, arbitrary: fc.record({ route: fc.constant('oversize' as const), signer: fc.constantFrom<Signer>('aws', 'operator', 'none'), path: fc.constantFrom('/v1/observations', '/v1/override'), advanceMs }) },
);

export interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body: string | undefined;
  readonly now: number;
  readonly res: Response;
  readonly json: Record<string, unknown>;
}

/** Signs (as `signer`) and sends one request to the app at the rig's current time. */
export async function sendRequest(rig: Pick<FuzzTarget, 'app' | 'clock' | 'keys'>, req: FuzzRequest): Promise<Sent> {
  // At least 1 ms per request: DynamoDB orders audit entries of one millisecond written by
  // different calls at random (functions/dynamo/state-store.ts sort key), so ties would blur which
  // entry a request added.
  rig.clock.at += Math.max(1, req.advanceMs);
  const now = rig.clock.now();
  let method = 'GET';
  let path: string;
  let query = '';
  let body: string | undefined;
  switch (req.route) {
    case 'observations': method = 'POST'; path = '/v1/observations'; body = JSON.stringify(fillTimes(req.body, now)) ?? 'null'; break;
    case 'override': method = 'POST'; path = '/v1/override'; body = JSON.stringify(fillTimes(req.body, now)) ?? 'null'; break;
    case 'status': path = '/v1/status'; break;
    case 'audit': path = '/v1/audit'; query = req.query ? `?${req.query}` : ''; break;
    case 'other': method = req.method; path = req.path; body = method === 'GET' ? undefined : JSON.stringify(req.body) ?? 'null'; break;
    case 'oversize': method = 'POST'; path = req.path; body = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) }); break;
  }
  const headers = req.signer === 'none' ? {} : await sign(rig.keys[req.signer], method, path, body, now);
  const url = new URL(`https://coordinator.example${path}${query}`);
  const res = await rig.app.fetch(new Request(url, { method, headers: { ...headers, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body }) }));
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(text) as Record<string, unknown>; } catch { json = { unparsed: text }; }
  return { method, path: url.pathname, body, now, res, json };
}

export function sign(key: SigningKey, method: string, path: string, body: string | undefined, now: number): Promise<Record<string, string>> {
  const common = { method, path, ...(body === undefined ? {} : { body }), keyId: key.id, now };
  return key.kind === 'ecdsa' ? signRequestEcdsa({ ...common, privateKey: key.privateKey }) : signRequest({ ...common, secret: key.secret });
}

// ---------------------------------------------------------------------------------------------
// What a request may change.

export interface Snapshot {
  readonly states: readonly { readonly value: ServiceState; readonly version: number }[];
  /** The newest audit entries (enough to see every entry one request can add). */
  readonly audit: readonly AuditEntry[];
}

const AUDIT_WINDOW = 20;

export async function snapshot(store: Pick<StateStore, 'snapshot' | 'audit'>): Promise<Snapshot> {
  const states = (await statesWithVotes(store)).sort((a, b) => a.value.service.localeCompare(b.value.service));
  return { states, audit: await store.audit({ limit: AUDIT_WINDOW }) };
}

/**
 * What a refusal adds to the audit log (core/api/app.ts, core/api/refusals.ts): nothing. A request
 * refused by the signature check (401), for its vantage point (403), its size (413), its body (400)
 * or its route (404) is counted, logged at most once a minute per reason, and never written: an
 * anonymous flood cannot push decisions out of the audit log. Throws for any other refusal status.
 */
export function expectedRefusalAudit(sent: Sent): readonly Partial<AuditEntry>[] {
  const status = sent.res.status;
  // 429: the Worker gate's per-IP limit on refusals (workers/gate.ts), also never stored.
  if ([400, 401, 403, 404, 413, 429].includes(status)) return [];
  throw new Error(`no documented refusal for status ${status}`);
}

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/**
 * The largest JSON a service's state can take for this config: every configured vantage point
 * voting on both targets with the costliest vote a body can carry (ranIn of 64 characters that
 * JSON escapes to 6 bytes each, the longest numbers), the same again as the evidence of the last
 * decision, an override's reason (500 characters, escaped) in each of the few places a state
 * holds it, and a fixed allowance for the scalar fields and decision texts.
 */
export function stateBound(config: LifeboatConfig): { readonly bytes: number; readonly perVote: number; readonly perEvidenceVote: number } {
  const vps = vantagePointsOf(config);
  const longestVp = vps.reduce((a, b) => (a.length >= b.length ? a : b));
  const vote = { verdict: 'unhealthy', observedAt: -MAX_DATE_MS, receivedAt: -MAX_DATE_MS, failure: 'latency', latencyMs: 1.2345678901234567e-300, ranIn: '\u0000'.repeat(64) };
  const perVote = bytes(vote) + bytes({ vantagePoint: longestVp, primary: null, secondary: null }) / 2;
  const evidenceVote = { vantagePoint: longestVp, target: 'secondary', verdict: 'unhealthy', fresh: false, observedAt: -MAX_DATE_MS, receivedAt: -MAX_DATE_MS, failure: 'latency' };
  const perEvidenceVote = bytes(evidenceVote);
  const reason = bytes('\u0000'.repeat(500));
  const reasonCopies = 6;
  const fixed = 8 * 1024;
  const votes = vps.length * 2 * (perVote + perEvidenceVote);
  return { bytes: fixed + votes + reasonCopies * reason, perVote, perEvidenceVote };
}

export const stateBytes = (state: ServiceState): number => bytes(state);

/** What checkRequest needs: an app to send to, signing keys, the store behind it and its config. */
export interface FuzzTarget {
  readonly app: { fetch(request: Request): Response | Promise<Response> };
  /** The time requests are signed with; sendRequest moves `at` on. */
  readonly clock: { at: number; now(): number };
  readonly keys: FuzzKeys;
  readonly store: Pick<StateStore, 'snapshot' | 'audit'>;
  readonly config: LifeboatConfig;
  /**
   * False when the coordinator reads its own clock (the real Worker): the receive time is then not
   * the time signed with, so the exact counting check (receivedAt, window edges) is left out.
   */
  readonly exactClock?: boolean;
}

export interface CheckStats {
  readonly statuses: Map<number, number>;
  maxStateBytes: number;
}

export const newStats = (): CheckStats => ({ statuses: new Map(), maxStateBytes: 0 });

/**
 * Sends one request and checks it against the three rules. Also holds accepted batches to the
 * counting rule: a result is ignored for an unknown service, refused (not stored) for a time
 * outside [now - freshness window, now + skew], and otherwise stored as that VP's vote.
 */
export async function checkRequest(rig: FuzzTarget, req: FuzzRequest, stats: CheckStats): Promise<Sent> {
  const before = await snapshot(rig.store);
  const sent = await sendRequest(rig, req);
  const status = sent.res.status;
  stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
  const where = `${sent.method} ${sent.path} -> ${status} ${JSON.stringify(sent.json).slice(0, 300)}`;
  expect(status, where).toBeLessThan(500);
  const after = await snapshot(rig.store);

  if (status >= 400) {
    expect(sent.json, where).toMatchObject({ error: expect.any(String), detail: expect.any(String) });
    if (status === 400) expect(sent.json.field, where).toEqual(expect.any(String));
    expect(after.states, `${where}: a refused request changed stored state`).toEqual(before.states);
    const added = expectedRefusalAudit(sent);
    expect(after.audit.slice(0, added.length), where).toEqual(added.map((e) => expect.objectContaining(e)));
    expect(after.audit.slice(added.length), `${where}: audit beyond the documented refusal entry`).toEqual(before.audit.slice(0, AUDIT_WINDOW - added.length));
  } else if (sent.method === 'GET') {
    expect(after, `${where}: a read changed stored state`).toEqual(before);
  } else if (sent.path === '/v1/observations' && rig.exactClock !== false) {
    checkCounting(rig, sent, before, after, where);
  }

  const bound = stateBound(rig.config).bytes;
  for (const s of after.states) {
    const size = stateBytes(s.value);
    stats.maxStateBytes = Math.max(stats.maxStateBytes, size);
    expect(size, `${where}: state of ${s.value.service} is ${size} bytes`).toBeLessThanOrEqual(bound);
    const configured = new Set(vantagePointsOf(rig.config));
    for (const entry of s.value.votes) expect(configured.has(entry.vantagePoint), `${where}: unconfigured vote ${entry.vantagePoint}`).toBe(true);
  }
  return sent;
}

function checkCounting(rig: FuzzTarget, sent: Sent, before: Snapshot, after: Snapshot, where: string) {
  const batch = JSON.parse(sent.body!) as { vantagePoint: string; results: { service: string; target: 'primary' | 'secondary'; observedAt: number }[] };
  const byName = new Map(rig.config.services.map((s) => [normaliseName(s.name), s] as const));
  let ignored = 0;
  let accepted = 0;
  const stored = new Map<string, Set<string>>();
  for (const r of batch.results) {
    const service = byName.get(normaliseName(r.service));
    if (!service) { ignored++; continue; }
    const fresh = policyFor(rig.config, service).freshForMs;
    if (r.observedAt > sent.now + MAX_OBSERVATION_SKEW_MS || r.observedAt < sent.now - fresh) continue;
    accepted++;
    const targets = stored.get(normaliseName(service.name)) ?? new Set<string>();
    targets.add(r.target);
    stored.set(normaliseName(service.name), targets);
  }
  expect(sent.json, where).toMatchObject({ accepted, ignored });
  if (accepted === 0) {
    // Everything ignored or refused for its time: counted in the answer, nothing stored.
    expect(after.states, `${where}: a batch with nothing accepted changed stored state`).toEqual(before.states);
    return;
  }
  for (const [service, targets] of stored) {
    const state = after.states.find((s) => s.value.service === service)?.value;
    const entry = state?.votes.find((v) => v.vantagePoint === batch.vantagePoint);
    for (const t of targets) expect(entry?.[t as 'primary' | 'secondary']?.receivedAt, `${where}: ${service} ${t} vote not stored`).toBe(sent.now);
  }
}

// ---------------------------------------------------------------------------------------------
// The attack run: a stolen probe key posting as hard as the API lets it.

/** The largest batch a body may carry: as many costly results as fit under MAX_BODY_BYTES. */
export function largestBatch(vantagePoint: string, now: number, verdict: 'healthy' | 'unhealthy', round: number): string {
  const results: unknown[] = [];
  const base = { vantagePoint, round, sentAt: now, ranIn: '\u0000'.repeat(64), controlOk: true, results };
  for (let i = 0; ; i++) {
    const r = {
      service: FUZZ_SERVICES[i % FUZZ_SERVICES.length], target: i % 4 < 2 ? 'primary' : 'secondary', verdict,
      observedAt: now - (i % 1000), failure: 'latency', latencyMs: 0.000123456789012345,
    };
    results.push(r);
    if (JSON.stringify(base).length > MAX_BODY_BYTES || results.length > 1000) { results.pop(); break; }
  }
  return JSON.stringify(base);
}

export interface AttackReport {
  readonly rounds: number;
  readonly bodyBytes: number;
  readonly resultsPerBody: number;
  /** Largest serialised state of any service seen during the run, and the bound. */
  readonly maxStateBytes: number;
  readonly boundBytes: number;
}

/**
 * One probe key (AWS) posts for its own vantage points with the largest allowed bodies, flapping
 * between healthy and unhealthy so decisions (with evidence) are stored too, the operator adds
 * overrides with the longest reasons, and the key posts as invented vantage points (refused).
 */
export async function attackRun(rig: FuzzRig, rounds: number): Promise<AttackReport> {
  const own = vantagePointsOf(rig.config).filter((vp) => vp.startsWith('aws:'));
  const bound = stateBound(rig.config).bytes;
  let maxStateBytes = 0;
  let bodyBytes = 0;
  let resultsPerBody = 0;
  const post = async (body: string, signer: Signer = 'aws') => {
    const headers = await sign(rig.keys[signer as 'aws'], 'POST', '/v1/observations', body, rig.clock.now());
    return rig.app.fetch(new Request('https://coordinator.example/v1/observations', { method: 'POST', headers, body }));
  };
  for (let round = 0; round < rounds; round++) {
    rig.clock.at += 10_000;
    const verdict = Math.floor(round / 4) % 2 === 0 ? 'unhealthy' : 'healthy';
    for (const vp of own) {
      const body = largestBatch(vp, rig.clock.now(), verdict, round);
      bodyBytes = Math.max(bodyBytes, new TextEncoder().encode(body).length);
      resultsPerBody = (JSON.parse(body) as { results: unknown[] }).results.length;
      const res = await post(body);
      expect(res.status, await res.clone().text()).toBe(200);
    }
    if (round % 5 === 0) {
      const body = JSON.stringify({ service: FUZZ_SERVICES[round % 2], action: round % 10 === 0 ? 'force-secondary' : 'auto', until: rig.clock.now() + 60_000, reason: '\u0000'.repeat(500) });
      const headers = await sign(rig.keys.operator, 'POST', '/v1/override', body, rig.clock.now());
      const res = await rig.app.fetch(new Request('https://coordinator.example/v1/override', { method: 'POST', headers, body }));
      expect(res.status, await res.clone().text()).toBe(200);
    }
    // Invented names: refused, and the vote book never learns them.
    rig.clock.at += 1; // its own millisecond, so its audit entry is the newest (see sendRequest)
    const before = await snapshot(rig.store);
    const invented = largestBatch(`aws:invented-${round}`, rig.clock.now(), 'unhealthy', round);
    const res = await post(invented);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'vantage_point_not_allowed', field: 'vantagePoint' });
    const after = await snapshot(rig.store);
    expect(after.states).toEqual(before.states);
    // Counted, not written: the audit log is exactly as it was.
    expect(after.audit).toEqual(before.audit);
    for (const s of after.states) {
      maxStateBytes = Math.max(maxStateBytes, stateBytes(s.value));
      expect(s.value.votes.map((v) => v.vantagePoint).every((vp) => own.includes(vp as typeof own[number]) || vp.startsWith('cloudflare:'))).toBe(true);
    }
    expect(maxStateBytes, `round ${round}`).toBeLessThanOrEqual(bound);
  }
  return { rounds, bodyBytes, resultsPerBody, maxStateBytes, boundBytes: bound };
}
