import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError } from '#core/probe/classify.ts';
import { nodeTcpConnect } from '../../../functions/runtime/node-tcp.ts';

const servers: Server[] = [];

async function listen(onSocket: (socket: Socket) => void = () => {}): Promise<number> {
  const server = createServer(onSocket);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

const neverAborted = (): AbortSignal => new AbortController().signal;

describe('nodeTcpConnect', () => {
  it('resolves once connected and closes the socket right away', async () => {
    let closedByClient!: () => void;
    const closed = new Promise<void>((resolve) => { closedByClient = resolve; });
    const port = await listen((socket) => {
      socket.on('error', () => {});
      socket.on('close', () => closedByClient());
    });
    await expect(nodeTcpConnect('127.0.0.1', port, neverAborted())).resolves.toBeUndefined();
    // If the adapter leaked the socket, this would wait for the test timeout.
    await closed;
  });

  it('rejects with ECONNREFUSED on a closed port', async () => {
    const port = await listen();
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const error = await nodeTcpConnect('127.0.0.1', port, neverAborted()).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(classifyError(error).failure).toBe('refused');
  });

  it('rejects with a DNS error for an unresolvable name', async () => {
    const error = await nodeTcpConnect('nonexistent.invalid', 80, AbortSignal.timeout(3_000)).then(() => undefined, (e: unknown) => e);
    expect(classifyError(error).failure).toBe('dns');
  });

  it('rejects at once when the signal is already aborted, without connecting', async () => {
    let connections = 0;
    const port = await listen(() => { connections++; });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(nodeTcpConnect('127.0.0.1', port, controller.signal)).rejects.toThrow('stop');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connections).toBe(0);
  });

  it('rejects with the abort reason when aborted while connecting', async () => {
    // A name lookup is still pending when the abort fires, so the socket is not yet connected.
    const controller = new AbortController();
    const pending = nodeTcpConnect('nonexistent.invalid', 80, controller.signal);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
  });
});
