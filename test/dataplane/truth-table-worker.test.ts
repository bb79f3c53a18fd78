/**
 * Truth-table rows (docs/data-plane.md) with the REAL Cloudflare coordinator: the Worker bundled as
 * wrangler bundles it and run in workerd on loopback (cli/local/cloudflare-coordinator.ts, as the
 * local run starts it), so its gate (only the exact verdict paths pass unsigned), its coordinator
 * Durable Object and its SQLite storage all sit between the signed observation batches it decides
 * on and the page Route 53's checkers read. The AWS side is as in truth-table.test.ts: a
 * coordinator on DynamoDB over dynalite whose tick reads the Worker with the real peer watch
 * (signed with the read key, through the gate) and publishes the memories with the Lambda's own
 * publishVerdicts. The Route 53 model (test/support/route53-health-model.ts) evaluates, and the
 * answer is read back with dig from the embedded DNS server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { createCoordinatorApp } from '#core/coordinator/compose.ts';
import { PeerWatch } from '#core/coordinator/peer.ts';
import { verdictIds, type VerdictIds } from '#core/dns/data-plane.ts';
import { VerdictMemory } from '#core/dns/data-plane-memory.ts';
import { MemoryZone } from '#core/dns/memory.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import { silentLogger, systemClock } from '#core/ports.ts';
import { keyEnvVar, staticKeyResolver } from '#core/signing/keys.ts';
import { signRequest } from '#core/signing/lb1.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { DynamoStateStore } from '../../functions/dynamo/state-store.ts';
import { publishVerdicts } from '../../functions/coordinator.ts';
import { bundleWorker, startCloudflareCoordinator, type LocalWorker } from '../../cli/local/cloudflare-coordinator.ts';
import { startDnsServer, type RunningDnsServer } from '../../cli/local/dns-server.ts';
import { startDynalite, type Dynalite } from '../functions/dynamo/dynalite.ts';
import { keyBytes, OPERATOR, PRIMARY_IP, PROBE, SECONDARY_IP, SERVICE, TestClock } from '../support/coordinators.ts';
import { serveFetch, type Served } from '../support/serve-fetch.ts';
import type { ModelCloudWatch, Route53Model } from '../support/route53-health-model.ts';
import { dataPlaneInput, dataPlaneModel, MINUTE, READER, SECRET_HEX, servedAnswer, VPS } from './shape.ts';

const SECRET = keyBytes(SECRET_HEX);
/** One-second probing interval: the Worker decides on its own (real) clock, within seconds. */
const INTERVAL_S = 1;
const config: LifeboatConfig = loadConfig(dataPlaneInput({
  probing: { intervalSeconds: INTERVAL_S, recheckDelayMs: 200, controlUrls: [] },
  // The Worker's gate resolves keys from the config: the peer watch's read key is one of them.
  keys: [
    { id: PROBE.id, scope: 'probe', speaksFor: ['aws', 'cloudflare'] },
    { id: OPERATOR.id, scope: 'operator' },
    { id: READER.id, scope: 'read' },
  ],
}));

