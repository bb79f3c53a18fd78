/**
 * What a probe needs from its runtime: fetch, a TCP connector, a clock and a timer. Kept apart
 * from the checks that use them, so the HTTP and TCP checks both depend on this file and never on
 * each other.
 */
import type { Clock, Fetch, Sleep } from '../ports.ts';

/**
 * Resolves once a connection to host:port is established (the adapter then closes it at once).
 * Rejects when the connection fails, with an error `classifyError` understands (a Node-style
 * `code` such as ECONNREFUSED, or a message), or when `signal` aborts. Opening sockets is
 * runtime-specific (node:net, workerd's `connect()`), so each adapter injects one.
 */
export type TcpConnect = (host: string, port: number, signal: AbortSignal) => Promise<void>;

export interface ProbeDeps {
  readonly fetch: Fetch;
  readonly tcpConnect?: TcpConnect;
  readonly clock: Clock;
  /** Waits out probe deadlines (default: real timers; the simulator passes virtual time). */
  readonly timer?: Sleep;
}
