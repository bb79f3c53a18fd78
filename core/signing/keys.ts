/**
 * Signing keys: who may call what. The config names keys (id + scope, and for asymmetric probe
 * keys the public key) but never holds a secret; HMAC secrets come from the runtime's secret
 * store (env vars, SSM, wrangler secrets) as hex.
 */
import type { KeyConfig } from '../config/schema.ts';
import type { VantagePoint } from '../model.ts';
import { SecretFetchError, type Logger, type SecretSource } from '../ports.ts';
import { importPublicKey } from './ecdsa.ts';
import { KeyError } from '../errors.ts';

/**
 * "probe" keys post observations; "operator" keys override and read status and audit; "read"
 * keys (the other provider's coordinator watching this one) read status and audit, nothing else.
 */
export type KeyScope = 'probe' | 'operator' | 'read';

export const KEY_SCOPES: readonly KeyScope[] = ['probe', 'operator', 'read'];

/** What verifies a key's signatures: its HMAC secret (LB1-HMAC-SHA256) or its public key (LB1-ECDSA-P256-SHA256). */
export type ResolvedKey =
  | { readonly scope: KeyScope; readonly secret: Uint8Array; readonly publicKey?: undefined }
  | { readonly scope: KeyScope; readonly publicKey: CryptoKey; readonly secret?: undefined };

/** Looks a key id up; null when unknown. Async so stores (SSM, KV, DynamoDB) can back it. */
export type KeyResolver = (keyId: string) => Promise<ResolvedKey | null>;

/** HMAC-SHA256 keys shorter than the hash output weaken it; 32 bytes is what `lifeboat keygen` makes. */
export const MIN_SECRET_BYTES = 32;

/**
 * Whether a key of `scope` may call a route that needs `requiredScope`. Probe and operator are
 * disjoint on purpose: a stolen prober key can only post observations (which quorum dilutes),
 * never force a failover, and an operator key is not a vote. A `read` route also takes an
 * operator key (operators read status); a `read` key calls nothing else, so the key a peer
 * coordinator holds to watch this one can never override, post a vote or batch.
 */
export function scopeAllows(scope: KeyScope, requiredScope: KeyScope): boolean {
  return scope === requiredScope || (requiredScope === 'read' && scope === 'operator');
}

/** Hex to bytes (either case); null when not an even-length string of hex digits. */
export function hexToBytes(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Decodes a key's hex secret. Errors name the key id and what is wrong, never the value, since
 * they end up in logs. Surrounding whitespace (a trailing newline from a secrets file) is ignored.
 */
export function decodeHexSecret(hex: string, keyId: string): Uint8Array {
  const trimmed = hex.trim();
  const bytes = hexToBytes(trimmed);
  if (!bytes) {
    throw new KeyError(`secret of key "${keyId}" is not hex: expected an even number of the characters 0-9 a-f`);
  }
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new KeyError(`secret of key "${keyId}" is too short: ${bytes.length} bytes, need at least ${MIN_SECRET_BYTES} (${MIN_SECRET_BYTES * 2} hex characters; make one with \`openssl rand -hex 32\`)`);
  }
  return bytes;
}

export interface StaticKey {
  readonly id: string;
  readonly scope: KeyScope;
  readonly secret: Uint8Array;
}

/** A resolver over a fixed list (tests, the local run). Rejects duplicate ids and short secrets. */
export function staticKeyResolver(entries: readonly StaticKey[]): KeyResolver {
  const byId = new Map<string, ResolvedKey>();
  for (const { id, scope, secret } of entries) {
    if (byId.has(id)) throw new KeyError(`key "${id}" is listed twice`);
    if (secret.length < MIN_SECRET_BYTES) {
      throw new KeyError(`secret of key "${id}" is too short: ${secret.length} bytes, need at least ${MIN_SECRET_BYTES}`);
    }
    byId.set(id, { scope, secret: new Uint8Array(secret) });
  }
  return async (keyId) => byId.get(keyId) ?? null;
}

/**
 * The env var that holds a key's hex secret: `LIFEBOAT_KEY_` + the id upper-cased with every
 * character other than A-Z and 0-9 turned into `_`. So key `ops-alice` reads `LIFEBOAT_KEY_OPS_ALICE`
 * and `aws.probe-1` reads `LIFEBOAT_KEY_AWS_PROBE_1`.
 */
export function keyEnvVar(keyId: string): string {
  return `LIFEBOAT_KEY_${keyId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** `hmac-sha256` unless the key gives a public key (or says `ecdsa-p256`). */
export function keyAlgorithm(key: Pick<KeyConfig, 'algorithm' | 'publicKey'>): 'hmac-sha256' | 'ecdsa-p256' {
  return key.algorithm ?? (key.publicKey !== undefined ? 'ecdsa-p256' : 'hmac-sha256');
}

/**
 * Whether a probe key may post a batch for `vantagePoint`: the vantage point must be in the config
 * and named by the key's `speaksFor`, as itself (`aws:us-east-1`) or by its provider (`aws`).
 */
export function speaksFor(key: Pick<KeyConfig, 'scope' | 'speaksFor'>, vantagePoint: string, configured: readonly VantagePoint[]): boolean {
  if (key.scope !== 'probe' || !configured.includes(vantagePoint as VantagePoint)) return false;
  return (key.speaksFor ?? []).some((s) => s === vantagePoint || vantagePoint.startsWith(`${s}:`));
}

/**
 * Resolves the config's keys on first use: ECDSA keys from the public key in the config, HMAC
 * keys from `secrets` under `secretName(id)`. A key whose secret is missing or malformed is
 * refused alone (null, so 401 unknown_key) and logged by key id and secret name, never the value;
 * other keys keep working. A store that cannot be asked (SecretFetchError) throws: fail closed.
 */
export function configKeyResolver(keys: readonly KeyConfig[], secrets: SecretSource, secretName: (keyId: string) => string, logger: Logger): KeyResolver {
  const byId = new Map(keys.map((k) => [k.id, k] as const));
  const cache = new Map<string, Promise<ResolvedKey | null>>();
  const load = async (key: KeyConfig): Promise<ResolvedKey | null> => {
    const name = keyAlgorithm(key) === 'ecdsa-p256' ? undefined : secretName(key.id);
    try {
      if (name === undefined) return { scope: key.scope, publicKey: await importPublicKey(key.publicKey ?? '', key.id) };
      return { scope: key.scope, secret: decodeHexSecret(await secrets.get(name), key.id) };
    } catch (err) {
      if (err instanceof SecretFetchError) throw err;
      logger.error('signing key unusable', { keyId: key.id, ...(name ? { parameter: name } : {}), error: (err as Error).message });
      return null;
    }
  };
  return (keyId) => {
    const key = byId.get(keyId);
    if (!key) return Promise.resolve(null);
    let resolved = cache.get(keyId);
    if (!resolved) {
      resolved = load(key);
      cache.set(keyId, resolved);
      // Only a usable key is remembered: a secret stored after start-up (or a store outage that
      // ends) is picked up by the next request without a restart.
      resolved.then((k) => { if (!k) cache.delete(keyId); }, () => cache.delete(keyId));
    }
    return resolved;
  };
}
