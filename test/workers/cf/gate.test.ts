/**
 * Issue 14 on Cloudflare: the Worker checks route, size, signature, key and scope before the
 * coordinator Durable Object; refusals never reach the object (no audit row, no nonce), are
 * rate-limited per client IP, and honest signed probes and operators are never starved, even
 * when the limiter says no to everyone.
 */
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '#core/ports.ts';
import { fetchHandler } from '../../../workers/index.ts';
import { Gate } from '../../../workers/gate.ts';
import { workerConfig } from '../../../workers/config.ts';
import { parseDataPlaneSecret, verdictIds } from '#core/dns/data-plane.ts';
import { normaliseName } from '#core/model.ts';
import { batch, coordinatorStorage, signedRequest, BASE } from './helpers.ts';
import { OPERATOR_KEY, PROBE_KEY } from './shared.ts';

const ctx = { waitUntil: (_p: Promise<unknown>) => {} };
const unsigned = (ip = '192.0.2.7') => new Request(`${BASE}/v1/observations`, { method: 'POST', body: JSON.stringify(batch('cloudflare:weur', 1, 'unhealthy')), headers: { 'cf-connecting-ip': ip } });

describe('the Worker gate', () => {
  it('has the rate-limiting binding from wrangler.jsonc', () => {
    expect(typeof env.REFUSAL_LIMITER?.limit).toBe('function');
  });

  it('refuses unsigned and badly signed requests without reaching the coordinator object', async () => {
    const before = await coordinatorStorage();
    for (let i = 0; i < 10; i++) {
      expect((await SELF.fetch(unsigned())).status).toBeGreaterThanOrEqual(401);
      const bad = await signedRequest('POST', '/v1/observations', { id: PROBE_KEY.id, secret: 'ee'.repeat(32) }, JSON.stringify(batch('cloudflare:weur', 1, 'unhealthy')));
      expect([401, 429]).toContain((await SELF.fetch(bad)).status);
    }
    const after = await coordinatorStorage();
    expect(after.audit).toEqual(before.audit);
    expect(after.nonces).toBe(before.nonces);
    expect(after.states).toEqual(before.states);
  });

  it('an exhausted limiter starves nobody who signs: probes and operators pass, refusals get 429', async () => {
    const asked: string[] = [];
    const limiter = { limit: async ({ key }: { key: string }) => { asked.push(key); return { success: false }; } };
    const limitedEnv = { ...env, REFUSAL_LIMITER: limiter as unknown as RateLimit };
    for (let i = 0; i < 5; i++) {
      const res = await fetchHandler(unsigned('198.51.100.66'), limitedEnv, ctx);
      expect(res.status).toBe(429);
      expect(await res.json()).toMatchObject({ error: 'rate_limited' });
    }
    const probe = await fetchHandler(await signedRequest('POST', '/v1/observations', PROBE_KEY, JSON.stringify(batch('cloudflare:weur', 7, 'healthy'))), limitedEnv, ctx);
    expect(probe.status).toBe(200);
    const status = await fetchHandler(await signedRequest('GET', '/v1/status', OPERATOR_KEY), limitedEnv, ctx);
    expect(status.status).toBe(200);
    // The limiter was asked only about the refusals, by client IP.
    expect(asked).toEqual(Array(5).fill('198.51.100.66'));
  });

  it('forwards only verified requests, and hands refusal counts over at most once a minute', async () => {
    let now = Date.now();
    const forwarded: string[] = [];
    const flushed: Record<string, number>[] = [];
    const gate = new Gate({
      env, clock: { now: () => now }, logger: silentLogger,
      forward: async (req) => { forwarded.push(new URL(req.url).pathname); return new Response('{}'); },
      flush: async (counts) => { flushed.push(counts as Record<string, number>); },
    });
    const pending: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => { pending.push(p); };
    for (let i = 0; i < 100; i++) await gate.handle(unsigned(), waitUntil);
    expect(forwarded).toEqual([]);
    expect((await gate.handle(new Request(`${BASE}/v1/nothing`), waitUntil)).status).toBe(404);
    expect((await gate.handle(await signedRequest('POST', '/v1/override', PROBE_KEY, '{}'), waitUntil)).status).toBe(401); // wrong scope, refused here
    expect(forwarded).toEqual([]);
    expect((await gate.handle(await signedRequest('GET', '/v1/status', OPERATOR_KEY), waitUntil)).status).toBe(200);
    expect(forwarded).toEqual(['/v1/status']);
    expect(flushed).toEqual([]);
    now += 60_000;
    await gate.handle(unsigned(), waitUntil);
    await gate.handle(unsigned(), waitUntil);
    await Promise.all(pending);
    expect(flushed).toHaveLength(1);
    const total = Object.values(flushed[0]!).reduce((a, b) => a + b, 0);
    expect(total).toBe(102);
  });

  it('lets Route 53 reach a data-plane verdict page unsigned, and only its exact path', async () => {
    const secretHex = 'ab'.repeat(32);
    const base = workerConfig();
    const config = { ...base, services: base.services.map((svc, i) => (i === 0 ? { ...svc, mode: 'data-plane' as const } : svc)) };
    const { path } = await verdictIds(parseDataPlaneSecret(secretHex), normaliseName(config.services[0]!.name));
    const forwarded: string[] = [];
    const gate = new Gate({
      env: { ...env, LIFEBOAT_DATA_PLANE_SECRET: secretHex }, config, clock: { now: () => Date.now() }, logger: silentLogger,
      forward: async (req) => { forwarded.push(new URL(req.url).pathname); return new Response('stay'); },
      flush: async () => {},
    });
    const waitUntil = () => {};
    expect((await gate.handle(new Request(`${BASE}${path}`), waitUntil)).status).toBe(200);
    expect(forwarded).toEqual([path]);
    // A guessed page, another method, or the pages without the secret: refused here, never forwarded.
    expect((await gate.handle(new Request(`${BASE}/v1/verdict/${'0'.repeat(64)}`), waitUntil)).status).toBe(404);
    expect((await gate.handle(new Request(`${BASE}${path}`, { method: 'POST', body: '{}' }), waitUntil)).status).toBe(404);
    const closed = new Gate({ env, config, clock: { now: () => Date.now() }, logger: silentLogger, forward: async () => new Response('stay'), flush: async () => {} });
    expect((await closed.handle(new Request(`${BASE}${path}`), waitUntil)).status).toBe(404);
    expect(forwarded).toEqual([path]);
  });
});

