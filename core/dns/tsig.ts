/**
 * TSIG (RFC 8945) with HMAC-SHA256 through WebCrypto: signs a request and verifies the signed
 * response, which binds it to the request's MAC. Only hmac-sha256, the one the RFC requires
 * every implementation to support; the key's secret never leaves the CryptoKey.
 */
import { CLASS, DnsWireError, TYPE, WireWriter, readName, type DecodedMessage } from './dns-wire.ts';
import { KeyError } from '../errors.ts';

export const TSIG_ALGORITHM = 'hmac-sha256';
/** Seconds of clock skew allowed either way, as BIND and Knot use. */
export const TSIG_FUDGE = 300;

export const TSIG_ERROR = { BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;
const TSIG_ERROR_NAMES = new Map<number, string>(Object.entries(TSIG_ERROR).map(([k, v]) => [v, k]));
export const tsigErrorName = (code: number): string => TSIG_ERROR_NAMES.get(code) ?? `TSIG error ${code}`;

export interface TsigKey {
  /** The key's name as both ends know it (e.g. `lifeboat-key`). */
  readonly name: string;
  readonly algorithm: typeof TSIG_ALGORITHM;
  readonly key: CryptoKey;
}

/** Decodes a key's base64 secret; the error names the key, never the secret. */
export function decodeTsigSecret(name: string, secretBase64: string): Uint8Array<ArrayBuffer> {
  let secret: Uint8Array<ArrayBuffer>;
  try {
    secret = Uint8Array.from(atob(secretBase64.trim()), (c) => c.charCodeAt(0));
  } catch {
    throw new KeyError(`TSIG key ${name}: the secret is not base64 (tsig-keygen prints it as secret "...")`);
  }
  if (secret.length < 16) throw new KeyError(`TSIG key ${name}: the secret is ${secret.length} bytes; use at least 16 (tsig-keygen makes 32)`);
  return secret;
}

/** A TSIG key for WebCrypto from its decoded secret (decodeTsigSecret). */
export async function importTsigKey(name: string, secret: Uint8Array<ArrayBuffer>): Promise<TsigKey> {
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  return { name: name.replace(/\.$/, '').toLowerCase(), algorithm: TSIG_ALGORITHM, key };
}

interface TsigFields {
  readonly algorithm: string;
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Uint8Array<ArrayBuffer>;
  readonly originalId: number;
  readonly error: number;
  readonly other: Uint8Array;
}

/** The TSIG variables (RFC 8945 §4.3.3) that follow the message in the MAC input. */
function variables(w: WireWriter, keyName: string, f: Omit<TsigFields, 'mac' | 'originalId'>): void {
  w.name(keyName, true).u16(CLASS.ANY).u32(0).name(f.algorithm, true).u48(f.timeSigned).u16(f.fudge)
    .u16(f.error).u16(f.other.length).bytes(f.other);
}

/** A signed request: the bytes to send and the MAC the response's signature must chain to. */
export interface SignedRequest {
  readonly bytes: Uint8Array;
  readonly mac: Uint8Array;
}

/**
 * Appends a TSIG record to an encoded message (whose ARCOUNT does not count it yet). A response
 * is signed over the request's MAC first (`requestMac`), which is how it is bound to the request.
 */
export async function signMessage(message: Uint8Array, key: TsigKey, nowSeconds: number, requestMac?: Uint8Array): Promise<SignedRequest> {
  const fields = { algorithm: key.algorithm, timeSigned: Math.floor(nowSeconds), fudge: TSIG_FUDGE, error: 0, other: new Uint8Array(0) };
  const input = new WireWriter();
  if (requestMac) input.u16(requestMac.length).bytes(requestMac);
  input.bytes(message);
  variables(input, key.name, fields);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key.key, input.done()));
  const rdata = new WireWriter().name(fields.algorithm).u48(fields.timeSigned).u16(fields.fudge)
    .u16(mac.length).bytes(mac).u16(idOf(message)).u16(0).u16(0).done();
  const out = new WireWriter().bytes(message).name(key.name).u16(TYPE.TSIG).u16(CLASS.ANY).u32(0).u16(rdata.length).bytes(rdata).done();
  setArcount(out, arcountOf(message) + 1);
  return { bytes: out, mac };
}

