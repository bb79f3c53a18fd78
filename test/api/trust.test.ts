/**
 * The trust model through the real HTTP app, composed the way every runtime composes it
 * (core/coordinator/compose.ts) over a SecretSource: probe keys bound to vantage points, ECDSA
 * probe signatures, rotation with overlap, a missing key secret refusing that key alone, a
 * missing optional secret degrading, and range-checked bodies that never answer 500.
 */
import { statesWithVotes } from '../support/stored-votes.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LifeboatConfigInput } from '#core/config/schema.ts';
import { loadConfig } from '#core/config/validate.ts';
import { composeCoordinator, type SecretNames } from '#core/coordinator/compose.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import { jsonLogger } from '#core/log.ts';
import { mapSecretSource, SecretFetchError, type SecretSource } from '#core/ports.ts';
import { generateProbeKeyPair, importPrivateKey } from '#core/signing/ecdsa.ts';
import { keyEnvVar } from '#core/signing/keys.ts';
import { signRequest, signRequestEcdsa } from '#core/signing/lb1.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { batch, SERVICE, TestClock } from '../support/coordinators.ts';

const OPS = { id: 'ops-alice', hex: '22'.repeat(32) };
const [AWS_KEY, CF_KEY, AWS_NEXT] = await Promise.all([generateProbeKeyPair(), generateProbeKeyPair(), generateProbeKeyPair()]);

function configInput(keys: LifeboatConfigInput['keys'], extra: Partial<LifeboatConfigInput> = {}): LifeboatConfigInput {
  return {
    services: [{
      name: SERVICE,
      primary: { url: 'http://127.0.0.1:9/', a: ['198.51.100.10'] },
      secondary: { url: 'http://127.0.0.1:9/', a: ['198.51.100.20'] },
      healthCheck: { type: 'http', path: '/healthz' },
      dns: [{ provider: 'embedded', ttl: 5 }],
      policy: { minVotes: 2, failAfter: 1 },
    }],
    vantagePoints: { aws: ['us-east-1', 'eu-west-1'], cloudflare: ['apac'] },
    keys,
    ...extra,
  };
}

const defaultKeys: LifeboatConfigInput['keys'] = [
  { id: 'probe-aws', scope: 'probe', speaksFor: ['aws'], publicKey: AWS_KEY.publicKey },
  { id: 'probe-cf', scope: 'probe', speaksFor: ['cloudflare'], publicKey: CF_KEY.publicKey },
  { id: OPS.id, scope: 'operator' },
];

const names: SecretNames = { key: keyEnvVar, cloudflareToken: 'CLOUDFLARE_API_TOKEN', route53Credentials: 'AWS_ACCESS_KEY_ID', webhook: (n) => n, dnsSecret: (n) => n };

async function rig(options: { keys?: LifeboatConfigInput['keys']; secrets?: SecretSource; extra?: Partial<LifeboatConfigInput> } = {}) {
  const config = loadConfig(configInput(options.keys ?? defaultKeys, options.extra));
  const clock = new TestClock();
  const store = new MemoryStateStore();
  const logs: string[] = [];
  const zone = new MemoryZone('example.com');
  const composed = await composeCoordinator({
    name: 'aws', config, store, nonces: new MemoryNonceStore(), clock, logger: jsonLogger((l) => logs.push(l), {}, 'debug'),
    fetch: async () => new Response('ok'),
    secrets: options.secrets ?? mapSecretSource({ [keyEnvVar(OPS.id)]: OPS.hex }),
    secretNames: names,
    embedded: new MemoryDnsProvider(zone, { name: 'embedded' }),
  });
  return { ...composed, config, clock, store, logs };
}

type Rig = Awaited<ReturnType<typeof rig>>;

async function post(r: Rig, keyId: string, privateKey: string, body: string, tamper?: (h: Record<string, string>) => void) {
  const headers = await signRequestEcdsa({ method: 'POST', path: '/v1/observations', body, keyId, privateKey: await importPrivateKey(privateKey, keyId), now: r.clock.now() });
  tamper?.(headers);
  return r.app.fetch(new Request('https://c.example/v1/observations', { method: 'POST', body, headers }));
}

