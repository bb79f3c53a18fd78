/**
 * The override API over real HTTP: a call built with curl + openssl from the docs is accepted;
 * every forged, replayed, stale, tampered, wrongly scoped or oversized call is refused with the
 * right status and leaves no trace but a refusal count (no audit entry).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signRequest } from '#core/signing/lb1.ts';
import { OPERATOR, PROBE, SECONDARY_IP, SERVICE, keyBytes, servedAddress, startPair, type Pair } from '../support/coordinators.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../docs/sign-request.sh', import.meta.url));

let pair: Pair;
beforeEach(async () => { pair = await startPair(); });
afterEach(async () => { await pair.close(); });

const body = (extra: Record<string, unknown> = {}) => JSON.stringify({ service: SERVICE, action: 'force-secondary', reason: 'DC fire drill', ...extra });

async function post(text: string, headers: Record<string, string>) {
  const res = await fetch(`${pair.aws.served.url}/v1/override`, { method: 'POST', body: text, headers: { ...headers, 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const sign = (text: string, key = OPERATOR, now = pair.clock.now(), nonce?: string) =>
  signRequest({ method: 'POST', path: '/v1/override', body: text, keyId: key.id, secret: keyBytes(key.hex), now, ...(nonce ? { nonce } : {}) });

/**
 * The request changed nothing, not even the audit log (refusals are counted, never stored one by
 * one): the refusal counter went up by exactly one, under this error.
 */
async function expectOnlyCounted(error: string, stateBefore: unknown, auditBefore: number, countedBefore = 0) {
  expect((await pair.aws.store.get(SERVICE))?.value ?? null).toEqual(stateBefore);
  expect(await pair.aws.coordinator.audit({})).toHaveLength(auditBefore);
  const counts = pair.aws.refusals.snapshot();
  expect(counts.byReason).toEqual({ [error]: countedBefore + 1 });
  expect(counts.total).toBe(countedBefore + 1);
  expect(servedAddress(pair.zone)).toBe(stateBefore === null ? undefined : servedAddress(pair.zone));
}

describe('POST /v1/override over HTTP', () => {
  it('accepts the hand-built curl + openssl call of docs/sign-request.sh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-curl-'));
    const file = join(dir, 'override.json');
    writeFileSync(file, body());
    const { stdout } = await run('bash', [script, 'POST', '/v1/override', file], {
      env: { PATH: process.env.PATH, KEY_ID: OPERATOR.id, SECRET_HEX: OPERATOR.hex, LIFEBOAT_URL: pair.aws.served.url },
    });
    expect(JSON.parse(stdout)).toMatchObject({ coordinator: 'aws', active: 'secondary', epoch: 1, override: { action: 'force-secondary', by: OPERATOR.id }, dns: [{ provider: 'embedded', outcome: 'applied' }] });
    expect(servedAddress(pair.zone)).toBe(SECONDARY_IP);
  });

  it('refuses a replayed nonce (401) and changes nothing the second time', async () => {
    const text = body({ action: 'freeze' });
    const headers = await sign(text);
    expect((await post(text, headers)).status).toBe(200);
    const state = (await pair.aws.store.get(SERVICE))!.value;
    const auditBefore = (await pair.aws.coordinator.audit({})).length;
    const replay = await post(text, headers);
    expect(replay).toMatchObject({ status: 401, json: { error: 'replayed_nonce' } });
    await expectOnlyCounted('replayed_nonce', state, auditBefore);
  });

  const cases: [string, number, string, () => Promise<{ text: string; headers: Record<string, string> }>][] = [
    ['an old timestamp', 401, 'stale_timestamp', async () => ({ text: body(), headers: await sign(body(), OPERATOR, pair.clock.now() - 301_000) })],
    ['a tampered body', 401, 'bad_signature', async () => ({ text: body({ reason: 'not what was signed' }), headers: await sign(body()) })],
    ['a probe key (wrong scope)', 401, 'wrong_scope', async () => ({ text: body(), headers: await sign(body(), PROBE) })],
    ['an unknown key', 401, 'unknown_key', async () => ({ text: body(), headers: await sign(body(), { id: 'ops-mallory', hex: '33'.repeat(32) }) })],
    ['a body over 64 KiB', 413, 'body_too_large', async () => {
      const text = body({ reason: 'x'.repeat(70_000) });
      return { text, headers: await sign(text) };
    }],
    ['no signature at all', 401, 'missing_header', async () => ({ text: body(), headers: {} })],
  ];
  for (const [what, status, error, build] of cases) {
    it(`refuses ${what} with ${status} ${error}, leaving only a count`, async () => {
      const { text, headers } = await build();
      const res = await post(text, headers);
      expect(res).toMatchObject({ status, json: { error } });
      expect(typeof res.json.detail).toBe('string');
      await expectOnlyCounted(error, null, 0);
    });
  }

  it('names the field at fault in validation errors', async () => {
    for (const [payload, field] of [
      [{ service: SERVICE, action: 'force-secondary' }, 'reason'],
      [{ service: SERVICE, action: 'reboot', reason: 'drill' }, 'action'],
      [{ service: SERVICE, action: 'freeze', reason: 'drill', until: new Date(pair.clock.now() - 1000).toISOString() }, 'until'],
      [{ service: SERVICE, action: 'freeze', reason: 'drill', until: 'tomorrow' }, 'until'],
      [{ service: 'other.example.com', action: 'freeze', reason: 'drill' }, 'service'],
    ] as const) {
      const text = JSON.stringify(payload);
      const res = await post(text, await sign(text));
      expect(res.status, JSON.stringify(payload)).toBe(field === 'service' ? 404 : 400);
      expect(res.json).toMatchObject({ error: 'invalid_request', field });
      expect(String(res.json.detail)).toContain(`${field}:`);
    }
    expect(await pair.aws.store.get(SERVICE)).toBeNull();
  });

  it('stores the override in the coordinator state store (durable, not in memory of the request)', async () => {
    const text = body({ action: 'freeze' });
    expect((await post(text, await sign(text))).status).toBe(200);
    const stored = await pair.aws.store.get(SERVICE);
    expect(stored!.value.override).toMatchObject({ action: 'freeze', reason: 'DC fire drill', by: OPERATOR.id });
  });
});
