/**
 * DnsTransport for workerd: one message per connection over TCP (`connect()` from
 * cloudflare:sockets) with the 2-byte length prefix. Workers have no UDP, so `tcp: false` is
 * refused (not retried) with an error saying so. Aborting (the caller's timeout) closes the socket.
 */
import { connect } from 'cloudflare:sockets';
import { DnsTransportError, TcpFramer, frameTcp, type DnsTransport } from '#core/dns/dns-transport.ts';

export const workerDnsTransport: DnsTransport = async (server, message, { signal }) => {
  const where = `DNS over TCP to ${server.host}:${server.port}`;
  if (!server.tcp) throw new DnsTransportError(`DNS over UDP to ${server.host}:${server.port}: a Worker can only use TCP; set tcp: true`, 'EPROTONOSUPPORT', false);
  if (signal.aborted) throw new DnsTransportError(`${where}: no answer in time (ETIMEDOUT)`, 'ETIMEDOUT', true);
  const socket = connect({ hostname: server.host, port: server.port });
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(new DnsTransportError(`${where}: no answer in time (ETIMEDOUT)`, 'ETIMEDOUT', true)), { once: true });
  });
  aborted.catch(() => { /* reported through the race below when it matters */ });
  const exchange = async (): Promise<Uint8Array> => {
    await socket.opened;
    const writer = socket.writable.getWriter();
    await writer.write(frameTcp(message));
    writer.releaseLock();
    const reader = socket.readable.getReader();
    const framer = new TcpFramer();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new DnsTransportError(`${where}: the server closed the connection before answering (ECONNRESET)`, 'ECONNRESET', true);
      const answer = framer.push(value);
      if (answer) return answer;
    }
  };
  try {
    return await Promise.race([exchange(), aborted]);
  } catch (err) {
    if (err instanceof DnsTransportError) throw err;
    // workerd reports a refused or reset connection as a plain Error (no code): worth a retry.
    throw new DnsTransportError(`${where}: ${(err as Error).message}`, 'ESOCKET', true, { cause: err });
  } finally {
    await socket.close().catch(() => { /* already closed: the outcome above stands */ });
  }
};
