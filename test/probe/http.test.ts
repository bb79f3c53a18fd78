import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HttpCheckConfig, TargetConfig } from '#core/config/schema.ts';
import { MAX_BODY_BYTES, probeHttp, statusMatches } from '#core/probe/http.ts';
import { systemClock } from '#core/ports.ts';

const deps = { fetch: globalThis.fetch, clock: systemClock };
const servers: Server[] = [];

async function listen(server: Server, scheme = 'http'): Promise<TargetConfig> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `${scheme}://127.0.0.1:${port}`, a: ['127.0.0.1'] };
}

const serve = (handler: RequestListener): Promise<TargetConfig> => listen(createServer(handler));

function check(overrides: Partial<HttpCheckConfig> = {}): HttpCheckConfig {
  return { type: 'http', path: '/health', method: 'GET', headers: {}, expectStatus: ['200-299'], timeoutMs: 2_000, ...overrides };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  })));
});

describe('probeHttp: status', () => {
  it('passes a 2xx and reports status and latency', async () => {
    let path = '';
    const target = await serve((req, res) => { path = req.url ?? ''; res.end('ok'); });
    const result = await probeHttp(check(), target, deps);
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.failure).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(path).toBe('/health');
  });

  it('fails a status outside the expected codes and ranges', async () => {
    const target = await serve((_req, res) => { res.statusCode = 503; res.end('down'); });
    const result = await probeHttp(check(), target, deps);
    expect(result).toMatchObject({ ok: false, failure: 'status', status: 503 });
    expect(result.detail).toContain('503');
    expect(result.detail).not.toContain('down');
  });

  it('accepts exact codes and ranges from the config', async () => {
    const target = await serve((_req, res) => { res.statusCode = 418; res.end(); });
    expect((await probeHttp(check({ expectStatus: [200, 418] }), target, deps)).ok).toBe(true);
    expect((await probeHttp(check({ expectStatus: ['400-499'] }), target, deps)).ok).toBe(true);
    expect((await probeHttp(check({ expectStatus: ['200-399', 417] }), target, deps)).ok).toBe(false);
  });

  it('judges a redirect by its own status instead of following it', async () => {
    const target = await serve((req, res) => {
      if (req.url === '/health') { res.writeHead(302, { location: '/elsewhere' }); res.end(); return; }
      res.end('followed');
    });
    expect(await probeHttp(check(), target, deps)).toMatchObject({ ok: false, failure: 'status', status: 302 });
    expect(await probeHttp(check({ expectStatus: [302] }), target, deps)).toMatchObject({ ok: true, status: 302 });
  });

  it('joins a base URL with a trailing slash and the path without doubling it', async () => {
    let path = '';
    const target = await serve((req, res) => { path = req.url ?? ''; res.end(); });
    await probeHttp(check(), { ...target, url: `${target.url}/` }, deps);
    expect(path).toBe('/health');
  });

  it('sends the configured method and headers', async () => {
    const target = await serve((req, res) => {
      res.statusCode = req.method === 'HEAD' && req.headers['x-health-token'] === 'abc' ? 204 : 400;
      res.end();
    });
    const good = check({ method: 'HEAD', headers: { 'X-Health-Token': 'abc' } });
    expect(await probeHttp(good, target, deps)).toMatchObject({ ok: true, status: 204 });
    expect(await probeHttp({ ...good, headers: {} }, target, deps)).toMatchObject({ ok: false, status: 400 });
  });

  it('matches status ranges inclusively', () => {
    expect(statusMatches(200, ['200-299'])).toBe(true);
    expect(statusMatches(299, ['200-299'])).toBe(true);
    expect(statusMatches(300, ['200-299'])).toBe(false);
    expect(statusMatches(301, [301])).toBe(true);
  });
});