export type TsigVerdict =
  | { readonly ok: true }
  /** The response carries no TSIG at all. */
  | { readonly ok: false; readonly reason: 'unsigned' }
  /** The server refused our signature (its TSIG error field): BADSIG, BADKEY, BADTIME. */
  | { readonly ok: false; readonly reason: 'server'; readonly error: number }
  /** The response's own signature does not hold: wrong key, altered, or out of time. */
  | { readonly ok: false; readonly reason: 'invalid'; readonly detail: string };

/** Verifies a response's TSIG against the request's MAC (RFC 8945 §5.3). */
export async function verifyResponse(bytes: Uint8Array, decoded: DecodedMessage, key: TsigKey, requestMac: Uint8Array, nowSeconds: number): Promise<TsigVerdict> {
  const last = decoded.additionals.length - 1;
  const rr = decoded.additionals[last];
  if (!rr || rr.type !== TYPE.TSIG) return { ok: false, reason: 'unsigned' };
  const f = parseTsig(rr.rdata);
  if (f.error !== 0) return { ok: false, reason: 'server', error: f.error };
  if (rr.name.toLowerCase() !== key.name) return { ok: false, reason: 'invalid', detail: `signed with key ${rr.name}, not ${key.name}` };
  if (f.algorithm.toLowerCase() !== key.algorithm) return { ok: false, reason: 'invalid', detail: `signed with ${f.algorithm}, not ${key.algorithm}` };
  // The message as it was before signing: original id, ARCOUNT without the TSIG, no TSIG record.
  const unsigned = bytes.slice(0, decoded.additionalOffsets[last]!);
  unsigned[0] = f.originalId >>> 8;
  unsigned[1] = f.originalId & 0xff;
  setArcount(unsigned, decoded.additionals.length - 1);
  const input = new WireWriter().u16(requestMac.length).bytes(requestMac).bytes(unsigned);
  variables(input, rr.name, f);
  // Truncated MACs (RFC 8945 §5.2.2.1) are not accepted: only the full 32 bytes.
  if (f.mac.length !== 32 || !(await crypto.subtle.verify('HMAC', key.key, f.mac, input.done()))) {
    return { ok: false, reason: 'invalid', detail: 'the MAC does not verify' };
  }
  if (Math.abs(nowSeconds - f.timeSigned) > f.fudge) return { ok: false, reason: 'invalid', detail: `signed at ${f.timeSigned}, more than ${f.fudge}s from now (${Math.floor(nowSeconds)})` };
  return { ok: true };
}

function parseTsig(rdata: Uint8Array): TsigFields {
  const [algorithm, at] = readName(rdata, 0);
  const view = new DataView(rdata.buffer, rdata.byteOffset, rdata.byteLength);
  const need = (n: number, pos: number) => { if (pos + n > rdata.length) throw new DnsWireError('TSIG RDATA truncated'); };
  need(10, at);
  const timeSigned = view.getUint16(at) * 2 ** 32 + view.getUint32(at + 2);
  const fudge = view.getUint16(at + 6);
  const macSize = view.getUint16(at + 8);
  need(macSize + 6, at + 10);
  const mac = rdata.slice(at + 10, at + 10 + macSize);
  let pos = at + 10 + macSize;
  const originalId = view.getUint16(pos);
  const error = view.getUint16(pos + 2);
  const otherLen = view.getUint16(pos + 4);
  pos += 6;
  need(otherLen, pos);
  return { algorithm, timeSigned, fudge, mac, originalId, error, other: rdata.slice(pos, pos + otherLen) };
}

const idOf = (m: Uint8Array): number => (m[0]! << 8) | m[1]!;
const arcountOf = (m: Uint8Array): number => (m[10]! << 8) | m[11]!;
function setArcount(m: Uint8Array, n: number): void {
  m[10] = n >>> 8;
  m[11] = n & 0xff;
}
