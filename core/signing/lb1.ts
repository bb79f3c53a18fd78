/**
 * Scheme LB1-HMAC-SHA256 (docs/signing.md): every coordinator API call is signed with a key's
 * secret over method, path, time, a nonce and the body's hash. Probe keys may instead use
 * LB1-ECDSA-P256-SHA256 (./ecdsa.ts): the same canonical string and headers, an asymmetric signature. WebCrypto only, so the same code
 * signs and verifies in Node, Lambda and workerd.
 */
import type { UnixMs } from '../model.ts';
import { webRandomBytes, type RandomBytes } from '../ports.ts';
import { MIN_SECRET_BYTES, hexToBytes, scopeAllows, type KeyResolver, type KeyScope } from './keys.ts';
import type { NonceStore } from './nonce-store.ts';
import { ECDSA_SCHEME, ecdsaSign, ecdsaVerify } from './ecdsa.ts';
import { KeyError, SigningError } from '../errors.ts';

export { decodeHexSecret } from './keys.ts';

export const SCHEME = 'LB1-HMAC-SHA256';
export const HEADER_KEY = 'X-Lifeboat-Key';
export const HEADER_TIMESTAMP = 'X-Lifeboat-Timestamp';
export const HEADER_NONCE = 'X-Lifeboat-Nonce';
export const HEADER_SIGNATURE = 'X-Lifeboat-Signature';
export const SIGNED_HEADERS = [HEADER_KEY, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE] as const;

/** Larger bodies get 413 before any crypto is spent on them. */
export const MAX_BODY_BYTES = 65_536;
/** A timestamp this far (seconds) from the verifier's clock, either way, is still accepted. */
export const WINDOW_SECONDS = 300;
export const NONCE_BYTES = 16;

const TIMESTAMP_RE = /^[0-9]{1,12}$/;
const NONCE_RE = /^[0-9a-fA-F]{32,128}$/;
/** 64 hex (HMAC-SHA256) or 128 hex (ECDSA P-256 r||s); which one a key needs is checked against the key. */
const SIGNATURE_RE = /^(?:[0-9a-fA-F]{64}){1,2}$/;
/** Same shape as keySchema's id; only ids of this shape are echoed back in errors. */
const KEY_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;

export type Body = Uint8Array | string;

const encoder = new TextEncoder();

function bytesOf(body: Body | undefined): Uint8Array<ArrayBuffer> {
  if (body === undefined) return new Uint8Array(0);
  // Copy: WebCrypto's types want an ArrayBuffer-backed view, and a copy cannot change under us.
  return new Uint8Array(typeof body === 'string' ? encoder.encode(body) : body);
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** The request path as signed: everything before `?` (the query string is not signed) or `#`. */
export function signedPath(pathOrUrl: string): string {
  const end = pathOrUrl.search(/[?#]/);
  return end === -1 ? pathOrUrl : pathOrUrl.slice(0, end);
}

export interface CanonicalInput {
  readonly method: string;
  readonly path: string;
  /** Unix seconds, as sent in X-Lifeboat-Timestamp. */
  readonly timestamp: number | string;
  readonly nonce: string;
  /** Raw body bytes (a string is UTF-8 encoded); absent or empty for GET. */
  readonly body?: Body;
}

/** `METHOD\nPATH\nTIMESTAMP\nNONCE\nhex(SHA-256(body))`, exactly as in DESIGN.md. */
export async function canonicalString({ method, path, timestamp, nonce, body }: CanonicalInput): Promise<string> {
  const p = signedPath(path);
  // A newline inside a field would let two different requests share one canonical string.
  for (const [name, value] of [['method', method], ['path', p], ['timestamp', String(timestamp)], ['nonce', nonce]]) {
    if (/[\r\n]/.test(value!)) throw new SigningError(`LB1 ${name} must not contain a line break`);
  }
  const bodyHash = bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytesOf(body))));
  return `${method.toUpperCase()}\n${p}\n${timestamp}\n${nonce}\n${bodyHash}`;
}

// One imported key per secret array: resolvers and signers hold their secret for the life of the
// process, and importing it again for every request cost a fifth of a coordinator's CPU. Keyed by
// identity (a WeakMap, so a dropped secret is not kept alive) and checked against a copy of the
// bytes, so an array changed in place is imported afresh rather than verified with an old key.
const hmacKeys = new WeakMap<Uint8Array, { readonly bytes: Uint8Array; readonly key: Promise<CryptoKey> }>();

