/**
 * Puts a thrown network error into one FailureKind, for every runtime Lifeboat runs in:
 * - Node (undici fetch, node:net): `TypeError('fetch failed')` whose `cause` (sometimes an
 *   AggregateError from happy-eyeballs) carries a libuv/OpenSSL/undici `code`.
 * - workerd: plain messages. A failed connection is "Network connection lost." (refused and
 *   reset look the same there, so they land in 'network'); other failures are "internal error".
 * Only the error's code or a short, truncated message is kept: no URLs, headers or bodies.
 */
import type { FailureKind, ProbeResult } from '../model.ts';

export interface ClassifiedError {
  readonly failure: Extract<FailureKind, 'timeout' | 'dns' | 'refused' | 'tls' | 'network'>;
  /** Short reason for humans, e.g. `ECONNREFUSED` or a trimmed runtime message. */
  readonly reason: string;
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'ENODATA', 'ESERVFAIL', 'ENONAME']);
const REFUSED_CODES = new Set(['ECONNREFUSED']);
// OpenSSL verification codes as Node reports them; ERR_TLS_* and ERR_SSL_* are matched by prefix.
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'HOSTNAME_MISMATCH', 'EPROTO',
  'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE',
]);

const MESSAGE_RULES: readonly [RegExp, ClassifiedError['failure']][] = [
  [/timed? ?out|timeout/i, 'timeout'],
  [/\bdns\b|getaddrinfo|name not resolved|could not resolve|no such host|not known/i, 'dns'],
  [/refused/i, 'refused'],
  [/\btls\b|\bssl\b|certificate|handshake/i, 'tls'],
];

const MAX_REASON = 120;

function codeKind(code: string): ClassifiedError['failure'] | undefined {
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (DNS_CODES.has(code)) return 'dns';
  if (REFUSED_CODES.has(code)) return 'refused';
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_')) return 'tls';
  return undefined;
}

/** The error, its `cause` chain and AggregateError members, outermost first, without cycles. */
function errorChain(error: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const queue: unknown[] = [error];
  const seen = new Set<unknown>();
  while (queue.length > 0 && out.length < 16) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const record = e as Record<string, unknown>;
    out.push(record);
    queue.push(record.cause);
    if (Array.isArray(record.errors)) queue.push(...record.errors);
  }
  return out;
}

const trim = (s: string): string => (s.length > MAX_REASON ? `${s.slice(0, MAX_REASON - 1)}…` : s);

export function classifyError(error: unknown): ClassifiedError {
  const chain = errorChain(error);
  // Codes are precise, so any code anywhere in the chain wins over message matching.
  for (const e of chain) {
    if (typeof e.code === 'string') {
      const kind = codeKind(e.code);
      if (kind) return { failure: kind, reason: e.code };
    }
  }
  for (const e of chain) {
    // AbortSignal.timeout() rejects with a DOMException named TimeoutError.
    if (e.name === 'TimeoutError') return { failure: 'timeout', reason: 'TimeoutError' };
  }
  // Messages: the innermost ones are the most specific ("fetch failed" says nothing).
  for (const e of [...chain].reverse()) {
    if (typeof e.message !== 'string') continue;
    for (const [pattern, kind] of MESSAGE_RULES) {
      if (pattern.test(e.message)) return { failure: kind, reason: trim(e.message) };
    }
  }
  const innermost = chain.at(-1);
  const code = innermost && typeof innermost.code === 'string' ? innermost.code : undefined;
  const message = innermost && typeof innermost.message === 'string' ? innermost.message : undefined;
  return { failure: 'network', reason: trim(code ?? message ?? String(error)) };
}

const ANSWERING_FAILURES = new Set<FailureKind | undefined>(['refused', 'tls', 'status', 'body', 'latency']);

/**
 * True when the far end sent anything back (a response, a refusal, a TLS handshake): proof that
 * this vantage point itself is connected. Timeouts, DNS and generic network errors prove nothing.
 */
export function hadNetworkAnswer(result: ProbeResult): boolean {
  return result.ok || result.status !== undefined || ANSWERING_FAILURES.has(result.failure);
}
