import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfig, LifeboatConfigInput } from '#core/config/schema.ts';
import type { Clock, Logger, Sleep } from '#core/ports.ts';
import { MissingTcpConnectError } from '#core/probe/tcp.ts';
import { runRound, mapWithConcurrency, type RoundDeps } from '#core/probe/round.ts';
import { nodeTcpConnect } from '../../functions/runtime/node-tcp.ts';

const servers: Server[] = [];

async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A URL on a port that was open a moment ago and is closed now: connection refused. */
async function closedUrl(): Promise<string> {
  const url = await serve(() => {});
  await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
  return url;
}

const UNRESOLVABLE = 'http://nonexistent.invalid';

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  })));
});

type ServiceInput = LifeboatConfigInput['services'][number];

function service(name: string, primary: string, secondary: string, healthCheck: ServiceInput['healthCheck'] = { type: 'http', path: '/health', timeoutMs: 1_000 }): ServiceInput {
  return { name, primary: { url: primary, a: ['192.0.2.1'] }, secondary: { url: secondary, a: ['192.0.2.2'] }, healthCheck, dns: [{ provider: 'embedded' }] };
}

function config(services: ServiceInput[], controlUrls: string[] = []): LifeboatConfig {
  return loadConfig({
    services,
    vantagePoints: { aws: ['ap-northeast-2'] },
    probing: { recheckDelayMs: 1_000, controlUrls },
    keys: [{ id: 'probe-key', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }],
  });
}

/** A clock that ticks 1 ms per reading, so every reading is distinct and ordered. */
function tickingClock(start = 1_700_000_000_000): Clock & { readings: number[] } {
  const readings: number[] = [];
  return { readings, now: () => { const t = start + readings.length; readings.push(t); return t; } };
}

const noSleep: Sleep = async () => {};

function deps(extra: Partial<RoundDeps> = {}): RoundDeps {
  return { fetch, sleep: noSleep, clock: tickingClock(), ...extra };
}

const health = (status: number): RequestListener => (_req, res) => { res.statusCode = status; res.end(); };

