import { execFile } from 'node:child_process';
import { createHmac, createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  HEADER_KEY, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_BODY_BYTES, SIGNED_HEADERS, WINDOW_SECONDS,
  canonicalString, decodeHexSecret, signRequest, verifyRequest,
  type VerifiableRequest, type VerifyDeps, type VerifyResult,
} from '#core/signing/lb1.ts';
import { configKeyResolver, keyEnvVar, scopeAllows, staticKeyResolver, type KeyScope } from '#core/signing/keys.ts';
import { parseConfig } from '#core/config/validate.ts';
import type { KeyConfig } from '#core/config/schema.ts';
import { mapSecretSource, silentLogger } from '#core/ports.ts';
import { MemoryNonceStore, type NonceStore } from '#core/signing/nonce-store.ts';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '..', '..');
const SCRIPT = join(repo, 'docs', 'sign-request.sh');

const OPS_HEX = '5f1c0e2b8a4d7e9f30c6b1a2d4e8f0123456789abcdef0fedcba98765432100a';
const PROBE_HEX = '0b7e3c9d1a2f4e6b8c0d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b';
const OTHER_HEX = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';
const opsSecret = decodeHexSecret(OPS_HEX, 'ops-alice');
const probeSecret = decodeHexSecret(PROBE_HEX, 'probe-aws-1');
const keys = staticKeyResolver([
  { id: 'ops-alice', scope: 'operator', secret: opsSecret },
  { id: 'probe-aws-1', scope: 'probe', secret: probeSecret },
]);
const NOW = 1_700_000_000_123;
const BODY = '{"service":"app.example.com","action":"freeze","reason":"drill"}\n';
const enc = new TextEncoder();

const deps = (over: Partial<VerifyDeps> = {}): VerifyDeps =>
  ({ keys, nonces: new MemoryNonceStore(), now: NOW, requiredScope: 'operator', ...over });

interface SignOpts {
  method?: string; path?: string; body?: string | Uint8Array; keyId?: string; secret?: Uint8Array; now?: number; nonce?: string;
}
async function signed(o: SignOpts = {}): Promise<VerifiableRequest & { headers: Record<string, string> }> {
  const method = o.method ?? 'POST';
  const path = o.path ?? '/v1/override';
  const body = o.body ?? BODY;
  const headers = await signRequest({
    method, path, body, keyId: o.keyId ?? 'ops-alice', secret: o.secret ?? opsSecret, now: o.now ?? NOW,
    ...(o.nonce ? { nonce: o.nonce } : {}),
  });
  return { method, path, headers, body: typeof body === 'string' ? enc.encode(body) : body };
}

function expectReject(r: VerifyResult, error: string, status = 401, header?: string): void {
  expect(r).toMatchObject({ ok: false, status, error });
  if (header && !r.ok) expect(r.detail).toContain(header);
  // Nothing secret ever leaks into a detail.
  if (!r.ok) for (const hex of [OPS_HEX, PROBE_HEX, OTHER_HEX]) expect(r.detail.toLowerCase()).not.toContain(hex);
}

describe('canonicalString', () => {
  it('is the five DESIGN.md lines, the method upper-cased and the query dropped', async () => {
    const c = await canonicalString({ method: 'get', path: '/v1/status?x=1', timestamp: 1700000000, nonce: 'ab'.repeat(16) });
    expect(c).toBe(`GET\n/v1/status\n1700000000\n${'ab'.repeat(16)}\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`);
    const withBody = await canonicalString({ method: 'POST', path: '/v1/override', timestamp: '1', nonce: 'cd'.repeat(16), body: BODY });
    expect(withBody.split('\n')[4]).toBe(createHash('sha256').update(BODY).digest('hex'));
  });

  it('signature is HMAC-SHA256 over it with the raw secret bytes (independent check with node:crypto)', async () => {
    const r = await signed();
    const canonical = `POST\n/v1/override\n${Math.floor(NOW / 1000)}\n${r.headers[HEADER_NONCE]}\n${createHash('sha256').update(BODY).digest('hex')}`;
    expect(r.headers[HEADER_SIGNATURE]).toBe(createHmac('sha256', Buffer.from(OPS_HEX, 'hex')).update(canonical).digest('hex'));
  });

  it('refuses line breaks inside a field', async () => {
    await expect(canonicalString({ method: 'POST', path: '/a\n/b', timestamp: 1, nonce: 'ab'.repeat(16) })).rejects.toThrow(/line break/);
  });
});

