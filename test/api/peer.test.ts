/**
 * Issue 14, "the two providers guard each other": a coordinator reads the other's status with a
 * `read` key every minute and alerts (once, then hourly reminders; in status while it lasts) when
 * the other is unreachable, stale, or serves another target beyond the grace period.
 */
import { describe, expect, it } from 'vitest';
import type { NotifyAction } from '#core/coordinator/coordinator.ts';
import { loadConfig } from '#core/config/validate.ts';
import { composeCoordinator } from '#core/coordinator/compose.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import { initialServiceState } from '#core/engine/state.ts';
import { mapSecretSource, silentLogger, type Fetch } from '#core/ports.ts';
import { keyEnvVar } from '#core/signing/keys.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { signRequest } from '#core/signing/lb1.ts';
import { OPERATOR, PROBE, SERVICE, TestClock, keyBytes, testConfigInput } from '../support/coordinators.ts';

const READER = { id: 'read-peer', hex: '33'.repeat(32) };
const config = loadConfig(testConfigInput({
  keys: [{ id: PROBE.id, scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: OPERATOR.id, scope: 'operator' }, { id: READER.id, scope: 'read' }],
  coordinators: { aws: { url: 'https://aws.example' }, cloudflare: { url: 'https://cf.example' } },
  alerts: { email: [], https: [], disagreeAfterMinutes: 3 },
}));
const secrets = mapSecretSource({ [keyEnvVar(PROBE.id)]: PROBE.hex, [keyEnvVar(OPERATOR.id)]: OPERATOR.hex, [keyEnvVar(READER.id)]: READER.hex });
const names = { key: keyEnvVar, cloudflareToken: 'CLOUDFLARE_API_TOKEN', route53Credentials: 'AWS', webhook: (n: string) => n, dnsSecret: (n: string) => n };

async function side(name: 'aws' | 'cloudflare', clock: TestClock, fetch: Fetch, secretSource = secrets) {
  const store = new MemoryStateStore();
  const sent: NotifyAction[] = [];
  const composed = await composeCoordinator({
    name, config, store, nonces: new MemoryNonceStore(), clock, logger: silentLogger, fetch, secrets: secretSource, secretNames: names,
    embedded: new MemoryDnsProvider(new MemoryZone('example.com'), { name: 'embedded' }),
    notifier: { send: async (n) => { sent.push(n); } },
  });
  return { ...composed, store, sent };
}

async function status(s: Awaited<ReturnType<typeof side>>, clock: TestClock) {
  const headers = await signRequest({ method: 'GET', path: '/v1/status', keyId: OPERATOR.id, secret: keyBytes(OPERATOR.hex), now: clock.now() });
  return (await (await s.app.fetch(new Request('https://x/v1/status', { headers }))).json()) as Record<string, any>;
}