describe('probeHttp: body', () => {
  const json = (body: unknown): RequestListener => (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };

  it('checks that the body contains a string', async () => {
    const target = await serve((_req, res) => res.end('status: all good'));
    expect((await probeHttp(check({ bodyContains: 'all good' }), target, deps)).ok).toBe(true);
    const bad = await probeHttp(check({ bodyContains: 'secret-word' }), target, deps);
    expect(bad).toMatchObject({ ok: false, failure: 'body', status: 200 });
    expect(bad.detail).not.toContain('all good');
    expect(bad.detail).not.toContain('secret-word');
  });

  it('checks the body against a regular expression', async () => {
    const target = await serve((_req, res) => res.end('db=up cache=up'));
    expect((await probeHttp(check({ bodyMatches: '^db=up\\b' }), target, deps)).ok).toBe(true);
    expect(await probeHttp(check({ bodyMatches: 'cache=down' }), target, deps)).toMatchObject({ ok: false, failure: 'body' });
  });

  it('checks a dotted JSON field', async () => {
    const target = await serve(json({ checks: { db: { status: 'ok' }, replicas: [{ up: true }] } }));
    expect((await probeHttp(check({ jsonField: { path: 'checks.db.status', equals: 'ok' } }), target, deps)).ok).toBe(true);
    expect((await probeHttp(check({ jsonField: { path: 'checks.replicas.0.up', equals: true } }), target, deps)).ok).toBe(true);
    const wrong = await probeHttp(check({ jsonField: { path: 'checks.db.status', equals: 'degraded' } }), target, deps);
    expect(wrong).toMatchObject({ ok: false, failure: 'body' });
    const missing = await probeHttp(check({ jsonField: { path: 'checks.queue.status', equals: 'ok' } }), target, deps);
    expect(missing).toMatchObject({ ok: false, failure: 'body' });
    expect(missing.detail).toContain('missing');
  });

  it('does not treat a string as equal to a number in a JSON field', async () => {
    const target = await serve(json({ healthy: 1 }));
    expect((await probeHttp(check({ jsonField: { path: 'healthy', equals: 1 } }), target, deps)).ok).toBe(true);
    expect((await probeHttp(check({ jsonField: { path: 'healthy', equals: '1' } }), target, deps)).ok).toBe(false);
  });

  it('fails a JSON check on a body that is not JSON', async () => {
    const target = await serve((_req, res) => res.end('<html>ok</html>'));
    const result = await probeHttp(check({ jsonField: { path: 'status', equals: 'ok' } }), target, deps);
    expect(result).toMatchObject({ ok: false, failure: 'body', detail: 'body is not JSON' });
  });

  it('reads no more than 64 KiB of an endless body', async () => {
    let stopped = false;
    const target = await serve((req, res) => {
      const chunk = 'x'.repeat(16 * 1024);
      const pump = (): void => {
        while (!stopped && res.write(chunk));
        if (!stopped) res.once('drain', pump);
      };
      req.socket.on('close', () => { stopped = true; });
      pump();
    });
    // The needle would only come after the cap, and never does: an unbounded read would time out.
    const result = await probeHttp(check({ bodyContains: 'needle', timeoutMs: 5_000 }), target, deps);
    expect(result).toMatchObject({ ok: false, failure: 'body' });
    expect(MAX_BODY_BYTES).toBe(65_536);
  });

  it('finds text inside the first 64 KiB but not beyond it', async () => {
    const filler = 'x'.repeat(MAX_BODY_BYTES - 10);
    const target = await serve((_req, res) => res.end(`${filler}early${'y'.repeat(100)}late`));
    expect((await probeHttp(check({ bodyContains: 'early' }), target, deps)).ok).toBe(true);
    expect((await probeHttp(check({ bodyContains: 'late' }), target, deps)).ok).toBe(false);
  });
});

describe('probeHttp: time', () => {
  it('fails a slow answer with "latency" and passes a fast one', async () => {
    const target = await serve((_req, res) => { setTimeout(() => res.end('ok'), 150); });
    const slow = await probeHttp(check({ maxLatencyMs: 50 }), target, deps);
    expect(slow).toMatchObject({ ok: false, failure: 'latency', status: 200 });
    expect(slow.latencyMs).toBeGreaterThan(50);
    expect((await probeHttp(check({ maxLatencyMs: 1_500 }), target, deps)).ok).toBe(true);
  });

  it('times out on a server that never answers', async () => {
    const target = await serve(() => { /* never answers */ });
    const result = await probeHttp(check({ timeoutMs: 200 }), target, deps);
    expect(result).toMatchObject({ ok: false, failure: 'timeout' });
    expect(result.status).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(190);
    expect(result.latencyMs).toBeLessThan(1_500);
  });

  it('times out on a body that stalls after the headers', async () => {
    const target = await serve((_req, res) => { res.writeHead(200); res.write('partial'); });
    const result = await probeHttp(check({ timeoutMs: 200, bodyContains: 'complete' }), target, deps);
    expect(result).toMatchObject({ ok: false, failure: 'timeout', status: 200 });
  });
});

describe('probeHttp: connection failures', () => {
  it('classifies a closed port as "refused"', async () => {
    const target = await serve(() => {});
    const closed = servers.pop()!;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await probeHttp(check(), target, deps);
    expect(result).toMatchObject({ ok: false, failure: 'refused' });
    expect(result.detail).toContain('ECONNREFUSED');
  });

  it('classifies an unresolvable name as "dns"', async () => {
    // .invalid is reserved (RFC 6761) and never resolves; the short timeout bounds a slow resolver.
    const result = await probeHttp(check({ timeoutMs: 3_000 }), { url: 'http://nonexistent.invalid', cname: 'x.example.com' }, deps);
    expect(result).toMatchObject({ ok: false, failure: 'dns' });
  });

  describe('TLS', () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'lifeboat-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('classifies an untrusted (self-signed) certificate as "tls"', async () => {
      let requests = 0;
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_req, res) => { requests++; res.end('ok'); });
      const target = await listen(server, 'https');
      const result = await probeHttp(check(), target, deps);
      expect(result).toMatchObject({ ok: false, failure: 'tls' });
      expect(result.status).toBeUndefined();
      expect(requests).toBe(0);
    });

    it('classifies plain HTTP answering an https:// URL as "tls"', async () => {
      const target = await serve((_req, res) => res.end('ok'));
      const result = await probeHttp(check(), { ...target, url: target.url.replace('http:', 'https:') }, deps);
      expect(result).toMatchObject({ ok: false, failure: 'tls' });
    });
  });
});
