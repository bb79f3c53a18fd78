import { createServer, type Server, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TcpCheckConfig, TargetConfig } from '#core/config/schema.ts';
import { systemClock } from '#core/ports.ts';
import { MissingTcpConnectError, probeTcp, tcpHost } from '#core/probe/tcp.ts';
import { nodeTcpConnect } from '../../functions/runtime/node-tcp.ts';

const deps = { fetch: globalThis.fetch, clock: systemClock, tcpConnect: nodeTcpConnect };
const servers: Server[] = [];
const target: TargetConfig = { url: 'https://127.0.0.1', a: ['127.0.0.1'] };
const tcp = (port: number, timeoutMs = 1_000): TcpCheckConfig => ({ type: 'tcp', port, timeoutMs });

async function openPort(): Promise<{ port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((socket) => { accepted++; socket.destroy(); });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, accepted: () => accepted };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

describe('probeTcp', () => {
  it('is healthy when the port accepts a connection', async () => {
    const { port, accepted } = await openPort();
    const result = await probeTcp(tcp(port), target, deps);
    expect(result.ok).toBe(true);
    expect(result.failure).toBeUndefined();
    await expect.poll(accepted).toBe(1);
  });

  it('is unhealthy with "refused" when nothing listens', async () => {
    const { port } = await openPort();
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const result = await probeTcp(tcp(port), target, deps);
    expect(result).toMatchObject({ ok: false, failure: 'refused' });
  });

  it('classifies an unresolvable host as "dns"', async () => {
    const result = await probeTcp(tcp(443, 3_000), { url: 'https://nonexistent.invalid', cname: 'x.example.com' }, deps);
    expect(result).toMatchObject({ ok: false, failure: 'dns' });
  });

  it('reports its own deadline as "timeout" even if the adapter rejects differently', async () => {
    const stalls = (_h: string, _p: number, signal: AbortSignal) =>
      new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('whatever'))));
    const result = await probeTcp(tcp(443, 100), target, { ...deps, tcpConnect: stalls });
    expect(result).toMatchObject({ ok: false, failure: 'timeout' });
  });

  it('throws a clear error when the runtime gave no TcpConnect', async () => {
    await expect(probeTcp(tcp(443), target, { fetch: globalThis.fetch, clock: systemClock })).rejects.toThrow(MissingTcpConnectError);
  });

  it('takes the hostname from the target URL, without IPv6 brackets', () => {
    expect(tcpHost({ url: 'https://app.example.com:8443/x', cname: 'a.example.com' })).toBe('app.example.com');
    expect(tcpHost({ url: 'http://[::1]:8080', aaaa: ['::1'] })).toBe('::1');
  });
});