describe('signRequest', () => {
  it('makes the four headers with a 16-byte random nonce and unix seconds', async () => {
    const h = await signRequest({ method: 'GET', url: 'https://c.example/v1/status?all=1', keyId: 'ops-alice', secret: opsSecret, now: NOW });
    expect(Object.keys(h).sort()).toEqual([...SIGNED_HEADERS].sort());
    expect(h[HEADER_TIMESTAMP]).toBe('1700000000');
    expect(h[HEADER_NONCE]).toMatch(/^[0-9a-f]{32}$/);
    expect(h[HEADER_SIGNATURE]).toMatch(/^[0-9a-f]{64}$/);
    const again = await signRequest({ method: 'GET', url: 'https://c.example/v1/status', keyId: 'ops-alice', secret: opsSecret, now: NOW });
    expect(again[HEADER_NONCE]).not.toBe(h[HEADER_NONCE]);
  });

  it('uses the injected randomBytes', async () => {
    const h = await signRequest({ method: 'GET', path: '/v1/status', keyId: 'ops-alice', secret: opsSecret, now: NOW, randomBytes: (n) => new Uint8Array(n).fill(0xab) });
    expect(h[HEADER_NONCE]).toBe('ab'.repeat(16));
  });

  it('refuses a short secret', async () => {
    await expect(signRequest({ method: 'GET', path: '/', keyId: 'k-1', secret: new Uint8Array(16), now: NOW })).rejects.toThrow(/k-1.*too short/);
  });
});

