/**
 * Scheme LB1-ECDSA-P256-SHA256 (docs/signing.md): probe posts signed with ECDSA over P-256 and
 * SHA-256, over the same canonical string and X-Lifeboat-* headers as LB1-HMAC-SHA256. The
 * signature is WebCrypto's raw r||s (IEEE P1363: 64 bytes, 128 hex). Coordinators hold only the
 * public key (in the config); the private key never leaves the probe's own provider.
 */
import { KeyError } from '../errors.ts';

export const ECDSA_SCHEME = 'LB1-ECDSA-P256-SHA256';
/** r||s of a P-256 signature. */
export const ECDSA_SIGNATURE_BYTES = 64;

const CURVE = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * Every P-256 SubjectPublicKeyInfo in DER starts with these 26 bytes (SEQUENCE, AlgorithmIdentifier
 * id-ecPublicKey + prime256v1, BIT STRING of 66 bytes); the uncompressed point (0x04, x, y) follows.
 */
const P256_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
  0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
]);
const P256_SPKI_BYTES = 91;

/** A key text was not a usable key. Names the key id, never the text (a private key is a secret). */
export class KeyFormatError extends KeyError {
  override readonly name: string = 'KeyFormatError';
  constructor(readonly keyId: string, message: string) {
    super(message);
  }
}

/**
 * DER bytes from PEM (`-----BEGIN <label>-----`) or bare base64 (whitespace ignored); null when
 * the text is neither.
 */
export function derFromText(text: string, label: 'PUBLIC KEY' | 'PRIVATE KEY'): Uint8Array<ArrayBuffer> | null {
  let body = text.trim();
  const pem = new RegExp(`^-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----$`).exec(body);
  if (pem) body = pem[1]!;
  else if (body.startsWith('-----')) return null;
  body = body.replace(/\s+/g, '');
  if (body === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) return null;
  const raw = atob(body);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** Whether `text` holds a P-256 public key as base64 SPKI DER or PEM (a cheap, synchronous check). */
export function isP256PublicKeyText(text: string): boolean {
  const der = derFromText(text, 'PUBLIC KEY');
  return der !== null && der.length === P256_SPKI_BYTES && P256_SPKI_PREFIX.every((b, i) => der[i] === b) && der[26] === 0x04;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let raw = '';
  for (const b of bytes) raw += String.fromCharCode(b);
  return btoa(raw);
}

/** Imports a probe key's public key (config `publicKey`) for verifying. */
export async function importPublicKey(text: string, keyId: string): Promise<CryptoKey> {
  const der = derFromText(text, 'PUBLIC KEY');
  if (!der || !isP256PublicKeyText(text)) {
    throw new KeyFormatError(keyId, `publicKey of key "${keyId}" is not a P-256 public key: expected base64 SPKI DER or a PEM "PUBLIC KEY" block, as \`lifeboat keygen --scope probe\` prints`);
  }
  try {
    return await crypto.subtle.importKey('spki', der, CURVE, false, ['verify']);
  } catch {
    throw new KeyFormatError(keyId, `publicKey of key "${keyId}" is not a valid point on P-256`);
  }
}

/** Imports a probe key's private key (PKCS#8, base64 DER or PEM) for signing. */
export async function importPrivateKey(text: string, keyId: string): Promise<CryptoKey> {
  const der = derFromText(text, 'PRIVATE KEY');
  const refused = new KeyFormatError(keyId, `private key of key "${keyId}" is not a P-256 PKCS#8 key: expected base64 DER or a PEM "PRIVATE KEY" block, as \`lifeboat keygen --scope probe\` prints`);
  if (!der) throw refused;
  try {
    return await crypto.subtle.importKey('pkcs8', der, CURVE, false, ['sign']);
  } catch {
    throw refused;
  }
}

/** r||s over the canonical string. */
export async function ecdsaSign(privateKey: CryptoKey, canonical: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign(SIGN, privateKey, new TextEncoder().encode(canonical)));
}

export function ecdsaVerify(publicKey: CryptoKey, signature: Uint8Array, canonical: string): Promise<boolean> {
  if (signature.length !== ECDSA_SIGNATURE_BYTES) return Promise.resolve(false);
  return crypto.subtle.verify(SIGN, publicKey, new Uint8Array(signature), new TextEncoder().encode(canonical));
}

export interface ProbeKeyPair {
  /** base64 SPKI DER: the config's `publicKey`. */
  readonly publicKey: string;
  /** base64 PKCS#8 DER: the probe's secret. */
  readonly privateKey: string;
}

/** A fresh P-256 key pair, both halves as base64 DER. */
export async function generateProbeKeyPair(): Promise<ProbeKeyPair> {
  const pair = await crypto.subtle.generateKey(CURVE, true, ['sign', 'verify']) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey) as ArrayBuffer);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey) as ArrayBuffer);
  return { publicKey: bytesToBase64(spki), privateKey: bytesToBase64(pkcs8) };
}

/** The public key (base64 SPKI DER) that belongs to a private key text (PKCS#8, base64 DER or PEM). */
export async function publicKeyOfPrivate(text: string, keyId: string): Promise<string> {
  const der = derFromText(text, 'PRIVATE KEY');
  const refused = new KeyFormatError(keyId, `private key of key "${keyId}" is not a P-256 PKCS#8 key`);
  if (!der) throw refused;
  let jwk: JsonWebKey;
  try {
    jwk = await crypto.subtle.exportKey('jwk', await crypto.subtle.importKey('pkcs8', der, CURVE, true, ['sign'])) as JsonWebKey;
  } catch {
    throw refused;
  }
  const pub = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, ext: true }, CURVE, true, ['verify']);
  return bytesToBase64(new Uint8Array(await crypto.subtle.exportKey('spki', pub) as ArrayBuffer));
}