async function operator(r: Rig, method: string, path: string, body?: string) {
  const headers = await signRequest({ method, path, ...(body === undefined ? {} : { body }), keyId: OPS.id, secret: new Uint8Array(Buffer.from(OPS.hex, 'hex')), now: r.clock.now() });
  return r.app.fetch(new Request(`https://c.example${path}`, { method, headers, ...(body === undefined ? {} : { body }) }));
}

const votes = async (r: Rig) => (await statesWithVotes(r.store)).find((s) => s.value.service === SERVICE)?.value.votes ?? [];

describe('probe keys speak only for their vantage points', () => {
  it('accepts an ECDSA-signed batch from a vantage point the key speaks for', async () => {
    const r = await rig();
    const res = await post(r, 'probe-aws', AWS_KEY.privateKey, JSON.stringify(batch('aws:us-east-1', r.clock.now(), 'healthy')));
    expect(res.status).toBe(200);
    expect((await votes(r)).length).toBeGreaterThan(0);
  });

  it.each([
    ['the other provider', 'cloudflare:apac'],
    ['an unconfigured region of its own provider', 'aws:us-west-2'],
  ])('refuses a batch for %s with 403 naming vantagePoint; nothing stored, counted', async (_, vp) => {
    const r = await rig();
    const res = await post(r, 'probe-aws', AWS_KEY.privateKey, JSON.stringify(batch(vp as 'aws:x', r.clock.now(), 'unhealthy')));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'vantage_point_not_allowed', field: 'vantagePoint' });
    expect(await r.store.get(SERVICE)).toBeNull();
    expect(await r.coordinator.audit({})).toEqual([]);
    expect(r.refusals.snapshot()).toMatchObject({ total: 1, byReason: { vantage_point_not_allowed: 1 } });
    // The one log line names the vantage point and the key it was refused for.
    const line = r.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'refused request');
    expect(line).toMatchObject({ error: 'vantage_point_not_allowed', keyId: 'probe-aws' });
    expect(String(line?.detail)).toContain(vp);
  });

  it('binds to single vantage points too', async () => {
    const r = await rig({ keys: [
      { id: 'probe-use1', scope: 'probe', speaksFor: ['aws:us-east-1'], publicKey: AWS_KEY.publicKey },
      { id: 'probe-cf', scope: 'probe', speaksFor: ['cloudflare'], publicKey: CF_KEY.publicKey },
      { id: OPS.id, scope: 'operator' },
    ] });
    expect((await post(r, 'probe-use1', AWS_KEY.privateKey, JSON.stringify(batch('aws:us-east-1', r.clock.now(), 'healthy')))).status).toBe(200);
    expect((await post(r, 'probe-use1', AWS_KEY.privateKey, JSON.stringify(batch('aws:eu-west-1', r.clock.now(), 'healthy')))).status).toBe(403);
  });
});

describe('LB1-ECDSA-P256-SHA256', () => {
  it('refuses a tampered body, a forged signature and an HMAC-length signature', async () => {
    const r = await rig();
    const body = JSON.stringify(batch('aws:us-east-1', r.clock.now(), 'healthy'));
    const headers = await signRequestEcdsa({ method: 'POST', path: '/v1/observations', body, keyId: 'probe-aws', privateKey: await importPrivateKey(AWS_KEY.privateKey, 'probe-aws'), now: r.clock.now() });
    const tampered = await r.app.fetch(new Request('https://c.example/v1/observations', { method: 'POST', headers, body: body.replace('healthy', 'unhealthy') }));
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ error: 'bad_signature' });
    // Signed with the Cloudflare private key but claiming the AWS key id.
    const forged = await post(r, 'probe-aws', CF_KEY.privateKey, body);
    expect(forged.status).toBe(401);
    const short = await post(r, 'probe-aws', AWS_KEY.privateKey, body, (h) => { h['X-Lifeboat-Signature'] = h['X-Lifeboat-Signature']!.slice(0, 64); });
    expect(short.status).toBe(401);
    expect(await short.json()).toMatchObject({ error: 'bad_signature', detail: expect.stringContaining('LB1-ECDSA-P256-SHA256') });
    expect(await r.store.get(SERVICE)).toBeNull();
  });

  it('needs no secret at the coordinator: the composition never asks the store for an ECDSA key', async () => {
    const asked: string[] = [];
    const secrets: SecretSource = { async get(name) { asked.push(name); return OPS.hex; } };
    const r = await rig({ secrets });
    expect((await post(r, 'probe-aws', AWS_KEY.privateKey, JSON.stringify(batch('aws:us-east-1', r.clock.now(), 'healthy')))).status).toBe(200);
    expect(asked).toEqual([]);
  });
});

