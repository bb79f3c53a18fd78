/**
 * Issue 14: optional secrets degrade, never stop, on the Cloudflare side: the real Worker and its
 * coordinator Durable Object in workerd (the local run), with one optional Worker secret taken
 * away at a time: the webhook URL, the Cloudflare DNS token and the peer read key (the TSIG
 * secret's composition path is the same `optional` one; the AWS side covers it against BIND in
 * test/functions/optional-secrets.test.ts). Each time: /healthz answers, batches are accepted,
 * the failover is decided, the remaining providers flip, and status names the secret in `degraded`.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { keyEnvVar } from '#core/signing/keys.ts';
import { CloudflareFixture } from '../fixtures/cloudflare-server.ts';
import { PRIMARY_IP, SECONDARY_IP, SERVICE, startE2E, steady, waitFor, INTERVAL_S, type E2E } from './harness.ts';

const CF_TOKEN = 'cf-token-e2e-optional';
const CF_ZONE = 'd'.repeat(32);
const READ_KEY = 'peer-read';
const SECRET = { webhook: 'LIFEBOAT_HOOK_URL', cloudflareToken: 'CLOUDFLARE_API_TOKEN', peerReadKey: keyEnvVar(READ_KEY) } as const;
type Optional = keyof typeof SECRET;

const cf = new CloudflareFixture(CF_TOKEN);
let cfBase = '';
let e: E2E | undefined;
beforeAll(async () => { cfBase = await cf.start(); });
afterAll(async () => { await cf.stop(); });
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

for (const missing of Object.keys(SECRET) as Optional[]) {
  it(`the Cloudflare coordinator without ${SECRET[missing]}: serves, decides, flips what it can, says degraded`, { timeout: 120_000 }, async () => {
    cf.addZone(CF_ZONE);
    cf.seed(CF_ZONE, [{ name: SERVICE, type: 'A', content: PRIMARY_IP, ttl: 60, proxied: false }]);
    const bindings: Record<string, string | undefined> = {
      CLOUDFLARE_API_BASE_URL: cfBase,
      [SECRET.webhook]: 'http://127.0.0.1:9/hook',
      [SECRET.cloudflareToken]: CF_TOKEN,
    };
    bindings[SECRET[missing]] = undefined;
    e = await startE2E({}, { cloudflareBindings: bindings }, (input) => ({
      ...input,
      services: input.services.map((s) => ({ ...s, dns: [...s.dns, { provider: 'cloudflare' as const, zoneId: CF_ZONE, ttl: 60 }] })),
      keys: [...input.keys, { id: READ_KEY, scope: 'read' as const }],
      coordinators: { aws: { url: 'http://127.0.0.1:9' } },
      notifications: { webhooks: [{ urlFromEnv: SECRET.webhook }] },
    }));
    const worker = e.run.coordinators().find((c) => c.name === 'cloudflare')!;
    expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
    await steady(e); // batches accepted by both coordinators
    // The Cloudflare coordinator decides alone, so its own flips are what DNS shows.
    await e.run.stopCoordinator('aws');
    await e.primary().stop();
    await waitFor('DNS to serve the secondary', async () => (await e!.answer()).join() === SECONDARY_IP, INTERVAL_S * 1000 * 20);
    const [report] = await e.status();
    const r = report as typeof report & { degraded?: { secret: string }[] };
    expect(r!.coordinator).toBe('cloudflare');
    expect(r!.services[0]).toMatchObject({ active: 'secondary', lastDecision: { cause: 'primary-unhealthy' } });
    expect(r!.degraded?.map((d) => d.secret)).toEqual([SECRET[missing]]);
    expect(cf.records(CF_ZONE, SERVICE, 'A').map((x) => x.content)).toEqual([missing === 'cloudflareToken' ? PRIMARY_IP : SECONDARY_IP]);
  });
}
