/** The local run's keys: LIFEBOAT_KEY_<ID> honoured, every key written 0600, VPs sign with their provider's key. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import { generateProbeKeyPair, importPublicKey } from '#core/signing/ecdsa.ts';
import { verifyRequest } from '#core/signing/lb1.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import local from '../../../lifeboat.config.ts';
import { localKeys } from '../../../cli/local/local-keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = loadConfig(local);

describe('local run keys', () => {
  it('uses LIFEBOAT_KEY_<ID> when set, makes the rest, and writes every one mode 0600', async () => {
    const aws = await generateProbeKeyPair();
    const ops = 'cd'.repeat(32);
    const keys = await localKeys(config, { LIFEBOAT_KEY_LOCAL_PROBE_AWS: aws.privateKey, LIFEBOAT_KEY_LOCAL_OPERATOR: ops }, join(dir, 'a'));
    expect(keys.keys.map((k) => [k.config.id, k.fromEnv])).toEqual([['local-probe-aws', true], ['local-probe-cloudflare', false], ['local-operator', true]]);
    for (const k of keys.keys) {
      expect(statSync(k.file).mode & 0o777).toBe(0o600);
      expect(readFileSync(k.file, 'utf8').trim()).toBe(k.secret);
    }
    expect(keys.secret('local-operator')).toBe(ops);
    // The run's config carries the public key of the private key it signs with.
    expect(keys.config.keys[0]!.publicKey).toBe(aws.publicKey);
    expect(keys.config.keys[1]!.publicKey).not.toBe(config.keys[1]!.publicKey);
  });

  it('signs each vantage point with its own provider\'s key, which the other provider\'s key cannot stand in for', async () => {
    const keys = await localKeys(config, {}, join(dir, 'b'));
    const headers = await keys.signerFor('cloudflare:apac')({ method: 'POST', url: 'http://127.0.0.1/v1/observations', body: '{}', now: Date.now() });
    expect(headers['X-Lifeboat-Key']).toBe('local-probe-cloudflare');
    const cf = keys.config.keys.find((k) => k.id === 'local-probe-cloudflare')!;
    const resolver = async (id: string) => (id === cf.id ? { scope: 'probe' as const, publicKey: await importPublicKey(cf.publicKey!, id) } : null);
    const ok = await verifyRequest({ method: 'POST', path: '/v1/observations', headers, body: new TextEncoder().encode('{}') }, { keys: resolver, nonces: new MemoryNonceStore(), now: Date.now(), requiredScope: 'probe' });
    expect(ok.ok).toBe(true);
    expect((await keys.signerFor('aws:us-east-1')({ method: 'POST', url: 'http://127.0.0.1/v1/observations', body: '{}', now: Date.now() }))['X-Lifeboat-Key']).toBe('local-probe-aws');
  });

  it('refuses a malformed LIFEBOAT_KEY_<ID>, naming the key and not the value', async () => {
    const err = await localKeys(config, { LIFEBOAT_KEY_LOCAL_OPERATOR: 'zz-not-hex' }, join(dir, 'c')).catch((e: Error) => e);
    expect((err as Error).message).toContain('"local-operator"');
    expect((err as Error).message).not.toContain('zz-not-hex');
  });
});
