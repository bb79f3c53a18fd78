/**
 * Issue 6: `lifeboat override` through both real coordinator code paths (the Lambda handler over
 * dynalite and the Worker's Durable Object in workerd): accepted by both, DNS flipped in the same
 * call, and handed back to automation when `--for` runs out. Judged by DNS and by both
 * coordinators' status.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { fakeIo } from '../cli/fake-io.ts';
import { PRIMARY_IP, SECONDARY_IP, SERVICE, startE2E, steady, waitFor, type E2E } from './harness.ts';

let e: E2E | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

it('force-secondary for 6 s: both coordinators accept, DNS flips at once, then automation is back', async () => {
  e = await startE2E({ failback: 'manual' });
  await steady(e);
  const credentials = join(e.dir, 'operator.json');
  writeFileSync(credentials, JSON.stringify({ keyId: e.run.operator.keyId, secret: Buffer.from(e.run.operator.secret).toString('hex') }));
  chmodSync(credentials, 0o600);
  const env = { LIFEBOAT_COORDINATORS: e.run.coordinators().map((c) => `${c.name}=${c.url}`).join(',') };

  const io = fakeIo(e.dir, env);
  const code = await main(['override', SERVICE, '--to', 'secondary', '--for', '6s', '--reason', 'e2e: planned maintenance drill', '--credentials', credentials, '--json'], io);
  expect(code).toBe(0);
  const { request, results } = JSON.parse(io.stdout.join('\n')) as { request: { until?: string | number }; results: { coordinator: string; ok: boolean }[] };
  expect(results.map((r) => [r.coordinator, r.ok]).sort()).toEqual([['aws', true], ['cloudflare', true]]);
  expect(request.until).toBeDefined();
  // In force at once: DNS already answers the secondary when the command returns.
  expect(await e.answer()).toEqual([SECONDARY_IP]);
  for (const r of await e.status()) {
    expect(r.services[0]).toMatchObject({ active: 'secondary', override: { action: 'force-secondary', by: e.run.operator.keyId } });
  }

  // Expiry: both coordinators drop the override on their own schedule; manual failback keeps DNS.
  await waitFor('both coordinators to expire the override', async () => (await e!.status()).every((r) => r.services[0]!.override === null), 20_000, 250);
  expect(await e.answer()).toEqual([SECONDARY_IP]);
  const audit = fakeIo(e.dir, env);
  expect(await main(['audit', SERVICE, '--credentials', credentials, '--json'], audit)).toBe(0);
  expect(audit.stdout.join('\n')).toMatch(/expired/);

  // And an override back to the primary is again applied at once.
  const back = fakeIo(e.dir, env);
  expect(await main(['override', SERVICE, '--to', 'primary', '--reason', 'e2e: drill over', '--credentials', credentials], back)).toBe(0);
  expect(await e.answer()).toEqual([PRIMARY_IP]);
});