describe('verifyRequest', () => {
  it('accepts a signed request and names the key and scope', async () => {
    expect(await verifyRequest(await signed(), deps())).toEqual({ ok: true, keyId: 'ops-alice', scope: 'operator', scheme: 'LB1-HMAC-SHA256' });
    const probe = await signed({ path: '/v1/observations', keyId: 'probe-aws-1', secret: probeSecret });
    expect(await verifyRequest(probe, deps({ requiredScope: 'probe' }))).toEqual({ ok: true, keyId: 'probe-aws-1', scope: 'probe', scheme: 'LB1-HMAC-SHA256' });
  });

  it('accepts a GET with an empty body', async () => {
    const r = await signed({ method: 'GET', path: '/v1/status', body: '' });
    expect((await verifyRequest(r, deps())).ok).toBe(true);
  });

  it('accepts headers as a Headers object or in any case, and upper-case hex', async () => {
    const r = await signed();
    expect((await verifyRequest({ ...r, headers: new Headers(r.headers) }, deps())).ok).toBe(true);
    const lower = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]));
    lower[HEADER_SIGNATURE.toLowerCase()] = r.headers[HEADER_SIGNATURE]!.toUpperCase();
    expect((await verifyRequest({ ...r, headers: lower }, deps())).ok).toBe(true);
  });

  it('ignores the query string in PATH, on both sides', async () => {
    const headers = await signRequest({ method: 'GET', url: 'http://127.0.0.1:1/v1/status?service=a', keyId: 'ops-alice', secret: opsSecret, now: NOW });
    const req = { method: 'GET', headers, body: new Uint8Array(0) };
    expect((await verifyRequest({ ...req, path: '/v1/status?service=b' }, deps())).ok).toBe(true);
    expect((await verifyRequest({ ...req, path: '/v1/status' }, deps())).ok).toBe(true);
  });

  it('rejects a forged signature (wrong secret) without leaking the expected one', async () => {
    const real = await signed({ nonce: '12'.repeat(16) });
    const forged = await signed({ secret: decodeHexSecret(OTHER_HEX, 'x'), nonce: '12'.repeat(16) });
    const r = await verifyRequest(forged, deps());
    expectReject(r, 'bad_signature', 401, HEADER_SIGNATURE);
    if (!r.ok) expect(r.detail).not.toContain(real.headers[HEADER_SIGNATURE]);
  });

  it('a secret array changed in place signs and verifies with its new bytes, not a cached key', async () => {
    const secret = decodeHexSecret(OPS_HEX, 'ops-alice');
    // A resolver that hands out the caller's own array (staticKeyResolver would copy it).
    const mine: VerifyDeps['keys'] = async (id) => (id === 'ops-alice' ? { scope: 'operator', secret } : null);
    const before = await signed({ secret, nonce: '31'.repeat(16) });
    expect(await verifyRequest(before, deps({ keys: mine }))).toMatchObject({ ok: true });
    // Rotated in place: the request signed with the old bytes no longer verifies...
    secret.set(decodeHexSecret(OTHER_HEX, 'ops-alice'));
    expectReject(await verifyRequest({ ...before }, deps({ keys: mine })), 'bad_signature', 401, HEADER_SIGNATURE);
    // ...and one signed with the same array now carries the new key's signature.
    const after = await signed({ secret, nonce: '32'.repeat(16) });
    expect(after.headers[HEADER_SIGNATURE]).toBe(createHmac('sha256', Buffer.from(OTHER_HEX, 'hex'))
      .update(await canonicalString({ method: 'POST', path: '/v1/override', timestamp: after.headers[HEADER_TIMESTAMP]!, nonce: '32'.repeat(16), body: BODY })).digest('hex'));
    expect(await verifyRequest(after, deps({ keys: mine }))).toMatchObject({ ok: true });
  });

  it('rejects a tampered body, path or method', async () => {
    const r = await signed();
    expectReject(await verifyRequest({ ...r, body: enc.encode(BODY.replace('freeze', 'force-secondary')) }, deps()), 'bad_signature', 401, HEADER_SIGNATURE);
    expectReject(await verifyRequest({ ...r, path: '/v1/observations' }, deps()), 'bad_signature');
    expectReject(await verifyRequest({ ...r, method: 'PUT' }, deps()), 'bad_signature');
    expectReject(await verifyRequest({ ...r, headers: { ...r.headers, [HEADER_TIMESTAMP]: String(Math.floor(NOW / 1000) - 1) } }, deps()), 'bad_signature');
    expectReject(await verifyRequest({ ...r, headers: { ...r.headers, [HEADER_KEY]: 'probe-aws-1' } }, deps({ requiredScope: 'probe' })), 'bad_signature');
  });

  it('rejects a replayed nonce', async () => {
    const d = deps();
    const r = await signed();
    expect((await verifyRequest(r, d)).ok).toBe(true);
    expectReject(await verifyRequest(r, { ...d, now: NOW + 5_000 }), 'replayed_nonce', 401, HEADER_NONCE);
    // Re-signed with the same nonce and another body: still a replay.
    const again = await signed({ nonce: r.headers[HEADER_NONCE], body: '{}' });
    expectReject(await verifyRequest(again, d), 'replayed_nonce');
  });

  it('a forged request does not burn the nonce of the real one', async () => {
    const d = deps();
    const nonce = '7f'.repeat(16);
    const forged = await signed({ secret: decodeHexSecret(OTHER_HEX, 'x'), nonce });
    expectReject(await verifyRequest(forged, d), 'bad_signature');
    expectReject(await verifyRequest(forged, d), 'bad_signature');
    const real = await signed({ nonce });
    expect((await verifyRequest(real, d)).ok).toBe(true);
    expectReject(await verifyRequest(real, d), 'replayed_nonce');
  });

  it('records the nonce only after every other check passed', async () => {
    const claims: string[] = [];
    const spy: NonceStore = { claim: async (n) => { claims.push(n); return true; } };
    const r = await signed();
    await verifyRequest({ ...r, body: enc.encode('tampered') }, deps({ nonces: spy }));
    await verifyRequest(r, deps({ nonces: spy, now: NOW + 400_000 }));
    await verifyRequest(r, deps({ nonces: spy, requiredScope: 'probe' }));
    expect(claims).toEqual([]);
    await verifyRequest(r, deps({ nonces: spy }));
    expect(claims).toEqual([r.headers[HEADER_NONCE]]);
  });

  it('accepts a timestamp up to 300 s off either way, and rejects 301 s old or ahead', async () => {
    expect(WINDOW_SECONDS).toBe(300);
    const ts = Math.floor(NOW / 1000) * 1000;
    for (const skew of [-300, 300]) {
      expect((await verifyRequest(await signed(), deps({ now: ts + skew * 1000 }))).ok).toBe(true);
    }
    const old = await verifyRequest(await signed(), deps({ now: ts + 301_000 }));
    expectReject(old, 'stale_timestamp', 401, HEADER_TIMESTAMP);
    if (!old.ok) expect(old.detail).toContain('301 s old');
    const ahead = await verifyRequest(await signed(), deps({ now: ts - 301_000 }));
    expectReject(ahead, 'stale_timestamp', 401, HEADER_TIMESTAMP);
    if (!ahead.ok) expect(ahead.detail).toContain('301 s in the future');
  });

  it('rejects an unknown key', async () => {
    const r = await signed({ keyId: 'ops-mallory' });
    const res = await verifyRequest(r, deps());
    expectReject(res, 'unknown_key', 401, HEADER_KEY);
    expect(res).toMatchObject({ keyId: 'ops-mallory' });
  });

  it('rejects a key of the wrong scope, both ways', async () => {
    const probe = await signed({ keyId: 'probe-aws-1', secret: probeSecret });
    expectReject(await verifyRequest(probe, deps({ requiredScope: 'operator' })), 'wrong_scope', 401, HEADER_KEY);
    const ops = await signed({ path: '/v1/observations' });
    expectReject(await verifyRequest(ops, deps({ requiredScope: 'probe' })), 'wrong_scope', 401, HEADER_KEY);
  });

  for (const missing of SIGNED_HEADERS) {
    it(`rejects a request without ${missing}`, async () => {
      const r = await signed();
      const headers = { ...r.headers };
      delete headers[missing];
      expectReject(await verifyRequest({ ...r, headers }, deps()), 'missing_header', 401, missing);
      expectReject(await verifyRequest({ ...r, headers: { ...headers, [missing]: '' } }, deps()), 'missing_header', 401, missing);
    });
  }

  it('rejects malformed headers, naming the header', async () => {
    const r = await signed();
    const cases: [string, string, string][] = [
      [HEADER_KEY, 'x', 'unknown_key'],
      [HEADER_KEY, 'ops alice', 'unknown_key'],
      [HEADER_TIMESTAMP, '1700000000.5', 'bad_timestamp'],
      [HEADER_TIMESTAMP, '-1700000000', 'bad_timestamp'],
      [HEADER_TIMESTAMP, '2023-11-14T22:13:20Z', 'bad_timestamp'],
      [HEADER_NONCE, 'ab'.repeat(15) + 'a', 'bad_nonce'],
      [HEADER_NONCE, 'a'.repeat(129), 'bad_nonce'],
      [HEADER_NONCE, 'zz'.repeat(16), 'bad_nonce'],
      [HEADER_SIGNATURE, 'a'.repeat(63), 'bad_signature'],
      [HEADER_SIGNATURE, 'g'.repeat(64), 'bad_signature'],
    ];
    for (const [name, value, error] of cases) {
      expectReject(await verifyRequest({ ...r, headers: { ...r.headers, [name]: value } }, deps()), error, 401, name);
    }
  });

  it('answers 413 for a body over 64 KiB, before anything else', async () => {
    expect(MAX_BODY_BYTES).toBe(65_536);
    const max = await signed({ body: new Uint8Array(MAX_BODY_BYTES).fill(0x61) });
    expect((await verifyRequest(max, deps())).ok).toBe(true);
    const big = await signed({ body: new Uint8Array(MAX_BODY_BYTES + 1).fill(0x61) });
    expectReject(await verifyRequest(big, deps()), 'body_too_large', 413);
    expectReject(await verifyRequest({ ...big, headers: {} }, deps()), 'body_too_large', 413);
  });

  it('checks in the documented order', async () => {
    const r = await signed({ keyId: 'ops-mallory', now: NOW - 3_600_000 });
    expectReject(await verifyRequest(r, deps()), 'unknown_key');
    const stale = await signed({ keyId: 'probe-aws-1', secret: decodeHexSecret(OTHER_HEX, 'x'), now: NOW - 3_600_000 });
    expectReject(await verifyRequest(stale, deps()), 'wrong_scope');
    expectReject(await verifyRequest(stale, deps({ requiredScope: 'probe' })), 'stale_timestamp');
  });
});

