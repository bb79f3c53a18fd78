/**
 * DnsTransport for Node (Lambda, CLI, local run): one message per connection over TCP with the
 * 2-byte length prefix (RFC 1035 §4.2.2), or one datagram over UDP, falling back to TCP when the
 * answer is truncated. Failures become DnsTransportError with node's code (ECONNREFUSED, ...).
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { connect } from 'node:net';
import { DnsTransportError, TcpFramer, frameTcp, type DnsServerAddress, type DnsTransport } from '#core/dns/dns-transport.ts';

/** Retrying cannot fix these: the host name does not resolve, the address is malformed. */
const PERMANENT = new Set(['ENOTFOUND', 'ERR_INVALID_ADDRESS', 'ERR_SOCKET_BAD_PORT', 'EMSGSIZE']);

function transportError(err: unknown, server: DnsServerAddress, proto: string): DnsTransportError {
  if (err instanceof DnsTransportError) return err;
  // The abort is the caller's timeout (a DOMException, whose numeric `code` is not node's).
  const name = (err as Error | undefined)?.name;
  const nodeCode = (err as { code?: unknown } | undefined)?.code;
  const code = name === 'TimeoutError' || name === 'AbortError' ? 'ETIMEDOUT' : typeof nodeCode === 'string' ? nodeCode : 'EIO';
  const what = code === 'ETIMEDOUT' ? 'no answer in time' : (err as Error).message;
  return new DnsTransportError(`DNS over ${proto} to ${server.host}:${server.port}: ${what} (${code})`, code, !PERMANENT.has(code), { cause: err });
}

export const nodeDnsTransport: DnsTransport = async (server, message, { signal }) => {
  if (!server.tcp) {
    const answer = await udpExchange(server, message, signal);
    // TC bit: the answer did not fit a datagram; ask again over TCP.
    if (answer.length < 3 || (answer[2]! & 0x02) === 0) return answer;
  }
  return tcpExchange(server, message, signal);
};

function tcpExchange(server: DnsServerAddress, message: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(transportError(signal.reason, server, 'TCP'));
    const socket = connect({ host: server.host, port: server.port });
    const framer = new TcpFramer();
    let settled = false;
    const onAbort = (): void => finish(transportError(signal.reason, server, 'TCP'));
    function finish(error: unknown, answer?: Uint8Array): void {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      // Later socket errors (a reset while closing) must not crash the process.
      socket.on('error', () => {});
      socket.destroy();
      if (answer) resolve(answer);
      else reject(transportError(error, server, 'TCP'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => socket.write(frameTcp(message)));
    socket.on('data', (chunk: Uint8Array) => {
      const answer = framer.push(chunk);
      if (answer) finish(undefined, answer);
    });
    socket.once('end', () => finish(Object.assign(new Error('the server closed the connection before answering'), { code: 'ECONNRESET' })));
    socket.once('error', (error) => finish(error));
  });
}

function udpExchange(server: DnsServerAddress, message: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(transportError(signal.reason, server, 'UDP'));
    const socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
    let settled = false;
    const onAbort = (): void => finish(transportError(signal.reason, server, 'UDP'));
    function finish(error: unknown, answer?: Uint8Array): void {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.close();
      if (answer) resolve(answer);
      else reject(transportError(error, server, 'UDP'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
    // Only the id of what was sent is an answer; anything else on the port is ignored.
    socket.on('message', (msg: Uint8Array) => {
      if (msg.length >= 2 && msg[0] === message[0] && msg[1] === message[1]) finish(undefined, new Uint8Array(msg));
    });
    socket.once('error', (error) => finish(error));
    socket.send(message, server.port, server.host, (error) => { if (error) finish(error); });
  });
}