function hmacKey(secret: Uint8Array): Promise<CryptoKey> {
  const cached = hmacKeys.get(secret);
  if (cached && sameBytes(cached.bytes, secret)) return cached.key;
  const bytes = new Uint8Array(secret);
  const key = crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  hmacKeys.set(secret, { bytes, key });
  key.catch(() => hmacKeys.delete(secret));
  return key;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface SignInput {
  readonly method: string;
  /** A full URL or a path; the query string and fragment are dropped before signing. */
  readonly url?: string | URL;
  readonly path?: string;
  readonly body?: Body;
  readonly keyId: string;
  readonly secret: Uint8Array;
  readonly now: UnixMs;
  /** Override for tests; hex, 32-128 characters. */
  readonly nonce?: string;
  readonly randomBytes?: RandomBytes;
}

/** The four X-Lifeboat-* headers for one request. Send the body bytes exactly as signed. */
export async function signRequest(input: SignInput): Promise<Record<string, string>> {
  const { keyId, secret } = input;
  if (secret.length < MIN_SECRET_BYTES) throw new KeyError(`secret of key "${keyId}" is too short: need at least ${MIN_SECRET_BYTES} bytes`);
  return signCanonical(input, async (canonical) =>
    new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(canonical))));
}

/** The headers of LB1-ECDSA-P256-SHA256 (core/signing/ecdsa.ts): same canonical string, r||s signature. */
export function signRequestEcdsa(input: Omit<SignInput, 'secret'> & { readonly privateKey: CryptoKey }): Promise<Record<string, string>> {
  return signCanonical(input, (canonical) => ecdsaSign(input.privateKey, canonical));
}

/** The shared part of both schemes: nonce, timestamp, canonical string, headers. */
async function signCanonical(input: Omit<SignInput, 'secret'>, sign: (canonical: string) => Promise<Uint8Array>): Promise<Record<string, string>> {
  const { method, body, keyId, now } = input;
  const path = input.url !== undefined ? new URL(input.url).pathname : input.path;
  if (path === undefined) throw new SigningError('signRequest needs a url or a path');
  const nonce = input.nonce ?? bytesToHex((input.randomBytes ?? webRandomBytes)(NONCE_BYTES));
  if (!NONCE_RE.test(nonce)) throw new SigningError('nonce must be 32-128 hex characters');
  const timestamp = String(Math.floor(now / 1000));
  const canonical = await canonicalString({ method, path, timestamp, nonce, body });
  return {
    [HEADER_KEY]: keyId,
    [HEADER_TIMESTAMP]: timestamp,
    [HEADER_NONCE]: nonce,
    [HEADER_SIGNATURE]: bytesToHex(await sign(canonical)),
  };
}

export type VerifyError =
  | 'body_too_large'
  | 'missing_header'
  | 'bad_timestamp'
  | 'bad_nonce'
  | 'unknown_key'
  | 'wrong_scope'
  | 'stale_timestamp'
  | 'bad_signature'
  | 'replayed_nonce';

export type VerifyResult =
  | {
    readonly ok: true; readonly keyId: string; readonly scope: KeyScope; readonly scheme: typeof SCHEME | typeof ECDSA_SCHEME;
    /** With replayGuardedByCaller only: the nonce left unclaimed, for the caller's guard or claimNonce. */
    readonly unclaimed?: UnclaimedNonce;
  }
  | {
    readonly ok: false;
    readonly status: 401 | 413;
    readonly error: VerifyError;
    /** Names the header at fault; never holds a secret or the expected signature. */
    readonly detail: string;
    /** The claimed key id, when well-formed: for the audit entry (it is not proof of identity). */
    readonly keyId?: string;
  };

export interface VerifiableRequest {
  readonly method: string;
  /** Request path; a query string, if left on, is ignored. */
  readonly path: string;
  readonly headers: Headers | Record<string, string | undefined>;
  /** The raw body bytes as received. Adapters should refuse a Content-Length over MAX_BODY_BYTES before reading. */
  readonly body: Uint8Array;
}

export interface VerifyDeps {
  readonly keys: KeyResolver;
  readonly nonces: NonceStore;
  readonly now: UnixMs;
  readonly requiredScope: KeyScope;
  /**
   * The caller guards this request against replay itself, and claims the nonce (claimNonce) only
   * when it cannot: POST /v1/observations, whose batch's heartbeat write refuses a replay
   * (core/coordinator/store.ts replayRefused). Every other request has its nonce claimed here.
   */
  readonly replayGuardedByCaller?: boolean;
}

/** A verified request's nonce (lower-cased: one nonce, one entry), and until when a claim of it must hold. */
export interface UnclaimedNonce {
  readonly keyId: string;
  readonly nonce: string;
  readonly expiresAt: UnixMs;
}

/** Claims a verified request's nonce; false when it was already used (a replay). */
export function claimNonce(nonces: NonceStore, n: UnclaimedNonce, now: UnixMs): Promise<boolean> {
  return nonces.claim(n.nonce, n.keyId, n.expiresAt, now);
}