describe('runRound', () => {
  it('probes primary and secondary of every service and returns a plain-data batch', async () => {
    const up = await serve(health(200));
    const down = await serve(health(503));
    const clock = tickingClock();
    const batch = await runRound(
      { config: config([service('app.example.com', up, down), service('api.example.com', down, up)]), vantagePoint: 'aws:ap-northeast-2', round: 7, ranIn: 'ICN' },
      deps({ clock }),
    );
    expect(batch).toMatchObject({ vantagePoint: 'aws:ap-northeast-2', round: 7, ranIn: 'ICN', controlOk: true });
    expect(batch.results.map((r) => [r.service, r.target, r.verdict, r.failure])).toEqual([
      ['app.example.com', 'primary', 'healthy', undefined],
      ['app.example.com', 'secondary', 'unhealthy', 'status'],
      ['api.example.com', 'primary', 'unhealthy', 'status'],
      ['api.example.com', 'secondary', 'healthy', undefined],
    ]);
    for (const r of batch.results) {
      expect(clock.readings).toContain(r.observedAt);
      expect(r.observedAt).toBeLessThan(batch.sentAt);
      expect(r.latencyMs).toEqual(expect.any(Number));
    }
    expect(batch.sentAt).toBe(clock.readings.at(-1));
    expect(JSON.parse(JSON.stringify(batch))).toEqual(batch);
  });

  it('abstains on every target when neither targets nor control URLs answer', async () => {
    const silent = await serve(() => { /* never answers */ });
    const batch = await runRound(
      { config: config([service('app.example.com', silent, UNRESOLVABLE, { type: 'http', path: '/', timeoutMs: 200 })], [await closedUrl()]),
        vantagePoint: 'cloudflare:apac', round: 1 },
      deps(),
    );
    expect(batch.controlOk).toBe(false);
    expect(batch.results.map((r) => [r.verdict, r.failure])).toEqual([['abstain', 'timeout'], ['abstain', 'dns']]);
    expect(batch.ranIn).toBeUndefined();
  });

  it('votes when a control URL answers, even with an error status', async () => {
    const canary = await serve(health(500));
    const batch = await runRound(
      { config: config([service('app.example.com', UNRESOLVABLE, UNRESOLVABLE)], [await closedUrl(), canary]), vantagePoint: 'aws:ap-northeast-2', round: 2 },
      deps(),
    );
    expect(batch.controlOk).toBe(true);
    expect(batch.results.map((r) => r.verdict)).toEqual(['unhealthy', 'unhealthy']);
  });

  it('counts any answer from a target as proof of connectivity', async () => {
    const broken = await serve(health(502));
    const batch = await runRound(
      { config: config([service('app.example.com', UNRESOLVABLE, broken)]), vantagePoint: 'aws:ap-northeast-2', round: 3 },
      deps(),
    );
    expect(batch.controlOk).toBe(true);
    expect(batch.results.map((r) => [r.verdict, r.failure])).toEqual([['unhealthy', 'dns'], ['unhealthy', 'status']]);
  });

  it('rechecks failures with the configured delay', async () => {
    let requests = 0;
    const flaky = await serve((_req, res) => { res.statusCode = requests++ === 0 ? 503 : 200; res.end(); });
    const up = await serve(health(200));
    const delays: number[] = [];
    const batch = await runRound(
      { config: config([service('app.example.com', flaky, up)]), vantagePoint: 'aws:ap-northeast-2', round: 4 },
      deps({ sleep: async (ms) => { delays.push(ms); } }),
    );
    expect(batch.results.map((r) => r.verdict)).toEqual(['healthy', 'healthy']);
    expect(delays).toEqual([1_000]);
    expect(requests).toBe(2);
  });

  it('turns a probe that throws into an unhealthy "network" vote and logs why', async () => {
    const up = await serve((_req, res) => res.end('ok'));
    // A crashed probe proves nothing about connectivity, so a canary keeps the VP voting.
    const cfg = config([service('app.example.com', up, up)], [up]);
    // Bypasses the schema, which would reject this regex: the round must survive it anyway.
    const broken: LifeboatConfig = { ...cfg, services: [{ ...cfg.services[0]!, healthCheck: { ...cfg.services[0]!.healthCheck, bodyMatches: '(' } as never }] };
    const warnings: Record<string, unknown>[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (_m, fields) => { warnings.push(fields ?? {}); } };
    const batch = await runRound({ config: broken, vantagePoint: 'aws:ap-northeast-2', round: 5 }, deps({ logger }));
    expect(batch.results.map((r) => [r.verdict, r.failure])).toEqual([['unhealthy', 'network'], ['unhealthy', 'network']]);
    expect(String(warnings[0]?.detail)).toContain('probe crashed');
  });

  it('refuses to run tcp checks without a TcpConnect, and runs them with one', async () => {
    const up = await serve(health(200));
    const port = Number(new URL(up).port);
    const cfg = config([service('db.example.com', up, up, { type: 'tcp', port, timeoutMs: 1_000 })]);
    await expect(runRound({ config: cfg, vantagePoint: 'aws:ap-northeast-2', round: 6 }, deps())).rejects.toThrow(MissingTcpConnectError);
    const batch = await runRound({ config: cfg, vantagePoint: 'aws:ap-northeast-2', round: 6 }, deps({ tcpConnect: nodeTcpConnect }));
    expect(batch.results.map((r) => r.verdict)).toEqual(['healthy', 'healthy']);
  });

  it('keeps at most `concurrency` probes in flight', async () => {
    const TARGETS = 10; // 5 services x primary and secondary
    let inFlight = 0;
    let peak = 0;
    let arrived = 0;
    let target = 3;
    const held: import('node:http').ServerResponse[] = [];
    const releaseAll = () => { for (const res of held.splice(0)) { inFlight--; res.end(); } };
    // Answers are held until `target` probes are in flight at once (or the round's last one came),
    // then let go a moment later, so a prober over its cap would show it; events, not a race
    // against a fixed delay (a busy machine must not make the probes look serial). The 5 s
    // fallback only ends a run whose prober never reaches `target`, which then fails the peak.
    const slow = await serve((_req, res) => {
      arrived++;
      peak = Math.max(peak, ++inFlight);
      held.push(res);
      if (inFlight >= target || arrived % TARGETS === 0) setTimeout(releaseAll, 20);
      else setTimeout(releaseAll, 5_000);
    });
    const services = Array.from({ length: 5 }, (_, i) => service(`s${i}.example.com`, slow, slow));
    const input = { config: config(services), vantagePoint: 'aws:ap-northeast-2' as const, round: 8 };
    await runRound(input, deps({ concurrency: 3 }));
    expect(peak).toBe(3);
    peak = 0;
    target = TARGETS;
    await runRound(input, deps());
    expect(peak).toBe(TARGETS);
  });
});

describe('mapWithConcurrency', () => {
  it('keeps input order and handles an empty list', async () => {
    expect(await mapWithConcurrency([30, 10, 20], 2, async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms; })).toEqual([30, 10, 20]);
    expect(await mapWithConcurrency([], 4, async (x) => x)).toEqual([]);
  });
});
