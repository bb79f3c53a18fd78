/**
 * A round over 1,000 services (2,000 targets) against one loopback server that counts the
 * requests it holds open at once: the structure (every result, in order) and the connection cap
 * (never above it, control checks included) are asserted, never a duration.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { ConnectionGate, RUNTIME_LIMITS } from '#core/probe/connections.ts';
import { runRound, roundConcurrency } from '#core/probe/round.ts';
import { allShards, lambdaCpuBudget, servicesOfShard, servicesPerShard, shardCount } from '#core/probe/shard.ts';

const SERVICES = 1_000;
let server: Server;
let base = '';
const held = { now: 0, peak: 0, requests: 0, controls: 0 };

beforeAll(async () => {
  server = createServer((req, res) => {
    held.now++;
    held.requests++;
    if (req.url === '/control') held.controls++;
    held.peak = Math.max(held.peak, held.now);
    // Injected latency, so the probes' requests overlap at the server (without it the client's own
    // overhead serialises them); the control check answers late, holding its connection meanwhile.
    setTimeout(() => { held.now--; res.end('ok'); }, req.url === '/control' ? 300 : 20);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

function config(services: number, controlUrls: string[] = []): LifeboatConfig {
  return loadConfig({
    services: Array.from({ length: services }, (_, i) => ({
      name: `s${i}.example.com`,
      primary: { url: `${base}/p${i}`, a: ['192.0.2.1'] },
      secondary: { url: `${base}/s${i}`, a: ['192.0.2.2'] },
      healthCheck: { type: 'http' as const, path: '/health', timeoutMs: 5_000 },
      dns: [{ provider: 'embedded' as const }],
    })),
    vantagePoints: { cloudflare: ['apac'] },
    probing: { recheckDelayMs: 1_000, controlUrls },
    keys: [{ id: 'probe-key', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }],
  });
}

const clock = { now: () => Date.now() };
const noSleep = async () => {};

describe('a round over 1,000 services', () => {
  it('returns all 2,000 results and never holds more than the Workers cap of 6 connections, control check included', async () => {
    Object.assign(held, { now: 0, peak: 0, requests: 0, controls: 0 });
    let gatePeak = 0;
    const batch = await runRound(
      { config: config(SERVICES, [`${base}/control`]), vantagePoint: 'cloudflare:apac', round: 1 },
      { fetch, sleep: noSleep, clock, concurrency: RUNTIME_LIMITS.workers.connections, onConnectionsPeak: (p) => { gatePeak = p; } },
    );
    expect(batch.results).toHaveLength(2 * SERVICES);
    expect(batch.results.map((r) => `${r.service}/${r.target}`)).toEqual(
      Array.from({ length: SERVICES }, (_, i) => [`s${i}.example.com/primary`, `s${i}.example.com/secondary`]).flat());
    expect(batch.results.every((r) => r.verdict === 'healthy')).toBe(true);
    expect(held.requests).toBe(2 * SERVICES + held.controls);
    expect(held.controls).toBe(1);
    expect(held.peak).toBeLessThanOrEqual(RUNTIME_LIMITS.workers.connections);
    expect(gatePeak).toBe(RUNTIME_LIMITS.workers.connections);
  }, 120_000);

  it('sizes the default cap so that every target could time out once inside the window', () => {
    // 2,000 targets x 5 s timeout over an 8 s window: 1,250, held to what a Lambda can open.
    expect(roundConcurrency(config(SERVICES), 8_000)).toBe(RUNTIME_LIMITS.lambda.connections);
    expect(roundConcurrency(config(3), 8_000)).toBe(16);
    expect(roundConcurrency(config(3), undefined)).toBe(16);
  });
});

describe('shards', () => {
  it('cover every service exactly once, both targets of a service in one shard', () => {
    const cfg = config(SERVICES);
    const limits = { ...RUNTIME_LIMITS.workers, windowMs: 8_000, expectedLatencyMs: 200 };
    // 6 connections x (8,000 / 200) probes = 240 targets = 120 services per shard.
    expect(servicesPerShard(cfg, limits)).toBe(120);
    const count = shardCount(cfg, limits);
    expect(count).toBe(9);
    const names = Array.from({ length: count }, (_, index) => servicesOfShard(cfg.services, { index, count }).map((s) => s.name)).flat();
    expect(names).toEqual(cfg.services.map((s) => s.name));
  });

  it('keeps a shard inside the subrequest budget (a probe and a recheck per target)', () => {
    const cfg = config(SERVICES);
    // Fast targets: time would allow 6 x 8,000 probes, the 1,000 subrequests do not.
    expect(servicesPerShard(cfg, { ...RUNTIME_LIMITS.workers, windowMs: 8_000, expectedLatencyMs: 1 })).toBe(Math.floor((1_000 - 16) / 4));
    expect(servicesPerShard(cfg, { connections: 512, windowMs: 8_000, expectedLatencyMs: 200 })).toBe(10_240);
  });

  it('keeps a shard inside the CPU an invocation gets (a Lambda: in proportion to its memory)', () => {
    const cfg = config(SERVICES);
    // 7 s x (320 / 1,769) of a core / (2 targets x 2 ms).
    expect(servicesPerShard(cfg, { ...RUNTIME_LIMITS.lambda, windowMs: 7_000, cpu: lambdaCpuBudget(320) })).toBe(316);
    expect(shardCount(cfg, { ...RUNTIME_LIMITS.lambda, windowMs: 7_000, cpu: lambdaCpuBudget(320) })).toBe(4);
    // Node uses one core at most: memory past 1,769 MB buys no more.
    expect(lambdaCpuBudget(3_538).share).toBe(1);
    expect(() => lambdaCpuBudget(0)).toThrow(/memory size/);
    const names = allShards(4).flatMap((shard) => servicesOfShard(cfg.services, shard).map((s) => s.name));
    expect(names).toEqual(cfg.services.map((s) => s.name));
  });

  it('refuses a shard outside the count, naming the field', () => {
    expect(() => servicesOfShard([], { index: 3, count: 3 })).toThrow(/shard\.index/);
    expect(() => servicesOfShard([], { index: 0, count: 0 })).toThrow(/shard\.count/);
  });

  it('round probes only its shard', async () => {
    const cfg = config(10);
    const batch = await runRound({ config: cfg, vantagePoint: 'cloudflare:apac', round: 2, shard: { index: 1, count: 3 } }, { fetch, sleep: noSleep, clock });
    expect([...new Set(batch.results.map((r) => r.service))]).toEqual(['s3.example.com', 's4.example.com', 's5.example.com']);
  });
});

describe('ConnectionGate', () => {
  it('admits at most its limit, first come first served', async () => {
    const gate = new ConnectionGate(2);
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const runs = [0, 1, 2, 3].map((i) => gate.run(() => new Promise<void>((resolve) => { order.push(i); releases.push(resolve); })));
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    releases[0]!();
    await new Promise((r) => setTimeout(r, 0));
    expect(order).toEqual([0, 1, 2]);
    releases.slice(1).forEach((r) => r());
    await new Promise((r) => setTimeout(r, 0));
    releases.forEach((r) => r());
    await Promise.all(runs);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(gate.peak).toBe(2);
    expect(() => new ConnectionGate(0)).toThrow(/connection limit/);
  });
});
