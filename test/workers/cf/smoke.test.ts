import { SELF } from 'cloudflare:test';
import { expect, it } from 'vitest';

it('serves /healthz through the coordinator Durable Object, inside workerd', async () => {
  expect((globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent).toBe('Cloudflare-Workers');
  const res = await SELF.fetch('https://lifeboat.example.workers.dev/healthz');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
  const other = await SELF.fetch('https://lifeboat.example.workers.dev/nope');
  expect(other.status).toBe(404);
});
