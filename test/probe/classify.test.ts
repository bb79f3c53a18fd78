import { describe, expect, it } from 'vitest';
import { classifyError, hadNetworkAnswer } from '#core/probe/classify.ts';

// Error shapes as each runtime throws them (Node's undici wraps the libuv/OpenSSL error in
// `cause`; workerd only has messages). Real loopback failures are covered in http.test.ts.
const undici = (cause: object): TypeError => new TypeError('fetch failed', { cause });
const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('classifyError', () => {
  it.each([
    ['ECONNREFUSED', 'refused'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['ECONNRESET', 'network'],
    ['UND_ERR_SOCKET', 'network'],
    ['EHOSTUNREACH', 'network'],
  ])('maps undici cause code %s to %s', (code, failure) => {
    expect(classifyError(undici(coded(code)))).toEqual({ failure, reason: code });
  });

  it('reads the code of a happy-eyeballs AggregateError and its members', () => {
    const aggregate = Object.assign(new AggregateError([coded('ECONNREFUSED')], ''), {});
    expect(classifyError(undici(aggregate)).failure).toBe('refused');
  });

  it('maps a bare node:net error (as the TCP adapter rejects) by its code', () => {
    expect(classifyError(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9')).failure).toBe('refused');
  });

  it('maps AbortSignal.timeout() rejections to timeout', () => {
    expect(classifyError(new DOMException('The operation timed out.', 'TimeoutError')).failure).toBe('timeout');
  });

  it.each([
    ['Network connection lost.', 'network'],
    ['internal error; reference = 0123456789abcdef', 'network'],
    ['DNS lookup failed.', 'dns'],
    ['connection refused', 'refused'],
    ['TLS peer\'s certificate is not trusted', 'tls'],
    ['The operation was timed out', 'timeout'],
  ])('maps the workerd message "%s" to %s', (message, failure) => {
    expect(classifyError(new Error(message)).failure).toBe(failure);
  });

  it('keeps reasons short and survives odd throwables and cause cycles', () => {
    expect(classifyError(new Error('x'.repeat(500))).reason.length).toBeLessThanOrEqual(120);
    expect(classifyError('boom')).toEqual({ failure: 'network', reason: 'boom' });
    const loop: Error & { cause?: unknown } = new Error('loop');
    loop.cause = loop;
    expect(classifyError(loop).failure).toBe('network');
  });
});

describe('hadNetworkAnswer', () => {
  it('is true when the far end sent something back', () => {
    expect(hadNetworkAnswer({ ok: true, latencyMs: 1 })).toBe(true);
    expect(hadNetworkAnswer({ ok: false, failure: 'status', status: 503, latencyMs: 1 })).toBe(true);
    expect(hadNetworkAnswer({ ok: false, failure: 'refused', latencyMs: 1 })).toBe(true);
    expect(hadNetworkAnswer({ ok: false, failure: 'tls', latencyMs: 1 })).toBe(true);
    expect(hadNetworkAnswer({ ok: false, failure: 'latency', status: 200, latencyMs: 1 })).toBe(true);
  });

  it('is false when nothing came back', () => {
    expect(hadNetworkAnswer({ ok: false, failure: 'timeout', latencyMs: 1 })).toBe(false);
    expect(hadNetworkAnswer({ ok: false, failure: 'dns', latencyMs: 1 })).toBe(false);
    expect(hadNetworkAnswer({ ok: false, failure: 'network', latencyMs: 1 })).toBe(false);
  });
});
