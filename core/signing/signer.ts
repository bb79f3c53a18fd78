/**
 * What a vantage point signs its posts with. The round and the poster only see this function, so
 * the signature scheme (LB1-HMAC today, an asymmetric probe scheme alongside it) is chosen where
 * the key is loaded, once, and never re-decided per adapter.
 */
import type { UnixMs } from '../model.ts';
import { signRequest } from './lb1.ts';

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
