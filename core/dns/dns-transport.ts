/**
 * How core sends one DNS message and gets the answer, injected by the runtime: Node over
 * node:net / node:dgram (functions/runtime/node-dns-transport.ts), a Worker over
 * cloudflare:sockets (workers/dns-transport.ts). Core never opens a socket itself.
 */
import { LifeboatError } from '../errors.ts';

/**
 * Sends one message (no length prefix) to the server and resolves with its one reply (no length
 * prefix). Rejects with a DnsTransportError; must stop when `signal` aborts (the timeout).
 */
export type DnsTransport = (server: DnsServerAddress, message: Uint8Array, options: { readonly signal: AbortSignal }) => Promise<Uint8Array>;

export interface DnsServerAddress {
  readonly host: string;
  readonly port: number;
  /** TCP (default) or UDP. Updates and TSIG fit UDP, but TCP avoids truncation and spoofing. */
  readonly tcp: boolean;
}

/**
 * The message did not get there or back. `retryable` is false only when retrying cannot help
 * (an unknown host name, a transport that cannot do what was asked).
 */
export class DnsTransportError extends LifeboatError {
  override readonly name: string = 'DnsTransportError';
  constructor(message: string, readonly code: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Splits a TCP byte stream into DNS messages (2-byte length prefix, RFC 1035 §4.2.2). */
export class TcpFramer {
  private buf = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array | undefined {
    const next = new Uint8Array(this.buf.length + chunk.length);
    next.set(this.buf);
    next.set(chunk, this.buf.length);
    this.buf = next;
    if (this.buf.length < 2) return undefined;
    const len = (this.buf[0]! << 8) | this.buf[1]!;
    return this.buf.length >= 2 + len ? this.buf.slice(2, 2 + len) : undefined;
  }
}

/** The message with its 2-byte TCP length prefix. */
export function frameTcp(message: Uint8Array): Uint8Array {
  if (message.length > 0xffff) throw new DnsTransportError(`DNS message of ${message.length} bytes is too long for TCP`, 'EMSGSIZE', false);
  const out = new Uint8Array(message.length + 2);
  out[0] = message.length >>> 8;
  out[1] = message.length & 0xff;
  out.set(message, 2);
  return out;
}
