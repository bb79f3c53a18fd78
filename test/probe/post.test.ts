/**
 * Posting a round's batch: every coordinator at once, each with its own deadline and its own
 * signature (nonce), and a refusal is logged without the signature or the secret.
 */
import { describe, expect, it } from 'vitest';
import { jsonLogger } from '#core/log.ts';
import type { ObservationBatch } from '#core/model.ts';
import type { Fetch } from '#core/ports.ts';
import { MAX_RESULTS_PER_BATCH, observationsUrl, postObservations, splitBatch, type CoordinatorEndpoint } from '#core/probe/post.ts';
import { MAX_RESULTS } from '#core/api/bodies.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { HEADER_NONCE, HEADER_SIGNATURE, MAX_BODY_BYTES, verifyRequest } from '#core/signing/lb1.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { hmacSigner } from '#core/signing/signer.ts';

const SECRET = new Uint8Array(32).fill(0xab);
const SECRET_HEX = 'ab'.repeat(32);
const signer = hmacSigner('probe-aws', SECRET);
const clock = { now: () => Date.now() };
const batch: ObservationBatch = {
  vantagePoint: 'aws:eu-west-1', round: 7, sentAt: Date.now(), controlOk: true,
  results: [{ service: 'app.example.com', target: 'primary', verdict: 'healthy', observedAt: Date.now(), latencyMs: 12 }],
};
const ENDPOINTS: CoordinatorEndpoint[] = [{ name: 'aws', url: 'https://aws.example' }, { name: 'cloudflare', url: 'https://cf.example' }];

interface Seen { readonly url: string; readonly at: number; readonly headers: Record<string, string>; readonly body: string }

/** A fetch where each origin behaves as told; records what it was sent. */
function network(behaviour: Record<string, (signal: AbortSignal) => Promise<Response>>): { fetch: Fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: Fetch = async (input, init) => {
    const url = String(input);
    seen.push({ url, at: Date.now(), headers: Object.fromEntries(new Headers(init?.headers).entries()), body: String(init?.body) });
    return behaviour[new URL(url).origin]!(init!.signal!);
  };
  return { fetch, seen };
}

const ok = async () => new Response('{}', { status: 200 });
const hang = (signal: AbortSignal) => new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe('postObservations', () => {
  it('posts to every coordinator in parallel: a silent one times out without delaying the other', async () => {
    // The answer to aws waits until the request to cloudflare has left: were posts made one after
    // the other, aws would never answer and this test would fail on its own deadline.
    let cfSent!: () => void;
    const cfLeft = new Promise<void>((resolve) => { cfSent = resolve; });
    const { fetch, seen } = network({
      'https://aws.example': async () => { await cfLeft; return new Response('{}', { status: 200 }); },
      'https://cf.example': (signal) => { cfSent(); return hang(signal); },
    });
    const [aws, cf] = await postObservations(batch, ENDPOINTS, { fetch, clock, signer, timeoutMs: 300 });
    expect(seen.map((s) => s.url)).toEqual([observationsUrl('https://aws.example'), observationsUrl('https://cf.example')]);
    expect(aws).toMatchObject({ coordinator: 'aws', ok: true, status: 200 });
    expect(cf).toMatchObject({ coordinator: 'cloudflare', ok: false });
    expect(cf!.error).toMatch(/TimeoutError/);
    // A deadline never fires early, however busy the machine.
    expect(cf!.ms).toBeGreaterThanOrEqual(290);
  });

  it('a slow coordinator answering late does not hold back the fast one', async () => {
    // Cloudflare is asked first and answers only once aws has answered: sequential posts deadlock.
    let awsAnswered!: () => void;
    const awsDone = new Promise<void>((resolve) => { awsAnswered = resolve; });
    const { fetch } = network({
      'https://cf.example': async () => { await awsDone; return new Response('{}'); },
      'https://aws.example': async () => { awsAnswered(); return new Response('{}'); },
    });
    const results = await postObservations(batch, [ENDPOINTS[1]!, ENDPOINTS[0]!], { fetch, clock, signer, timeoutMs: 10_000 });
    expect(results.map((r) => [r.coordinator, r.ok])).toEqual([['cloudflare', true], ['aws', true]]);
  });

  it('signs each post on its own: one nonce per coordinator, each verifies for its own path', async () => {
    const { fetch, seen } = network({ 'https://aws.example': ok, 'https://cf.example': ok });
    await postObservations(batch, ENDPOINTS, { fetch, clock, signer });
    const nonces = seen.map((s) => s.headers[HEADER_NONCE.toLowerCase()]);
    expect(nonces.every((n) => typeof n === 'string' && n.length > 0)).toBe(true);
    expect(new Set(nonces).size).toBe(2);
    const keys = staticKeyResolver([{ id: 'probe-aws', scope: 'probe', secret: SECRET }]);
    const store = new MemoryNonceStore();
    for (const s of seen) {
      const verdict = await verifyRequest({ method: 'POST', path: new URL(s.url).pathname, headers: s.headers, body: new TextEncoder().encode(s.body) }, { keys, nonces: store, now: Date.now(), requiredScope: 'probe' });
      expect(verdict.ok).toBe(true);
    }
    expect(JSON.parse(seen[0]!.body)).toEqual(batch);
  });

  it('logs a refusal with the coordinator and status, never the signature or the secret', async () => {
    const lines: string[] = [];
    const { fetch, seen } = network({
      'https://aws.example': async () => new Response('signature does not match', { status: 401 }),
      'https://cf.example': async () => { throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }); },
    });
    const [aws, cf] = await postObservations(batch, ENDPOINTS, { fetch, clock, signer, logger: jsonLogger((l) => lines.push(l)) });
    expect(aws).toMatchObject({ ok: false, status: 401, error: 'signature does not match' });
    expect(cf).toMatchObject({ ok: false });
    expect(cf!.error).toMatch(/fetch failed/);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toEqual(expect.arrayContaining([
      expect.objectContaining({ level: 'warn', message: 'coordinator refused observations', coordinator: 'aws', status: 401 }),
      expect.objectContaining({ level: 'warn', message: 'could not reach coordinator', coordinator: 'cloudflare' }),
    ]));
    const text = lines.join('\n');
    const signature = seen[0]!.headers[HEADER_SIGNATURE.toLowerCase()]!;
    expect(signature.length).toBeGreaterThan(10);
    expect(text).not.toContain(signature);
    expect(text).not.toContain(SECRET_HEX);
  });
});

