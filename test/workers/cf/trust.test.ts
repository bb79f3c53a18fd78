/**
 * The trust model on the Cloudflare side, in workerd: ECDSA probe signatures made and verified by
 * workerd's WebCrypto, probe keys bound to vantage points, and a key whose secret is not set
 * refused alone (the Durable Object keeps serving everyone else).
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { importPrivateKey } from '#core/signing/ecdsa.ts';
import { signRequestEcdsa } from '#core/signing/lb1.ts';
import { batch, BASE, postBatch, signedRequest } from './helpers.ts';
import { ECDSA_PROBE_KEY, OPERATOR_KEY, PROBE_KEY, UNSET_OPERATOR_KEY } from './shared.ts';

async function ecdsaPost(body: string, tamper?: (h: Record<string, string>) => void): Promise<Response> {
  const privateKey = await importPrivateKey(ECDSA_PROBE_KEY.privateKey, ECDSA_PROBE_KEY.id);
  const headers = await signRequestEcdsa({ method: 'POST', path: '/v1/observations', body, keyId: ECDSA_PROBE_KEY.id, privateKey, now: Date.now() });
  tamper?.(headers);
  return SELF.fetch(new Request(`${BASE}/v1/observations`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body }));
}

describe('Cloudflare coordinator: trust', () => {
  it('accepts an ECDSA-signed batch (signed and verified by workerd) from the vantage point the key speaks for', async () => {
    const res = await ecdsaPost(JSON.stringify(batch('cloudflare:weur', 101, 'healthy')));
    expect(res.status).toBe(200);
  });

  it('refuses a tampered ECDSA post, and one for a vantage point the key does not speak for', async () => {
    const body = JSON.stringify(batch('cloudflare:weur', 102, 'healthy'));
    const tampered = await ecdsaPost(body, (h) => { h['X-Lifeboat-Signature'] = `${h['X-Lifeboat-Signature']!.slice(0, 127)}${h['X-Lifeboat-Signature']!.endsWith('0') ? '1' : '0'}`; });
    expect(tampered.status).toBe(401);
    const elsewhere = await ecdsaPost(JSON.stringify(batch('cloudflare:apac', 103, 'unhealthy')));
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.json()).toMatchObject({ error: 'vantage_point_not_allowed', field: 'vantagePoint' });
    // An HMAC probe key of Cloudflare cannot post as the AWS vantage point either.
    const cross = await postBatch(batch('aws:us-east-1', 104, 'unhealthy'), PROBE_KEY);
    expect(cross.status).toBe(403);
  });

  it('refuses a key whose secret is not set (401 unknown_key) while every other key keeps working', async () => {
    const unset = await SELF.fetch(await signedRequest('GET', '/v1/status', UNSET_OPERATOR_KEY));
    expect(unset.status).toBe(401);
    expect(await unset.json()).toMatchObject({ error: 'unknown_key' });
    const ok = await SELF.fetch(await signedRequest('GET', '/v1/status', OPERATOR_KEY));
    expect(ok.status).toBe(200);
    expect((await SELF.fetch(`${BASE}/healthz`)).status).toBe(200);
  });
});
