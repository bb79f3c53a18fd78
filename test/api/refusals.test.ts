/**
 * Issue 14, "anonymous traffic writes nothing": refused requests are counted (status, metric, a
 * rate-limited log line, at most one aggregate audit entry a minute), never an audit row each, and
 * never touch the nonce store; a `read` key reads status and audit and nothing else; a DNS write
 * that keeps failing shows in status as "DNS write failing since ...", with a metric.
 */
import { describe, expect, it } from 'vitest';
import { RefusalCounter } from '#core/api/refusals.ts';
import { loadConfig } from '#core/config/validate.ts';
import { createCoordinatorApp } from '#core/coordinator/compose.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import { jsonLogger } from '#core/log.ts';
import type { CoordinatorMetric, MetricDimensions } from '#core/notify/metrics.ts';
import { signRequest } from '#core/signing/lb1.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { makeKeygenCommand } from '../../cli/commands/keygen.ts';
import { keySchema } from '#core/config/schema.ts';
import { OPERATOR, PROBE, SERVICE, TestClock, batch, keyBytes, testConfigInput } from '../support/coordinators.ts';

const READER = { id: 'read-peer', hex: '33'.repeat(32) };

function rig(options: { failDns?: boolean } = {}) {
  const config = loadConfig(testConfigInput({
    keys: [{ id: PROBE.id, scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: OPERATOR.id, scope: 'operator' }, { id: READER.id, scope: 'read' }],
  }));
  const clock = new TestClock();
  const store = new MemoryStateStore();
  const nonces = new MemoryNonceStore();
  let claims = 0;
  const countingNonces = { claim: (...a: Parameters<MemoryNonceStore['claim']>) => { claims++; return nonces.claim(...a); } };
  const logs: Record<string, unknown>[] = [];
  const metrics: { metric: CoordinatorMetric; value: number; dims?: MetricDimensions }[] = [];
  const zone = new MemoryZone('example.com');
  const provider = new MemoryDnsProvider(zone, {
    name: 'embedded',
    ...(options.failDns ? { beforeCall: () => { throw new Error('AccessDenied: not authorized to change this zone'); } } : {}),
  });
  const built = createCoordinatorApp({
    name: 'aws', config, store, nonces: countingNonces, clock,
    logger: jsonLogger((l) => logs.push(JSON.parse(l) as Record<string, unknown>), {}, 'debug'),
    keys: staticKeyResolver([
      { id: PROBE.id, scope: 'probe', secret: keyBytes(PROBE.hex) },
      { id: OPERATOR.id, scope: 'operator', secret: keyBytes(OPERATOR.hex) },
      { id: READER.id, scope: 'read', secret: keyBytes(READER.hex) },
    ]),
    dnsProvider: () => provider,
    metrics: { count: (metric, value, dims) => metrics.push({ metric, value, ...(dims ? { dims } : {}) }) },
  });
  return { ...built, config, clock, store, logs, metrics, claims: () => claims };
}
type Rig = ReturnType<typeof rig>;

async function call(r: Rig, key: { id: string; hex: string } | null, method: string, path: string, body?: string, tamper = false) {
  const headers = key ? await signRequest({ method, path, ...(body === undefined ? {} : { body }), keyId: key.id, secret: keyBytes(key.hex), now: r.clock.now() }) : {};
  if (tamper) headers['X-Lifeboat-Signature'] = '0'.repeat(64);
  const res = await r.app.fetch(new Request(`https://c.example${path}`, { method, headers, ...(body === undefined ? {} : { body }) }));
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('refused requests are counted, never stored', () => {
  it('a flood of 500 unsigned and 500 badly signed requests writes no audit row and never reaches the nonce store', async () => {
    const r = rig();
    const body = JSON.stringify(batch('aws:us-east-1', r.clock.now(), 'unhealthy'));
    for (let i = 0; i < 500; i++) {
      expect((await call(r, null, 'POST', '/v1/observations', body)).status).toBe(401);
      expect((await call(r, PROBE, 'POST', '/v1/observations', body, true)).json.error).toBe('bad_signature');
    }
    expect(await r.store.audit({ limit: 1000 })).toEqual([]);
    expect(await r.store.list()).toEqual([]);
    expect(r.claims()).toBe(0);
    // One log line per reason for the whole minute, not one per request.
    const lines = r.logs.filter((l) => l.message === 'refused request');
    expect(lines.map((l) => l.error).sort()).toEqual(['bad_signature', 'missing_header']);
    // The metric, per reason.
    const refused = r.metrics.filter((m) => m.metric === 'RefusedRequests');
    expect(refused).toHaveLength(1000);
    expect(refused.filter((m) => m.dims?.Reason === 'bad_signature')).toHaveLength(500);

    const status = await call(r, OPERATOR, 'GET', '/v1/status');
    expect(status.status).toBe(200);
    expect(status.json.refusals).toEqual({ total: 1000, byReason: { missing_header: 500, bad_signature: 500 }, since: expect.any(Number), lastAt: r.clock.now() });
  });

  it('the schedule writes one aggregate audit entry a minute at most', async () => {
    const r = rig();
    for (let i = 0; i < 30; i++) await call(r, null, 'GET', '/v1/status');
    await r.housekeeping();
    expect(await r.store.audit({})).toEqual([]); // under a minute since start: nothing yet
    r.clock.advance(60_000);
    await r.housekeeping();
    await r.housekeeping();
    const audit = await r.store.audit({});
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ kind: 'rejected', service: null, message: 'refused 30 request(s) in 60 s: missing_header 30', data: { total: 30, byReason: { missing_header: 30 } } });
    r.clock.advance(60_000);
    await r.housekeeping(); // nothing refused since: nothing written
    expect(await r.store.audit({})).toHaveLength(1);
  });

  it('logs each reason at most once a minute, then says how many went unlogged', () => {
    const clock = new TestClock(1_000_000);
    const lines: Record<string, unknown>[] = [];
    const counter = new RefusalCounter({ clock, logger: jsonLogger((l) => lines.push(JSON.parse(l) as Record<string, unknown>), {}, 'debug') });
    for (let i = 0; i < 100; i++) counter.record({ reason: 'bad_signature', method: 'POST', path: '/v1/override', detail: 'x' });
    expect(lines).toHaveLength(1);
    clock.advance(59_999);
    counter.record({ reason: 'bad_signature', method: 'POST', path: '/v1/override', detail: 'x' });
    expect(lines).toHaveLength(1);
    clock.advance(1);
    counter.record({ reason: 'bad_signature', method: 'POST', path: '/v1/override', detail: 'x' });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ error: 'bad_signature', unloggedSinceLastLine: 100, totalForReason: 102 });
    counter.merge({ rate_limited: 7, bad_signature: 3, nonsense: 5 } as never);
    expect(counter.snapshot()).toMatchObject({ total: 112, byReason: { bad_signature: 105, rate_limited: 7 } });
  });
});