/** The refusal of a replayed request, the same whichever store caught it. */
export const REPLAYED_DETAIL = `${HEADER_NONCE} was already used`;

function header(headers: VerifiableRequest['headers'], name: string): string | undefined {
  // Duck-typed: Headers from another realm or library fails `instanceof`.
  if (typeof headers.get === 'function') return (headers as Headers).get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower && v !== undefined) return v;
  return undefined;
}

const fail = (status: 401 | 413, error: VerifyError, detail: string, keyId?: string): VerifyResult =>
  (keyId === undefined ? { ok: false, status, error, detail } : { ok: false, status, error, detail, keyId });

/**
 * Checks one request, cheapest and least revealing checks first. The nonce is recorded only after
 * the signature has been verified, so a forged request cannot burn a real caller's nonce.
 */
export async function verifyRequest(req: VerifiableRequest, deps: VerifyDeps): Promise<VerifyResult> {
  if (req.body.byteLength > MAX_BODY_BYTES) {
    return fail(413, 'body_too_large', `body is ${req.body.byteLength} bytes; the limit is ${MAX_BODY_BYTES}`);
  }

  const values = SIGNED_HEADERS.map((h) => header(req.headers, h)?.trim());
  const missing = SIGNED_HEADERS.filter((_, i) => !values[i]);
  if (missing.length > 0) return fail(401, 'missing_header', `missing ${missing.join(', ')}`);
  const [keyId, timestamp, nonce, signature] = values as [string, string, string, string];

  if (!KEY_ID_RE.test(keyId)) return fail(401, 'unknown_key', `${HEADER_KEY} is not a valid key id`);
  if (!TIMESTAMP_RE.test(timestamp)) return fail(401, 'bad_timestamp', `${HEADER_TIMESTAMP} must be unix seconds`, keyId);
  if (!NONCE_RE.test(nonce)) return fail(401, 'bad_nonce', `${HEADER_NONCE} must be 32-128 hex characters`, keyId);
  if (!SIGNATURE_RE.test(signature)) return fail(401, 'bad_signature', `${HEADER_SIGNATURE} must be 64 hex characters (${SCHEME}) or 128 (${ECDSA_SCHEME})`, keyId);

  const key = await deps.keys(keyId);
  if (!key) return fail(401, 'unknown_key', `${HEADER_KEY}: unknown key "${keyId}"`, keyId);
  if (!scopeAllows(key.scope, deps.requiredScope)) {
    return fail(401, 'wrong_scope', `${HEADER_KEY}: key "${keyId}" has scope ${key.scope}; this route needs ${deps.requiredScope}`, keyId);
  }

  const ts = Number(timestamp);
  const skew = Math.floor(deps.now / 1000) - ts;
  if (Math.abs(skew) > WINDOW_SECONDS) {
    return fail(401, 'stale_timestamp', `${HEADER_TIMESTAMP} is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'}; allowed ${WINDOW_SECONDS} s (check the clock)`, keyId);
  }

  const canonical = await canonicalString({ method: req.method, path: req.path, timestamp, nonce, body: req.body });
  const scheme = key.publicKey ? ECDSA_SCHEME : SCHEME;
  const wantHex = key.publicKey ? 128 : 64;
  if (signature.length !== wantHex) {
    return fail(401, 'bad_signature', `${HEADER_SIGNATURE} must be ${wantHex} hex characters: key "${keyId}" uses ${scheme}`, keyId);
  }
  const sigBytes = new Uint8Array(hexToBytes(signature)!);
  // subtle.verify compares in constant time.
  const good = key.publicKey
    ? await ecdsaVerify(key.publicKey, sigBytes, canonical)
    : await crypto.subtle.verify('HMAC', await hmacKey(key.secret), sigBytes, encoder.encode(canonical));
  if (!good) return fail(401, 'bad_signature', `${HEADER_SIGNATURE} does not match the request`, keyId);

  // Held for the window on both sides of the timestamp, so instances whose clocks differ (up to
  // the window) and share one store still see the replay. Lower-cased: one nonce, one entry.
  const unclaimed: UnclaimedNonce = { keyId, nonce: nonce.toLowerCase(), expiresAt: (ts + 2 * WINDOW_SECONDS) * 1000 };
  if (deps.replayGuardedByCaller) return { ok: true, keyId, scope: key.scope, scheme, unclaimed };
  if (!(await claimNonce(deps.nonces, unclaimed, deps.now))) return fail(401, 'replayed_nonce', REPLAYED_DETAIL, keyId);
  return { ok: true, keyId, scope: key.scope, scheme };
}