describe('peer watch', () => {
  it('reads the peer with the read key: healthy peer, no alert, peer shown in status', async () => {
    const clock = new TestClock();
    let seenKey: string | null = null;
    const cf = await side('cloudflare', clock, async () => new Response('unused'));
    const aws = await side('aws', clock, async (url, init) => {
      const req = new Request(url, init);
      seenKey = req.headers.get('x-lifeboat-key');
      expect(req.url).toBe('https://cf.example/v1/status');
      return cf.app.fetch(req);
    });
    await aws.housekeeping();
    expect(seenKey).toBe(READER.id);
    expect(aws.peer!.health()).toMatchObject({ peer: 'cloudflare', ok: true });
    const s = await status(aws, clock);
    expect(s.peer).toMatchObject({ peer: 'cloudflare', ok: true });
    expect(s.alerts).toEqual([]);
    expect(aws.sent).toEqual([]);
  });

  it('an unreachable peer alerts once, reminds after an hour, shows in status, and clears', async () => {
    const clock = new TestClock();
    let down = true;
    const cf = await side('cloudflare', clock, async () => new Response('unused'));
    const aws = await side('aws', clock, async (url, init) => {
      if (down) throw new TypeError('fetch failed: connect ECONNREFUSED');
      return cf.app.fetch(new Request(url, init));
    });
    await aws.housekeeping();
    expect(aws.sent).toHaveLength(1);
    expect(aws.sent[0]).toMatchObject({ event: 'degraded', text: expect.stringContaining('coordinator cloudflare is unreachable from aws') });
    expect((await status(aws, clock)).alerts).toEqual([expect.objectContaining({ kind: 'peer-unreachable', message: expect.stringContaining('ECONNREFUSED') })]);
    for (let m = 1; m < 60; m++) { clock.advance(60_000); await aws.housekeeping(); }
    expect(aws.sent).toHaveLength(1); // once per incident...
    clock.advance(60_000);
    await aws.housekeeping();
    expect(aws.sent).toHaveLength(2); // ...then hourly reminders
    expect(aws.sent[1]!.text).toMatch(/^\(reminder\)/);
    expect(aws.sent[1]!.key).not.toBe(aws.sent[0]!.key);
    down = false;
    clock.advance(60_000);
    await aws.housekeeping();
    expect((await status(aws, clock)).alerts).toEqual([]);
  });

  it('checks at most once a minute however often the schedule runs', async () => {
    const clock = new TestClock();
    let calls = 0;
    const aws = await side('aws', clock, async () => { calls++; throw new Error('down'); });
    for (let i = 0; i < 6; i++) { await aws.housekeeping(); clock.advance(10_000); }
    expect(calls).toBe(1);
  });

  it('a stale peer (its clock far from ours) counts as unreachable', async () => {
    const clock = new TestClock();
    const aws = await side('aws', clock, async () => Response.json({ coordinator: 'cloudflare', now: clock.now() - 10 * 60_000, services: [] }));
    await aws.housekeeping();
    expect(aws.peer!.health()).toMatchObject({ ok: false, problem: 'stale' });
    expect(aws.sent[0]!.text).toContain('is stale');
  });

  it('a peer serving another target alerts coordinators-disagree only after the grace period', async () => {
    const clock = new TestClock();
    const cf = await side('cloudflare', clock, async () => new Response('unused'));
    await cf.store.put({ ...initialServiceState(SERVICE), active: 'secondary', epoch: 1 }, null);
    const aws = await side('aws', clock, async (url, init) => cf.app.fetch(new Request(url, init)));
    await aws.housekeeping();
    clock.advance(60_000); await aws.housekeeping();
    clock.advance(60_000); await aws.housekeeping();
    expect(aws.sent).toEqual([]); // 2 minutes: within the 3-minute grace
    expect((await status(aws, clock)).alerts).toEqual([]);
    clock.advance(60_000); await aws.housekeeping();
    expect(aws.sent).toEqual([expect.objectContaining({ event: 'disagreement', service: SERVICE, text: expect.stringContaining('aws serves primary, cloudflare serves secondary') })]);
    expect((await status(aws, clock)).alerts).toEqual([expect.objectContaining({ kind: 'coordinators-disagree', service: SERVICE })]);
  });

  it('a missing read-key secret degrades (shown in status), never stops the coordinator', async () => {
    const clock = new TestClock();
    const partial = mapSecretSource({ [keyEnvVar(PROBE.id)]: PROBE.hex, [keyEnvVar(OPERATOR.id)]: OPERATOR.hex });
    const aws = await side('aws', clock, async () => { throw new Error('never called'); }, partial);
    expect(aws.peer).toBeNull();
    await aws.housekeeping();
    const s = await status(aws, clock);
    expect(s.degraded).toEqual([expect.objectContaining({ what: 'peer-watch', secret: keyEnvVar(READER.id) })]);
    expect(s.alerts).toEqual([expect.objectContaining({ kind: 'degraded' })]);
  });
});