describe('splitBatch: a round too large for one body', () => {
  const round = (services: number): ObservationBatch => ({
    vantagePoint: 'aws:eu-west-1', round: 3, sentAt: 1_800_000_000_000, controlOk: true, ranIn: 'ICN',
    results: Array.from({ length: services }, (_, i) => `svc-${String(i).padStart(4, '0')}.lifeboat-scale-test.example.com`).flatMap((service) => [
      { service, target: 'primary' as const, verdict: 'unhealthy' as const, observedAt: 1_799_999_999_000, failure: 'timeout' as const, latencyMs: 10_000 },
      { service, target: 'secondary' as const, verdict: 'healthy' as const, observedAt: 1_799_999_999_100, latencyMs: 123.456 },
    ]),
  });

  it('1,000 services (2,000 results) become several batches, each under 64 KiB and 1,000 results, every result once, a service never split', () => {
    const whole = round(1000);
    expect(new TextEncoder().encode(JSON.stringify(whole)).byteLength).toBeGreaterThan(MAX_BODY_BYTES);
    const parts = splitBatch(whole);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(new TextEncoder().encode(JSON.stringify(p)).byteLength).toBeLessThanOrEqual(MAX_BODY_BYTES);
      expect(p.results.length).toBeLessThanOrEqual(MAX_RESULTS);
      expect({ ...p, results: [] }).toEqual({ ...whole, results: [] });
    }
    expect(parts.flatMap((p) => p.results)).toEqual(expect.arrayContaining([...whole.results]));
    expect(parts.flatMap((p) => p.results)).toHaveLength(whole.results.length);
    const home = new Map<string, number>();
    parts.forEach((p, i) => p.results.forEach((r) => { expect(home.get(r.service) ?? i).toBe(i); home.set(r.service, i); }));
  });

  it('a round that fits is posted as it is', () => {
    const small = round(3);
    expect(splitBatch(small)).toEqual([small]);
  });

  it('the results cap matches the coordinator\'s', () => {
    expect(MAX_RESULTS_PER_BATCH).toBe(MAX_RESULTS);
  });

  it('posts every part, each signed on its own, and is ok only when every part is accepted', async () => {
    const bodies: string[] = [];
    const nonces = new Set<string>();
    let calls = 0;
    const fetch: Fetch = async (_input, init) => {
      bodies.push(String(init?.body));
      nonces.add(new Headers(init?.headers).get(HEADER_NONCE)!);
      // The second part is refused.
      return ++calls === 2 ? new Response('{"error":"no"}', { status: 400 }) : new Response('{}', { status: 200 });
    };
    const [aws] = await postObservations(round(1000), [ENDPOINTS[0]!], { fetch, clock, signer, timeoutMs: 5_000 });
    expect(bodies.length).toBe(splitBatch(round(1000)).length);
    expect(nonces.size).toBe(bodies.length);
    expect(aws).toMatchObject({ coordinator: 'aws', ok: false, status: 400, parts: bodies.length });
  });
});
