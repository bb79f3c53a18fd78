/**
 * The coordinator Durable Object serves core's API over DO storage: signed batches change state,
 * anything forged, replayed, expired, tampered or signed with the wrong scope gets 401 and
 * changes nothing (checked in DO storage), and state survives the object being restarted.
 */
import { abortAllDurableObjects, runInDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CoordinatorObject } from '../../../workers/coordinator.ts';
import { batch, coordinatorObject, coordinatorStorage, postBatch, signedRequest } from './helpers.ts';
import { AWS_PROBE_KEY, OPERATOR_KEY, PROBE_KEY, SERVICE } from './shared.ts';

const votesOf = async (vp: string) => {
  const { states } = await coordinatorStorage();
  return states.find((s) => s.value.service === SERVICE)?.value.votes.find((v) => v.vantagePoint === vp);
};

describe('coordinator Durable Object', () => {
  it('accepts a valid LB1-signed observation batch and stores the votes', async () => {
    const res = await postBatch(batch('cloudflare:weur', 1, 'healthy'), PROBE_KEY);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 2, ignored: 0 });
    expect(await votesOf('cloudflare:weur')).toMatchObject({ primary: { verdict: 'healthy' }, secondary: { verdict: 'healthy' } });
  });

  const refused: [string, () => Promise<Request>][] = [
    ['forged (wrong secret)', () => signedRequest('POST', '/v1/observations', { id: PROBE_KEY.id, secret: 'ee'.repeat(32) }, JSON.stringify(batch('cloudflare:apac', 2, 'unhealthy')))],
    ['unknown key', () => signedRequest('POST', '/v1/observations', { id: 'probe-nobody', secret: PROBE_KEY.secret }, JSON.stringify(batch('cloudflare:apac', 2, 'unhealthy')))],
    ['expired (timestamp 301 s old)', () => signedRequest('POST', '/v1/observations', PROBE_KEY, JSON.stringify(batch('cloudflare:apac', 2, 'unhealthy')), { now: Date.now() - 301_000 })],
    ['wrong scope (operator key)', () => signedRequest('POST', '/v1/observations', OPERATOR_KEY, JSON.stringify(batch('cloudflare:apac', 2, 'unhealthy')))],
    ['tampered body', async () => {
      const signed = await signedRequest('POST', '/v1/observations', PROBE_KEY, JSON.stringify(batch('cloudflare:apac', 2, 'healthy')));
      return new Request(signed, { body: JSON.stringify(batch('cloudflare:apac', 2, 'unhealthy')) });
    }],
  ];

  it.each(refused)('refuses a %s batch with 401, no audit entry, no nonce and no state change', async (_name, make) => {
    const before = await coordinatorStorage();
    const res = await SELF.fetch(await make());
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: expect.any(String), detail: expect.any(String) });
    const after = await coordinatorStorage();
    expect(after.states).toEqual(before.states);
    expect(after.nonces).toBe(before.nonces);
    expect(after.audit).toEqual(before.audit);
  });

  it('refuses a replayed batch (same nonce) with 401 and no state change', async () => {
    const body = JSON.stringify(batch('cloudflare:enam', 3, 'healthy'));
    const nonce = crypto.getRandomValues(new Uint8Array(16)).reduce((s, b) => s + b.toString(16).padStart(2, '0'), '');
    const first = await SELF.fetch(await signedRequest('POST', '/v1/observations', PROBE_KEY, body, { nonce }));
    expect(first.status).toBe(200);
    const before = await coordinatorStorage();
    const replay = await SELF.fetch(await signedRequest('POST', '/v1/observations', PROBE_KEY, body, { nonce }));
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: expect.stringMatching(/replay|nonce/i) });
    const after = await coordinatorStorage();
    expect(after.states).toEqual(before.states);
    expect(after.nonces).toBe(before.nonces);
  });

  it('keeps its state when the object is restarted (a new instance reads storage)', async () => {
    const res = await postBatch(batch('aws:us-east-1', 4, 'healthy'), AWS_PROBE_KEY);
    expect(res.status).toBe(200);
    const stub = coordinatorObject();
    await runInDurableObject(stub, (instance: CoordinatorObject) => { (instance as unknown as { marker: string }).marker = 'old'; });
    await abortAllDurableObjects();
    const fresh = coordinatorObject();
    const marker = await runInDurableObject(fresh, (instance: CoordinatorObject) => (instance as unknown as { marker?: string }).marker);
    expect(marker).toBeUndefined(); // really a new instance
    expect(await votesOf('aws:us-east-1')).toMatchObject({ primary: { verdict: 'healthy' } });
    const status = await SELF.fetch(await signedRequest('GET', '/v1/status', OPERATOR_KEY));
    expect(status.status).toBe(200);
    expect(JSON.stringify(await status.json())).toContain('aws:us-east-1');
  });
});