let dynalite: Dynalite;
let dns: RunningDnsServer;
let dir: string;
let scriptPath: string;
const zone = new MemoryZone('example.com');
let ids: VerdictIds;
/** The verdict path a stranger would derive with another secret: not the service's page. */
let guessed: VerdictIds;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-truth-worker-'));
  const configPath = join(dir, 'lifeboat.config.json');
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  [dynalite, dns, scriptPath, ids, guessed] = await Promise.all([
    startDynalite(),
    startDnsServer({ zone, apex: 'example.com', port: 0, host: '127.0.0.1', ttl: 1 }),
    bundleWorker({ configPath, outDir: join(dir, 'worker') }),
    verdictIds(SECRET, SERVICE),
    verdictIds(keyBytes('77'.repeat(32)), SERVICE),
  ]);
}, 60_000);
afterAll(async () => {
  await dns?.close();
  await dynalite?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The Worker's secrets as `wrangler secret put` gives them (the local run passes the same names). */
const bindings = {
  LOG_LEVEL: 'error',
  LIFEBOAT_DATA_PLANE_SECRET: SECRET_HEX,
  [keyEnvVar(PROBE.id)]: PROBE.hex,
  [keyEnvVar(OPERATOR.id)]: OPERATOR.hex,
  [keyEnvVar(READER.id)]: READER.hex,
};

interface World {
  readonly clock: TestClock;
  /** The AWS coordinator; `down`: stopped serving, and its tick no longer runs. */
  readonly aws: { readonly app: ReturnType<typeof createCoordinatorApp>; readonly served: Served; down: boolean };
  /** The Worker in workerd; null once stopped (its URL then refuses connections). */
  worker: LocalWorker | null;
  readonly workerUrl: string;
  /** The path Route 53's Cloudflare child checks (the service's page unless a row aims it elsewhere). */
  cloudflarePath: string;
  readonly cloudWatch: ModelCloudWatch;
  readonly model: Route53Model;
  /** The AWS tick's peer watch; null: the Cloudflare verdict is never mirrored (no read key). */
  readonly peer: PeerWatch | null;
  readonly memory: VerdictMemory;
  close(): Promise<void>;
}

async function world(options: { mirror: boolean } = { mirror: true }): Promise<World> {
  const clock = new TestClock();
  const store = new DynamoStateStore({ client: dynalite.client(), tableName: await dynalite.table() });
  const app = createCoordinatorApp({
    name: 'aws', config, store, nonces: new MemoryNonceStore(), clock, logger: silentLogger,
    keys: staticKeyResolver([
      { id: PROBE.id, scope: 'probe', secret: keyBytes(PROBE.hex) },
      { id: OPERATOR.id, scope: 'operator', secret: keyBytes(OPERATOR.hex) },
    ]),
    dnsProvider: (record) => { throw new Error(`a DNS provider was built for ${record.provider}: data-plane mode must not call Route 53`); },
    dataPlaneSecret: SECRET,
  });
  const served = await serveFetch((req) => app.app.fetch(req));
  const persistDir = mkdtempSync(join(dir, 'durable-objects-'));
  const worker = await startCloudflareCoordinator({ scriptPath, persistDir, bindings });
  const { cloudWatch, model } = dataPlaneModel({ now: () => clock.now() });
  // The Worker checks the read signature against its own clock, so the watch signs with the real one.
  const peer = options.mirror
    ? new PeerWatch({
      self: 'aws', peer: { name: 'cloudflare', url: `${worker.url}/` }, key: { id: READER.id, secret: keyBytes(READER.hex) },
      fetch: (url, init) => fetch(url, { ...init, redirect: 'manual' }),
      clock: systemClock, logger: silentLogger, timeoutMs: 5_000,
      ownActive: async () => new Map((await app.coordinator.states()).map(({ state }) => [state.service, state.active] as const)),
    })
    : null;
  const w: World = {
    clock, aws: { app, served, down: false }, worker, workerUrl: worker.url, cloudflarePath: ids.path, cloudWatch, model, peer,
    memory: new VerdictMemory('aws', 'cloudflare'),
    close: async () => {
      if (!w.aws.down) await served.close();
      await w.worker?.stop();
    },
  };
  return w;
}

/** One minute's AWS tick (peer read, memories published as EMF), then Route 53's evaluation. */
async function tick(w: World) {
  if (!w.aws.down) await tickAws(w);
  w.model.add({ kind: 'endpoint', id: 'aws', url: `${w.aws.served.url}${ids.path}`, searchString: ids.token, inverted: true });
  w.model.add({ kind: 'endpoint', id: 'cloudflare', url: `${w.workerUrl}${w.cloudflarePath}`, searchString: ids.token, inverted: true });
  await w.model.evaluate();
}

async function tickAws(w: World) {
  await w.peer?.check();
  await publishVerdicts({ config: () => config, writeMetric: (line) => w.cloudWatch.putEmf(line) }, w.memory, w.aws.app.coordinator, w.peer, w.clock);
}

async function minutes(w: World, n: number) {
  for (let i = 0; i < n; i++) {
    w.clock.advance(MINUTE);
    await tick(w);
  }
}

async function stopAws(w: World) {
  await w.aws.served.close();
  w.aws.down = true;
}

/** The AWS coordinator decides on its own (test) clock, as in truth-table.test.ts. */
async function awsDecidesFailover(w: World) {
  for (let round = 1; round <= 3; round++) {
    for (const vp of VPS) await w.aws.app.coordinator.ingest(unhealthyPrimary(vp, round, w.clock.at), PROBE.id);
    w.clock.advance(INTERVAL_S * 1000);
  }
  expect(await w.aws.app.coordinator.states()).toContainEqual(expect.objectContaining({ state: expect.objectContaining({ active: 'secondary' }) }));
}

async function stopWorker(w: World) {
  await w.worker!.stop();
  w.worker = null;
}

function unhealthyPrimary(vp: VantagePoint, round: number, at: number): ObservationBatch {
  return {
    vantagePoint: vp, round, sentAt: at, controlOk: true,
    results: [
      { service: SERVICE, target: 'primary', verdict: 'unhealthy', observedAt: at, latencyMs: 40, failure: 'timeout' },
      { service: SERVICE, target: 'secondary', verdict: 'healthy', observedAt: at, latencyMs: 50 },
    ],
  };
}

/** A vantage point's batch posted to the Worker as the probes post it: LB1-signed with the probe key. */
async function postToWorker(w: World, b: ObservationBatch): Promise<void> {
  const url = `${w.workerUrl}/v1/observations`;
  const body = JSON.stringify(b);
  const headers = await signRequest({ method: 'POST', url, body, keyId: PROBE.id, secret: keyBytes(PROBE.hex), now: Date.now() });
  const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  if (!res.ok) throw new Error(`the Worker refused a signed batch: ${res.status} ${await res.text()}`);
}

const page = async (w: World, path = ids.path) => {
  const res = await fetch(`${w.workerUrl}${path}`);
  return { status: res.status, text: await res.text() };
};

/** The Worker's /v1/status, signed with the read key as the peer watch signs it. */
async function workerStatus(w: World): Promise<{ degraded?: unknown; alerts?: unknown }> {
  const url = `${w.workerUrl}/v1/status`;
  const headers = await signRequest({ method: 'GET', url, keyId: READER.id, secret: keyBytes(READER.hex), now: Date.now() });
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  return await res.json() as { degraded?: unknown; alerts?: unknown };
}

/**
 * Rounds of "primary unhealthy" from every vantage point until the Worker's own page says fail
 * over. The engine decides on its clock (a streak must be one interval old), so a round goes out
 * each interval; the page is the event waited on, bounded to 15 rounds.
 */
async function workerDecidesFailover(w: World) {
  for (let round = 1; round <= 15; round++) {
    const at = Date.now();
    for (const vp of VPS) await postToWorker(w, unhealthyPrimary(vp, round, at));
    if ((await page(w)).text.includes(ids.token)) return;
    await new Promise((r) => setTimeout(r, INTERVAL_S * 1000));
  }
  throw new Error(`the Worker did not decide failover within 15 rounds; its page: ${(await page(w)).text}`);
}

/** A few minutes of ticks, then Route 53's answer read back with dig. */
async function route53Answer(w: World): Promise<string> {
  await minutes(w, 3);
  return servedAnswer(w.model, config, zone, dns);
}

describe('data-plane truth table through the real Worker (workerd, its gate, Durable Object and SQLite storage)', () => {
  const row = (name: string, body: (w: World) => Promise<void>, expected: string, children: Record<string, boolean>, options?: { mirror: boolean }) =>
    it(name, async () => {
      const w = await world(options);
      try {
        await tick(w);
        await body(w);
        expect(await route53Answer(w)).toBe(expected);
        // Which children carried it (true = healthy = "stay").
        expect(Object.fromEntries(Object.keys(children).map((id) => [id, w.model.status.get(id)])), JSON.stringify(Object.fromEntries(w.model.detail))).toEqual(children);
      } finally {
        await w.close();
      }
    }, 60_000);

  row('1. both up, both stay -> PRIMARY (the Worker\'s page passes the gate and says stay)', async (w) => {
    expect(await page(w)).toEqual({ status: 200, text: 'stay\n' });
    // Data-plane mode needs no AWS credentials in Cloudflare: the Worker must not report them missing.
    const status = await workerStatus(w);
    expect(status.degraded).toBeUndefined();
    expect(status.alerts).toEqual([]);
  }, PRIMARY_IP, { aws: true, cloudflare: true, 'aws-memory': true, 'cloudflare-memory': true });

  row('2. both decided failover (the AWS coordinator and the Worker) -> SECONDARY', async (w) => {
    await awsDecidesFailover(w);
    await workerDecidesFailover(w);
  }, SECONDARY_IP, { aws: false, cloudflare: false, 'aws-memory': false, 'cloudflare-memory': false });

  row('4. only the Worker decided failover -> SECONDARY (its page through the gate, and its verdict mirrored by the AWS tick)', async (w) => {
    await workerDecidesFailover(w);
    expect(await w.aws.app.coordinator.states()).not.toContainEqual(expect.objectContaining({ state: expect.objectContaining({ active: 'secondary' }) }));
  }, SECONDARY_IP, { aws: true, cloudflare: false, 'aws-memory': true, 'cloudflare-memory': false });

  row('8. the AWS coordinator down, the Worker decided failover -> SECONDARY (the Worker\'s page alone carries it)', async (w) => {
    await stopAws(w);
    await workerDecidesFailover(w);
  }, SECONDARY_IP, { aws: true, cloudflare: false, 'aws-memory': true, 'cloudflare-memory': true });

  row('a guessed verdict path is a 404 at the Worker\'s gate and reads as no verdict: the Worker decided failover, unmirrored -> PRIMARY', async (w) => {
    await workerDecidesFailover(w);
    w.cloudflarePath = guessed.path;
    const wrong = await fetch(`${w.workerUrl}${guessed.path}`);
    const zeros = await fetch(`${w.workerUrl}/v1/verdict/${'0'.repeat(64)}`);
    const unknown = await fetch(`${w.workerUrl}/v1/nothing-here`);
    expect([wrong.status, zeros.status, unknown.status]).toEqual([404, 404, 404]);
    const [a, b, c] = await Promise.all([wrong.json(), zeros.json(), unknown.json()]) as Record<string, unknown>[];
    expect(Object.keys(a!)).toEqual(Object.keys(c!));
    expect(Object.keys(b!)).toEqual(Object.keys(c!));
    expect(JSON.stringify([a, b])).not.toContain(ids.token);
    // The right path, at the same moment, does carry the verdict.
    expect((await page(w)).text).toContain(ids.token);
  }, PRIMARY_IP, { cloudflare: true, 'cloudflare-memory': true }, { mirror: false });

  row('18. the Worker decided failover, an AWS tick read it, then the Worker stopped -> SECONDARY (its memory keeps it)', async (w) => {
    await workerDecidesFailover(w);
    await tick(w);
    expect(w.model.status.get('cloudflare-memory')).toBe(false);
    await stopWorker(w);
    await expect(fetch(`${w.workerUrl}${ids.path}`)).rejects.toThrow();
  }, SECONDARY_IP, { aws: true, cloudflare: true, 'aws-memory': true, 'cloudflare-memory': false });

  row('19. residual: the Worker decided failover and stopped before any AWS tick read it -> PRIMARY', async (w) => {
    await workerDecidesFailover(w);
    await stopWorker(w);
  }, PRIMARY_IP, { cloudflare: true, 'cloudflare-memory': true });
});