describe('properties', () => {
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'post', 'get');
  const path = fc.array(fc.stringMatching(/^[A-Za-z0-9._~%-]{1,12}$/), { maxLength: 5 }).map((s) => `/${s.join('/')}`);

  it('sign then verify succeeds', async () => {
    await fc.assert(fc.asyncProperty(method, path, fc.uint8Array({ maxLength: 4096 }), async (m, p, body) => {
      const r = await signed({ method: m, path: p, body });
      expect(await verifyRequest(r, deps())).toEqual({ ok: true, keyId: 'ops-alice', scope: 'operator', scheme: 'LB1-HMAC-SHA256' });
    }), { numRuns: 150 });
  });

  it('flipping any bit pattern of any body byte fails', async () => {
    await fc.assert(fc.asyncProperty(method, path, fc.uint8Array({ minLength: 1, maxLength: 4096 }), fc.nat(), fc.integer({ min: 1, max: 255 }),
      async (m, p, body, at, mask) => {
        const r = await signed({ method: m, path: p, body });
        const tampered = new Uint8Array(body);
        const i = at % body.length;
        tampered[i] = tampered[i]! ^ mask;
        expectReject(await verifyRequest({ ...r, body: tampered }, deps()), 'bad_signature');
      }), { numRuns: 150 });
  });
});

