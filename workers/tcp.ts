/**
 * TcpConnect for workerd: `connect()` from cloudflare:sockets, resolved once the socket is open
 * (`socket.opened`), then closed at once. Aborting closes the socket and rejects.
 */
import { connect } from 'cloudflare:sockets';
import type { TcpConnect } from '#core/probe/ports.ts';

export const workerTcpConnect: TcpConnect = async (host, port, signal) => {
  signal.throwIfAborted();
  const socket = connect({ hostname: host, port });
  const onAbort = (): void => { void socket.close().catch(() => { /* closing after abort: the abort is the error reported */ }); };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([
      socket.opened,
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
    ]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    // The probe only asks "does the port accept?": close whether it did or not.
    await socket.close().catch(() => { /* already closed or never opened: the outcome above stands */ });
  }
};
