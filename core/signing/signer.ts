/**
 * What a vantage point signs its posts with. The round and the poster only see this function, so
 * the signature scheme (LB1-HMAC-SHA256 or LB1-ECDSA-P256-SHA256) is chosen where the key is
 * loaded, once, and never re-decided per adapter.
 */
import type { KeyConfig, LifeboatConfig } from '../config/schema.ts';
import { vantagePointsOf } from '../config/access.ts';
import type { UnixMs, VantagePoint } from '../model.ts';
import type { SecretSource } from '../ports.ts';
import { importPrivateKey, KeyFormatError } from './ecdsa.ts';
import { decodeHexSecret, keyAlgorithm, speaksFor } from './keys.ts';
import { signRequest, signRequestEcdsa } from './lb1.ts';
import { KeyError } from '../errors.ts';

export interface SignableRequest {
  readonly method: string;
  /** Full URL; only its path is signed. */
  readonly url: string;
  readonly body: string;
  readonly now: UnixMs;
}

/** Returns the X-Lifeboat-* headers for one request. */
export type RequestSigner = (request: SignableRequest) => Promise<Record<string, string>>;

/** A signer over an LB1-HMAC-SHA256 secret. */
export function hmacSigner(keyId: string, secret: Uint8Array): RequestSigner {
  return (r) => signRequest({ method: r.method, url: r.url, body: r.body, keyId, secret, now: r.now });
}

/** A signer over an LB1-ECDSA-P256-SHA256 private key (from importPrivateKey). */
export function ecdsaSigner(keyId: string, privateKey: CryptoKey): RequestSigner {
  return (r) => signRequestEcdsa({ method: r.method, url: r.url, body: r.body, keyId, privateKey, now: r.now });
}

/**
 * The signer for a probe key of the config, from its secret text as stored: the hex HMAC secret,
 * or the PKCS#8 private key (base64 DER or PEM) of an ECDSA key. Errors name the key id, never
 * the value.
 */
export async function createProbeSigner(key: KeyConfig, secretText: string): Promise<RequestSigner> {
  if (key.scope !== 'probe') throw new KeyError(`key "${key.id}" has scope "${key.scope}"; vantage points sign with a "probe" key`);
  if (keyAlgorithm(key) === 'ecdsa-p256') return ecdsaSigner(key.id, await importPrivateKey(secretText, key.id));
  return hmacSigner(key.id, decodeHexSecret(secretText, key.id));
}

/**
 * The probe key a vantage point signs with: `keyId` when given (it must speak for the vantage
 * point), else the first probe key of the config that does. Rotation moves the new key first.
 */
export function probeKeyFor(config: LifeboatConfig, vantagePoint: VantagePoint, keyId?: string): KeyConfig {
  const configured = vantagePointsOf(config);
  if (keyId !== undefined) {
    const key = config.keys.find((k) => k.id === keyId);
    if (!key) throw new KeyFormatError(keyId, `probe key "${keyId}" is not in the config's keys`);
    if (!speaksFor(key, vantagePoint, configured)) {
      throw new KeyFormatError(keyId, `key "${keyId}" does not speak for ${vantagePoint}: add it to the key's speaksFor, or pick another key`);
    }
    return key;
  }
  const key = config.keys.find((k) => speaksFor(k, vantagePoint, configured));
  if (!key) throw new KeyFormatError('(none)', `no probe key in the config speaks for ${vantagePoint}: add one with speaksFor: ["${vantagePoint.split(':')[0]}"] (lifeboat keygen --scope probe)`);
  return key;
}

/**
 * The signer of a vantage point, its key's secret read from `secrets` under `secretName(id)`.
 * A missing secret throws SecretNotFoundError naming the secret to set.
 */
export async function probeSignerFrom(
  config: LifeboatConfig, vantagePoint: VantagePoint,
  secrets: SecretSource, secretName: (keyId: string) => string, keyId?: string,
): Promise<RequestSigner> {
  const key = probeKeyFor(config, vantagePoint, keyId);
  return createProbeSigner(key, await secrets.get(secretName(key.id)));
}