describe('keys', () => {
  it('scopes are disjoint', () => {
    const scopes: KeyScope[] = ['probe', 'operator'];
    for (const a of scopes) for (const b of scopes) expect(scopeAllows(a, b)).toBe(a === b);
  });

  it('decodeHexSecret names the key, never the value', () => {
    const short = 'abcdef0123';
    expect(() => decodeHexSecret(short, 'ops-alice')).toThrow(/"ops-alice".*too short/);
    try { decodeHexSecret(short, 'ops-alice'); } catch (e) { expect(String(e)).not.toContain(short); }
    const notHex = 'zz'.repeat(32);
    expect(() => decodeHexSecret(notHex, 'ops-alice')).toThrow(/"ops-alice".*not hex/);
    expect(() => decodeHexSecret(notHex, 'ops-alice')).toThrow(expect.objectContaining({ message: expect.not.stringContaining(notHex) }));
    expect(decodeHexSecret(`${OPS_HEX.toUpperCase()}\n`, 'ops-alice')).toEqual(opsSecret);
  });

  it('the key resolver reads LIFEBOAT_KEY_<ID>; a missing secret refuses that key alone; colliding ids are a config error', async () => {
    expect(keyEnvVar('ops-alice')).toBe('LIFEBOAT_KEY_OPS_ALICE');
    expect(keyEnvVar('aws.probe-1')).toBe('LIFEBOAT_KEY_AWS_PROBE_1');
    const keys: KeyConfig[] = [{ id: 'ops-alice', scope: 'operator' }, { id: 'aws.probe-1', scope: 'probe', speaksFor: ['aws'] }, { id: 'ops-bob', scope: 'operator' }];
    const resolve = configKeyResolver(keys, mapSecretSource({ LIFEBOAT_KEY_OPS_ALICE: OPS_HEX, LIFEBOAT_KEY_AWS_PROBE_1: PROBE_HEX }), keyEnvVar, silentLogger);
    expect(await resolve('ops-alice')).toEqual({ scope: 'operator', secret: opsSecret });
    expect(await resolve('aws.probe-1')).toEqual({ scope: 'probe', secret: probeSecret });
    expect(await resolve('nobody')).toBeNull();
    expect(await resolve('__proto__')).toBeNull();
    expect(await resolve('ops-bob')).toBeNull();
    const colliding = parseConfig({
      services: [{ name: 'app.example.com', primary: { url: 'https://p.example.net', a: ['203.0.113.10'] }, secondary: { url: 'https://s.example.net', a: ['198.51.100.20'] }, healthCheck: { type: 'http' }, dns: [{ provider: 'embedded' }] }],
      vantagePoints: { aws: ['us-east-1'] },
      keys: [{ id: 'probe-aws', scope: 'probe', speaksFor: ['aws'] }, { id: 'ops-alice', scope: 'operator' }, { id: 'ops.alice', scope: 'operator' }],
    });
    expect(colliding.ok).toBe(false);
    if (!colliding.ok) expect(colliding.problems).toEqual([{ path: 'keys[2].id', message: expect.stringMatching(/both read LIFEBOAT_KEY_OPS_ALICE/) }]);
  });

  it('staticKeyResolver refuses duplicates and short secrets', () => {
    expect(() => staticKeyResolver([{ id: 'a-1', scope: 'probe', secret: opsSecret }, { id: 'a-1', scope: 'probe', secret: opsSecret }])).toThrow(/twice/);
    expect(() => staticKeyResolver([{ id: 'a-1', scope: 'probe', secret: new Uint8Array(31) }])).toThrow(/too short/);
  });
});