describe('rotation with overlap', () => {
  it('accepts both keys while both are in the config, and only the new one once the old is removed', async () => {
    const both = [
      { id: 'probe-aws-old', scope: 'probe' as const, speaksFor: ['aws'], publicKey: AWS_KEY.publicKey },
      { id: 'probe-aws-new', scope: 'probe' as const, speaksFor: ['aws'], publicKey: AWS_NEXT.publicKey },
      { id: 'probe-cf', scope: 'probe' as const, speaksFor: ['cloudflare'], publicKey: CF_KEY.publicKey },
      { id: OPS.id, scope: 'operator' as const },
    ];
    const r = await rig({ keys: both });
    expect((await post(r, 'probe-aws-old', AWS_KEY.privateKey, JSON.stringify(batch('aws:us-east-1', r.clock.now(), 'healthy')))).status).toBe(200);
    expect((await post(r, 'probe-aws-new', AWS_NEXT.privateKey, JSON.stringify(batch('aws:eu-west-1', r.clock.now(), 'healthy')))).status).toBe(200);

    const after = await rig({ keys: both.filter((k) => k.id !== 'probe-aws-old') });
    const old = await post(after, 'probe-aws-old', AWS_KEY.privateKey, JSON.stringify(batch('aws:us-east-1', after.clock.now(), 'healthy')));
    expect(old.status).toBe(401);
    expect(await old.json()).toMatchObject({ error: 'unknown_key' });
    expect((await post(after, 'probe-aws-new', AWS_NEXT.privateKey, JSON.stringify(batch('aws:us-east-1', after.clock.now(), 'healthy')))).status).toBe(200);
  });
});

describe('missing secrets', () => {
  it('a missing or malformed key secret refuses that key alone (401 unknown_key), logged by id and secret name', async () => {
    const r = await rig({
      keys: [...defaultKeys, { id: 'ops-bob', scope: 'operator' }],
      secrets: mapSecretSource({ [keyEnvVar('ops-bob')]: 'not-hex-at-all' }),
    });
    const res = await operator(r, 'GET', '/v1/status');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'unknown_key' });
    // The probes are not locked out by the operator key's missing secret.
    expect((await post(r, 'probe-aws', AWS_KEY.privateKey, JSON.stringify(batch('aws:us-east-1', r.clock.now(), 'healthy')))).status).toBe(200);
    const log = r.logs.join('\n');
    expect(log).toContain('LIFEBOAT_KEY_OPS_ALICE');
    expect(log).toContain('"keyId":"ops-alice"');
    expect(log).not.toContain('not-hex-at-all');
  });

  it('a failing secret store fails closed (500), and the next request asks again', async () => {
    let down = true;
    const secrets: SecretSource = { async get(name) { if (down) throw new SecretFetchError(name, new Error('throttled')); return OPS.hex; } };
    const r = await rig({ secrets });
    expect((await operator(r, 'GET', '/v1/status')).status).toBe(500);
    down = false;
    expect((await operator(r, 'GET', '/v1/status')).status).toBe(200);
  });

  it('a missing webhook URL degrades: healthz 200, probes accepted, status lists it by secret name', async () => {
    const r = await rig({ extra: { notifications: { webhooks: [{ urlFromEnv: 'LIFEBOAT_SLACK_URL' }, { url: 'https://hooks.example/ok' }] } } });
    expect(r.degraded).toEqual([{ what: 'notifications.webhooks[0]', secret: 'LIFEBOAT_SLACK_URL', detail: expect.any(String) }]);
    expect((await r.app.fetch(new Request('https://c.example/healthz'))).status).toBe(200);
    expect((await post(r, 'probe-aws', AWS_KEY.privateKey, JSON.stringify(batch('aws:us-east-1', r.clock.now(), 'healthy')))).status).toBe(200);
    const status = await operator(r, 'GET', '/v1/status');
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ degraded: [{ what: 'notifications.webhooks[0]', secret: 'LIFEBOAT_SLACK_URL' }] });
    expect(r.logs.join('\n')).toContain('LIFEBOAT_SLACK_URL');
  });
});

