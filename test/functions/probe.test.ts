/**
 * The probe Lambda against loopback targets and loopback coordinators: one that verifies the
 * LB1 signature of every post, and one that never answers. The signing key comes from the
 * loopback SSM through the real SSMClient.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger } from '#core/log.ts';
import { probeJitterMaxMs, probePhaseMs } from '#core/probe/schedule.ts';
import type { ObservationBatch } from '#core/model.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { verifyRequest } from '#core/signing/lb1.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { createProbeHandler, roundsPerInvocation, type ProbeHandlerDeps } from '../../functions/probe.ts';
import { SsmSecretSource } from '../../functions/secrets.ts';
import { PROBE_KEY, scheduledEvent, SERVICE, testConfig } from './helpers.ts';
import { SsmFixture } from './ssm-fixture.ts';

const servers: Server[] = [];
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Received { readonly at: number; readonly batch: ObservationBatch; readonly verified: boolean }
const received: Received[] = [];
const keys = staticKeyResolver([{ id: PROBE_KEY.id, scope: 'probe', secret: new Uint8Array(Buffer.from(PROBE_KEY.hex, 'hex')) }]);
const nonces = new MemoryNonceStore();
const ssm = new SsmFixture().put(`/lifeboat/keys/${PROBE_KEY.id}`, PROBE_KEY.hex);
let primary = '';
let secondary = '';
let fast = '';
let slow = '';
let ssmEndpoint = '';

beforeAll(async () => {
  primary = await serve((_req, res) => { res.writeHead(503); res.end('down'); });
  secondary = await serve((_req, res) => { res.writeHead(200); res.end('ok'); });
  fast = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
      void verifyRequest({ method: req.method!, path: req.url!, headers, body }, { keys, nonces, now: Date.now(), requiredScope: 'probe' }).then((v) => {
        received.push({ at: Date.now(), batch: JSON.parse(Buffer.from(body).toString('utf8')) as ObservationBatch, verified: v.ok });
        res.writeHead(v.ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
  });
  // Accepts the connection and never answers.
  slow = await serve(() => {});
  ssmEndpoint = await ssm.start();
});

afterAll(async () => {
  for (const s of servers) { s.closeAllConnections(); await new Promise<void>((r) => s.close(() => r())); }
  await ssm.stop();
});

function deps(extra: Partial<ProbeHandlerDeps> = {}): ProbeHandlerDeps {
  const config = testConfig({
    services: [{
      name: SERVICE,
      primary: { url: primary, a: ['198.51.100.10'] },
      secondary: { url: secondary, a: ['198.51.100.20'] },
      healthCheck: { type: 'http', path: '/healthz', timeoutMs: 1_000 },
      dns: [{ provider: 'route53', hostedZoneId: 'ZTESTZONE0001' }],
    }],
    probing: { intervalSeconds: 1, recheckDelayMs: 50, controlUrls: [] },
    coordinators: { aws: { url: fast }, cloudflare: { url: slow } },
  });
  return {
    config: () => config,
    region: 'ap-northeast-2',
    keyId: PROBE_KEY.id,
    keyParameterPrefix: '/lifeboat/keys/',
    secrets: () => new SsmSecretSource(new SSMClient({ region: 'ap-northeast-2', endpoint: ssmEndpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 })),
    logger: jsonLogger(() => {}),
    postTimeoutMs: 2_500,
    windowMs: 3_000,
    ...extra,
  };
}

describe('probe handler', () => {
  it('plans one minute of rounds at the interval', () => {
    expect(roundsPerInvocation(10)).toBe(6);
    expect(roundsPerInvocation(7)).toBe(8);
    expect(roundsPerInvocation(60)).toBe(1);
    expect(roundsPerInvocation(300)).toBe(1);
  });

  it('runs its rounds on the interval, posts signed batches, and a silent coordinator delays nothing', async () => {
    received.length = 0;
    const started = Date.now();
    const summary = await createProbeHandler(deps())(scheduledEvent('ap-northeast-2'), { getRemainingTimeInMillis: () => 60_000 });
    expect(summary).toMatchObject({ vantagePoint: 'aws:ap-northeast-2', rounds: 3, planned: 3, stoppedEarly: false });
    expect(received).toHaveLength(3);
    expect(received.every((r) => r.verified)).toBe(true);
    const batch = received[0]!.batch;
    expect(batch).toMatchObject({ vantagePoint: 'aws:ap-northeast-2', ranIn: 'ap-northeast-2', controlOk: true });
    expect(batch.results).toEqual(expect.arrayContaining([
      expect.objectContaining({ service: SERVICE, target: 'primary', verdict: 'unhealthy', failure: 'status' }),
      expect.objectContaining({ service: SERVICE, target: 'secondary', verdict: 'healthy' }),
    ]));
    // The rounds kept their 1 s spacing although each post to the silent coordinator hung for 2.5 s
    // (the first round waits for this region's phase in the interval, plus at most the jitter).
    const offsets = received.map((r) => r.at - started);
    expect(offsets[2]!).toBeLessThan(probePhaseMs('aws:ap-northeast-2', 1_000) + probeJitterMaxMs(1_000) + 2_000 + 1_000);
    expect(received[1]!.batch.round).toBeGreaterThan(received[0]!.batch.round);
    // Every post to the silent one timed out, and the handler waited for them before returning.
    const slowPosts = summary.posts.flat().filter((p) => p.coordinator === 'cloudflare');
    expect(slowPosts).toHaveLength(3);
    expect(slowPosts.every((p) => !p.ok && /timeout|abort/i.test(p.error ?? ''))).toBe(true);
  });

  it('stops early when the invocation is running out of time', async () => {
    received.length = 0;
    let calls = 0;
    const summary = await createProbeHandler(deps())(scheduledEvent('ap-northeast-2'), {
      getRemainingTimeInMillis: () => (calls++ === 0 ? 60_000 : 3_000),
    });
    expect(summary).toMatchObject({ rounds: 1, planned: 3, stoppedEarly: true });
  });

  it('fails the invocation when its signing key is missing, naming the parameter', async () => {
    // A configured key for this provider whose SSM parameter was never put.
    const base = deps({ keyId: 'probe-missing' });
    const config = base.config();
    const withKey = { ...config, keys: [...config.keys, { id: 'probe-missing', scope: 'probe' as const, speaksFor: ['aws'] }] };
    const handler = createProbeHandler({ ...base, config: () => withKey });
    await expect(handler(scheduledEvent(), { getRemainingTimeInMillis: () => 60_000 })).rejects.toThrow('/lifeboat/keys/probe-missing');
  });

  it('fails the invocation when LIFEBOAT_PROBE_KEY_ID names a key the config does not have', async () => {
    const handler = createProbeHandler(deps({ keyId: 'probe-nowhere' }));
    await expect(handler(scheduledEvent(), { getRemainingTimeInMillis: () => 60_000 })).rejects.toThrow('probe key "probe-nowhere" is not in the config');
  });
});
