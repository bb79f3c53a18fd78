import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthCheckConfig, TargetConfig } from '#core/config/schema.ts';
import { systemClock, type Sleep } from '#core/ports.ts';
import { probeTarget, probeWithRecheck } from '#core/probe/probe.ts';
import { nodeTcpConnect } from '../../functions/runtime/node-tcp.ts';

const servers: Server[] = [];

async function serve(handler: RequestListener): Promise<TargetConfig & { port: number }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, a: ['127.0.0.1'], port };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  })));
});

/** Virtual sleep: records the delays asked for and returns at once. */
function recordingSleep(): { sleep: Sleep; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => { delays.push(ms); } };
}

/** Answers the given statuses in turn, then repeats the last one. */
function statuses(...codes: number[]): { handler: RequestListener; requests: () => number } {
  let count = 0;
  return {
    requests: () => count,
    handler: (_req, res) => { res.statusCode = codes[Math.min(count++, codes.length - 1)]!; res.end(); },
  };
}

const http: HealthCheckConfig = { type: 'http', path: '/', method: 'GET', headers: {}, expectStatus: ['200-299'], timeoutMs: 1_000 };

describe('probeTarget', () => {
  it('dispatches http checks to the HTTP probe', async () => {
    const target = await serve((_req, res) => { res.statusCode = 204; res.end(); });
    expect(await probeTarget(http, target, { fetch, clock: systemClock })).toMatchObject({ ok: true, status: 204 });
  });

  it('dispatches tcp checks to the injected TcpConnect', async () => {
    const { port } = await serve(() => {});
    const result = await probeTarget({ type: 'tcp', port, timeoutMs: 1_000 }, { url: 'http://127.0.0.1', a: ['127.0.0.1'] },
      { fetch, clock: systemClock, tcpConnect: nodeTcpConnect });
    expect(result).toEqual({ ok: true, latencyMs: expect.any(Number) });
  });
});

describe('probeWithRecheck', () => {
  it('does not recheck a success', async () => {
    const server = statuses(200);
    const target = await serve(server.handler);
    const { sleep, delays } = recordingSleep();
    const result = await probeWithRecheck(http, target, 1_000, { fetch, clock: systemClock, sleep });
    expect(result.ok).toBe(true);
    expect(result.rechecked).toBeUndefined();
    expect(delays).toEqual([]);
    expect(server.requests()).toBe(1);
  });

  it('rechecks a failure after the delay and reports the second, healthy, result', async () => {
    const server = statuses(503, 200);
    const target = await serve(server.handler);
    const { sleep, delays } = recordingSleep();
    const result = await probeWithRecheck(http, target, 1_000, { fetch, clock: systemClock, sleep });
    expect(result).toMatchObject({ ok: true, status: 200, rechecked: true });
    expect(delays).toEqual([1_000]);
    expect(server.requests()).toBe(2);
  });

  it('reports the second failure when the recheck fails too', async () => {
    const server = statuses(503, 500);
    const target = await serve(server.handler);
    const { sleep } = recordingSleep();
    const result = await probeWithRecheck(http, target, 250, { fetch, clock: systemClock, sleep });
    expect(result).toMatchObject({ ok: false, failure: 'status', status: 500, rechecked: true });
    expect(server.requests()).toBe(2);
  });
});
