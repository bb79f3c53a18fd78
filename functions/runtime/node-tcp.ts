/**
 * TcpConnect for Node (Lambda, local run): open a socket, report success once connected, close
 * it at once. Errors keep node:net's `code` (ECONNREFUSED, ENOTFOUND, ...) for the classifier.
 */
import { connect } from 'node:net';
import type { TcpConnect } from '#core/probe/ports.ts';

export const nodeTcpConnect: TcpConnect = (host, port, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const socket = connect({ host, port });
    let settled = false;
    const onAbort = (): void => finish(signal.reason ?? new Error('aborted'));
    function finish(error?: unknown): void {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('connect');
      // Later socket errors (e.g. a reset while closing) must not crash the process.
      socket.on('error', () => {});
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    }
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish());
    socket.once('error', (error) => finish(error));
  });
