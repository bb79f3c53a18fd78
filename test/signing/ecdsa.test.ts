/**
 * LB1-ECDSA-P256-SHA256: sign and verify in Node's WebCrypto, key formats (base64 DER and PEM),
 * tampering and forgery refused, and interop with openssl through docs/sign-probe.sh.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  derFromText, generateProbeKeyPair, importPrivateKey, importPublicKey, isP256PublicKeyText, publicKeyOfPrivate,
} from '#core/signing/ecdsa.ts';
import type { KeyResolver } from '#core/signing/keys.ts';
import { HEADER_SIGNATURE, SIGNED_HEADERS, signRequestEcdsa, verifyRequest } from '#core/signing/lb1.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { createProbeSigner } from '#core/signing/signer.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(repo, 'docs', 'sign-probe.sh');
const enc = new TextEncoder();
const BODY = '{"vantagePoint":"aws:us-east-1","round":1,"sentAt":1,"controlOk":true,"results":[]}\n';

const pair = await generateProbeKeyPair();
const other = await generateProbeKeyPair();
const keys: KeyResolver = async (id) => (id === 'probe-aws' ? { scope: 'probe', publicKey: await importPublicKey(pair.publicKey, id) } : null);
const deps = (now: number) => ({ keys, nonces: new MemoryNonceStore(), now, requiredScope: 'probe' as const });
const pem = (b64: string, label: string) => `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

async function signed(privateKey: string, body: string, now = Date.now()) {
  const headers = await signRequestEcdsa({ method: 'POST', path: '/v1/observations', body, keyId: 'probe-aws', privateKey: await importPrivateKey(privateKey, 'probe-aws'), now });
  return { method: 'POST', path: '/v1/observations', headers, body: enc.encode(body) };
}

describe('LB1-ECDSA-P256-SHA256 in Node', () => {
  it('signs r||s (128 hex) that the public key verifies', async () => {
    const req = await signed(pair.privateKey, BODY);
    expect(req.headers[HEADER_SIGNATURE]).toMatch(/^[0-9a-f]{128}$/);
    expect(await verifyRequest(req, deps(Date.now()))).toEqual({ ok: true, keyId: 'probe-aws', scope: 'probe', scheme: 'LB1-ECDSA-P256-SHA256' });
  });

  it('refuses any changed body, and a signature by another key', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), async (extra) => {
      const req = await signed(pair.privateKey, BODY);
      const result = await verifyRequest({ ...req, body: enc.encode(BODY + extra) }, deps(Date.now()));
      expect(result).toMatchObject({ ok: false, error: 'bad_signature' });
    }), { numRuns: 20 });
    expect(await verifyRequest(await signed(other.privateKey, BODY), deps(Date.now()))).toMatchObject({ ok: false, error: 'bad_signature' });
  });

  it('accepts PEM and base64 DER for both halves; refuses other text, naming the key id only', async () => {
    expect(isP256PublicKeyText(pair.publicKey)).toBe(true);
    expect(isP256PublicKeyText(pem(pair.publicKey, 'PUBLIC KEY'))).toBe(true);
    expect(isP256PublicKeyText(pair.privateKey)).toBe(false);
    expect(isP256PublicKeyText('not a key')).toBe(false);
    expect(derFromText(pem(pair.privateKey, 'PRIVATE KEY'), 'PRIVATE KEY')).toEqual(derFromText(pair.privateKey, 'PRIVATE KEY'));
    expect(await publicKeyOfPrivate(pem(pair.privateKey, 'PRIVATE KEY'), 'k')).toBe(pair.publicKey);
    const err = await importPrivateKey('AAAA' + pair.privateKey.slice(4), 'probe-aws').catch((e: Error) => e);
    expect((err as Error).message).toContain('"probe-aws"');
    expect((err as Error).message).not.toContain(pair.privateKey.slice(10, 40));
  });

  it('createProbeSigner picks the scheme from the key config', async () => {
    const ecdsa = await createProbeSigner({ id: 'probe-aws', scope: 'probe', speaksFor: ['aws'], publicKey: pair.publicKey }, pair.privateKey);
    const headers = await ecdsa({ method: 'POST', url: 'https://c.example/v1/observations', body: BODY, now: Date.now() });
    expect((await verifyRequest({ method: 'POST', path: '/v1/observations', headers, body: enc.encode(BODY) }, deps(Date.now()))).ok).toBe(true);
    const hmac = await createProbeSigner({ id: 'probe-old', scope: 'probe', speaksFor: ['aws'] }, 'ab'.repeat(32));
    expect((await hmac({ method: 'POST', url: 'https://c.example/v1/observations', body: BODY, now: Date.now() }))[HEADER_SIGNATURE]).toMatch(/^[0-9a-f]{64}$/);
    await expect(createProbeSigner({ id: 'probe-aws', scope: 'probe', speaksFor: ['aws'], publicKey: pair.publicKey }, 'ab'.repeat(32))).rejects.toThrow(/"probe-aws"/);
  });
});

describe('interop with openssl (docs/sign-probe.sh)', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'lb1-ecdsa-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const parseHeaders = (out: string) =>
    Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));

  it('docs/signing.md shows docs/sign-probe.sh verbatim', () => {
    const doc = readFileSync(join(repo, 'docs', 'signing.md'), 'utf8');
    expect(doc).toContain('```bash\n' + readFileSync(SCRIPT, 'utf8') + '```');
  });

  it.each([['base64 PKCS#8, as keygen prints it', false], ['PEM', true]])('signs with a %s private key; the verifier accepts it, many times over', async (_, asPem) => {
    const body = join(dir, 'batch.json');
    writeFileSync(body, BODY);
    const keyFile = join(dir, asPem ? 'key.pem' : 'key.b64');
    writeFileSync(keyFile, asPem ? pem(pair.privateKey, 'PRIVATE KEY') : `${pair.privateKey}\n`);
    // DER integers are 31 bytes or shorter now and then: repeat so the zero-padding is exercised.
    for (let i = 0; i < 8; i++) {
      const { stdout } = await run('bash', [SCRIPT, body], { env: { ...process.env, KEY_ID: 'probe-aws', PRIVATE_KEY: keyFile, LIFEBOAT_URL: '' } });
      const headers = parseHeaders(stdout);
      expect(Object.keys(headers)).toEqual([...SIGNED_HEADERS]);
      expect(headers[HEADER_SIGNATURE]).toMatch(/^[0-9a-f]{128}$/);
      expect(await verifyRequest({ method: 'POST', path: '/v1/observations', headers, body: enc.encode(BODY) }, deps(Date.now()))).toMatchObject({ ok: true, keyId: 'probe-aws' });
    }
  });
});