describe('interop with openssl and curl', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'lb1-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const parseHeaders = (out: string) =>
    Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));

  it('accepts a call signed by hand, the way DESIGN.md reads', async () => {
    const sh = [
      `body='${BODY.trim()}'`,
      'ts=$(date +%s)',
      'nonce=$(openssl rand -hex 16)',
      `hash=$(printf '%s' "$body" | openssl dgst -sha256 -hex | awk '{print $NF}')`,
      `sig=$(printf 'POST\\n/v1/override\\n%s\\n%s\\n%s' "$ts" "$nonce" "$hash" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$SECRET -hex | awk '{print $NF}')`,
      'echo "$ts $nonce $sig"',
    ].join('\n');
    const { stdout } = await run('bash', ['-c', sh], { env: { ...process.env, SECRET: OPS_HEX } });
    const [ts, nonce, sig] = stdout.trim().split(' ') as [string, string, string];
    const req = {
      method: 'POST', path: '/v1/override', body: enc.encode(BODY.trim()),
      headers: { [HEADER_KEY]: 'ops-alice', [HEADER_TIMESTAMP]: ts, [HEADER_NONCE]: nonce, [HEADER_SIGNATURE]: sig },
    };
    expect(await verifyRequest(req, deps({ now: Number(ts) * 1000 }))).toEqual({ ok: true, keyId: 'ops-alice', scope: 'operator', scheme: 'LB1-HMAC-SHA256' });
  });

  it('docs/signing.md shows docs/sign-request.sh verbatim', () => {
    const doc = readFileSync(join(repo, 'docs', 'signing.md'), 'utf8');
    expect(doc).toContain('```bash\n' + readFileSync(SCRIPT, 'utf8') + '```');
  });

  it('docs/sign-request.sh prints headers the verifier accepts', async () => {
    const file = join(dir, 'override.json');
    writeFileSync(file, BODY);
    const env = { ...process.env, KEY_ID: 'ops-alice', SECRET_HEX: OPS_HEX, LIFEBOAT_URL: '' };
    const { stdout } = await run('bash', [SCRIPT, 'post', '/v1/override?dry=1', file], { env });
    const headers = parseHeaders(stdout);
    expect(Object.keys(headers)).toEqual([...SIGNED_HEADERS]);
    const req = { method: 'POST', path: '/v1/override', headers, body: enc.encode(BODY) };
    expect((await verifyRequest(req, deps({ now: Date.now() }))).ok).toBe(true);
    const get = parseHeaders((await run('bash', [SCRIPT, 'GET', '/v1/status'], { env })).stdout);
    expect((await verifyRequest({ method: 'GET', path: '/v1/status', headers: get, body: new Uint8Array(0) }, deps({ now: Date.now() }))).ok).toBe(true);
  });

  describe('docs/sign-request.sh with curl against a loopback server', () => {
    let server: Server;
    let url: string;
    const nonces = new MemoryNonceStore();
    beforeAll(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
          const requiredScope: KeyScope = req.url?.startsWith('/v1/observations') ? 'probe' : 'operator';
          verifyRequest({ method: req.method ?? '', path: req.url ?? '', headers, body: new Uint8Array(Buffer.concat(chunks)) },
            { keys, nonces, now: Date.now(), requiredScope })
            .then((r) => {
              res.writeHead(r.ok ? 200 : r.status, { 'content-type': 'application/json' });
              res.end(JSON.stringify(r.ok ? { ok: true, keyId: r.keyId } : { error: r.error, detail: r.detail }));
            }, (e: unknown) => { res.writeHead(500); res.end(String(e)); });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('POST /v1/override and GET /v1/status are accepted', async () => {
      const file = join(dir, 'curl-override.json');
      writeFileSync(file, BODY);
      const env = { ...process.env, KEY_ID: 'ops-alice', SECRET_HEX: OPS_HEX, LIFEBOAT_URL: url };
      const post = await run('bash', [SCRIPT, 'POST', '/v1/override', file], { env });
      expect(JSON.parse(post.stdout)).toEqual({ ok: true, keyId: 'ops-alice' });
      const get = await run('bash', [SCRIPT, 'GET', '/v1/status?service=app.example.com'], { env });
      expect(JSON.parse(get.stdout)).toEqual({ ok: true, keyId: 'ops-alice' });
    });

    it('a wrong secret gets a 401 JSON error and a failing exit status', async () => {
      const env = { ...process.env, KEY_ID: 'ops-alice', SECRET_HEX: OTHER_HEX, LIFEBOAT_URL: url };
      const err = await run('bash', [SCRIPT, 'GET', '/v1/status'], { env }).catch((e: { code: number; stdout: string }) => e);
      expect('code' in err && err.code).toBe(22);
      expect(JSON.parse(err.stdout)).toEqual({ error: 'bad_signature', detail: `${HEADER_SIGNATURE} does not match the request` });
    });
  });
});