describe('read keys', () => {
  it('read status and audit, and are refused (wrong_scope) on overrides and observations', async () => {
    const r = rig();
    expect((await call(r, READER, 'GET', '/v1/status')).status).toBe(200);
    expect((await call(r, READER, 'GET', '/v1/audit')).status).toBe(200);
    const override = await call(r, READER, 'POST', '/v1/override', JSON.stringify({ service: SERVICE, action: 'force-secondary', reason: 'drill' }));
    expect(override).toMatchObject({ status: 401, json: { error: 'wrong_scope' } });
    const observe = await call(r, READER, 'POST', '/v1/observations', JSON.stringify(batch('aws:us-east-1', r.clock.now(), 'unhealthy')));
    expect(observe).toMatchObject({ status: 401, json: { error: 'wrong_scope' } });
    expect(await r.store.list()).toEqual([]);
    // A probe key still cannot read.
    expect((await call(r, PROBE, 'GET', '/v1/status')).json.error).toBe('wrong_scope');
  });

  it('`lifeboat keygen --scope read` makes a valid HMAC key entry; read keys cannot speak for vantage points', async () => {
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), err: () => {} } as never;
    const cmd = makeKeygenCommand((n) => new Uint8Array(n).fill(4));
    expect(await cmd.run(['--scope', 'read', '--json'], io)).toBe(0);
    const json = JSON.parse(out.join('')) as { id: string; config: unknown; algorithm: string };
    expect(json).toMatchObject({ id: 'read-040404', algorithm: 'hmac-sha256', config: { id: 'read-040404', scope: 'read' } });
    expect(keySchema.safeParse(json.config).success).toBe(true);
    const bad = keySchema.safeParse({ id: 'read-x1', scope: 'read', speaksFor: ['aws'] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['speaksFor'], message: expect.stringContaining('read key') });
    await expect(cmd.run(['--scope', 'read', '--algorithm', 'ecdsa-p256'], io)).rejects.toThrow('--algorithm: read keys are hmac-sha256');
  });
});

/** Two rounds one interval apart from both providers (a coordinator decides nothing in its first interval). */
async function primaryDies(r: Rig) {
  for (let round = 0; round < 2; round++) {
    for (const vp of ['aws:us-east-1', 'aws:eu-west-1', 'cloudflare:apac'] as const) {
      expect((await call(r, PROBE, 'POST', '/v1/observations', JSON.stringify(batch(vp, r.clock.now(), 'unhealthy')))).status).toBe(200);
    }
    r.clock.advance(r.config.probing.intervalSeconds * 1000);
  }
}

describe('a decision whose DNS write fails', () => {
  it('shows "DNS write failing since ..." in status and counts the failed write', async () => {
    const r = rig({ failDns: true });
    await primaryDies(r);
    const status = await call(r, OPERATOR, 'GET', '/v1/status');
    const failing = (status.json.alerts as { kind: string; message: string; since: number }[]).filter((a) => a.kind === 'flip-failing');
    expect(failing).toHaveLength(1);
    expect(failing[0]!.message).toMatch(/^DNS write failing since \d{4}-\d\d-\d\dT.*: app\.example\.com decided secondary/);
    expect(r.metrics.filter((m) => m.metric === 'FlipsFailed').length).toBeGreaterThan(0);
    expect(r.metrics.filter((m) => m.metric === 'FlipsApplied')).toEqual([]);
    expect(r.metrics.some((m) => m.metric === 'FlipFailing')).toBe(true);
  });

  it('a write that lands counts attempted and applied, and no alert', async () => {
    const r = rig();
    await primaryDies(r);
    expect(r.metrics.filter((m) => m.metric === 'FlipsApplied')).toEqual([{ metric: 'FlipsApplied', value: 1, dims: { Provider: 'embedded' } }]);
    expect(r.metrics.filter((m) => m.metric === 'FlipsAttempted')).toHaveLength(1);
    expect(r.metrics.filter((m) => m.metric === 'ObservationBatches').map((m) => m.dims?.VantagePoint)).toEqual(['aws:us-east-1', 'aws:eu-west-1', 'cloudflare:apac', 'aws:us-east-1', 'aws:eu-west-1', 'cloudflare:apac']);
    expect((await call(r, OPERATOR, 'GET', '/v1/status')).json.alerts).toEqual([]);
  });
});