describe('request bodies are range-checked', () => {
  const override = (until: unknown) => JSON.stringify({ service: SERVICE, action: 'force-secondary', until, reason: 'drill' });

  it.each([
    ['past the largest JavaScript date', 8640000000000001],
    ['more than a year ahead', Date.now() + 400 * 86_400_000],
    ['an ISO time more than a year ahead', '2999-01-01T00:00:00Z'],
  ])('override until %s: 400 naming until, state untouched', async (_, until) => {
    const r = await rig();
    const res = await operator(r, 'POST', '/v1/override', override(until));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request', field: 'until' });
    expect(await r.store.get(SERVICE)).toBeNull();
  });

  it.each([
    ['results[0].latencyMs', (b: ReturnType<typeof batch>) => ({ ...b, results: [{ ...b.results[0]!, latencyMs: 1e308 }] })],
    ['results[0].observedAt', (b: ReturnType<typeof batch>) => ({ ...b, results: [{ ...b.results[0]!, observedAt: 8640000000000001 }] })],
    ['sentAt', (b: ReturnType<typeof batch>) => ({ ...b, sentAt: 1e300 })],
    ['round', (b: ReturnType<typeof batch>) => ({ ...b, round: 2 ** 60 })],
    ['results[0].verdict', (b: ReturnType<typeof batch>) => ({ ...b, controlOk: false })],
    ['vantagePoint', (b: ReturnType<typeof batch>) => ({ ...b, vantagePoint: 'local:invented' })],
  ])('a batch with a bad %s: 400 naming it, nothing stored', async (field, mutate) => {
    const r = await rig();
    const res = await post(r, 'probe-aws', AWS_KEY.privateKey, JSON.stringify(mutate(batch('aws:us-east-1', r.clock.now(), 'healthy'))));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field });
    expect(await r.store.get(SERVICE)).toBeNull();
  });

  it('never answers 500 to a validly signed body, whatever its JSON', async () => {
    const r = await rig();
    const nasty = fc.oneof(fc.constant(8640000000000001), fc.constant(-1), fc.constant(1e308), fc.double(), fc.integer(), fc.string({ maxLength: 30 }), fc.constant(null));
    const batchLike = fc.record({
      vantagePoint: fc.constantFrom('aws:us-east-1', 'cloudflare:apac', 'aws:nowhere', 'local:x'),
      round: nasty, sentAt: nasty, controlOk: fc.boolean(),
      results: fc.array(fc.record({ service: fc.constantFrom(SERVICE, 'other.example'), target: fc.constantFrom('primary', 'secondary', 'x'), verdict: fc.constantFrom('healthy', 'unhealthy', 'abstain'), observedAt: nasty, latencyMs: nasty }, { requiredKeys: ['service', 'target', 'verdict', 'observedAt'] }), { maxLength: 4 }),
    }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(fc.oneof(batchLike, fc.jsonValue()), async (body) => {
      const res = await post(r, 'probe-aws', AWS_KEY.privateKey, JSON.stringify(body) ?? 'null');
      expect(res.status).not.toBe(500);
      const op = await operator(r, 'POST', '/v1/override', JSON.stringify({ service: SERVICE, action: 'freeze', reason: 'fuzz', until: (body as { sentAt?: unknown } | null)?.sentAt ?? 1 }));
      expect(op.status).not.toBe(500);
    }), { numRuns: 60 });
  });
});

describe('time-bounded observations through the API', () => {
  it('answers how many observations were refused for their time, and why', async () => {
    const r = await rig();
    const ahead = r.clock.now() + 365 * 86_400_000;
    // Sent now, observations claiming a year ahead (a sentAt that far ahead is itself a 400: batch-replay.test.ts).
    const res = await post(r, 'probe-aws', AWS_KEY.privateKey, JSON.stringify({ ...batch('aws:us-east-1', ahead, 'unhealthy'), sentAt: r.clock.now() }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 0, refused: 2, refusedReasons: { 'observedAt in the future': 2 } });
    expect((await r.store.get(SERVICE))?.value.votes ?? []).toEqual([]);
  });

  it('refuses an audit query for a service name longer than a DNS name (400 naming service)', async () => {
    const r = await rig();
    const res = await operator(r, 'GET', `/v1/audit?service=${'a'.repeat(254)}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: 'service' });
  });
});
