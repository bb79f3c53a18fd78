/**
 * Ports: the runtime's pieces that core needs, injected by each adapter (Lambda, Worker, local
 * run, simulator). Core writes its own small interfaces instead of importing runtime types.
 */
import type { UnixMs } from './model.ts';

export interface Clock {
  now(): UnixMs;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Structured logs: one JSON line each. Never pass secrets in `fields`. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The web-standard fetch, as every runtime has it. */
export type Fetch = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

/** Sleeping, injectable so virtual time can stand in for real time. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => { clearTimeout(timer); reject(signal!.reason); };
    // The listener goes when the sleep ends either way: a long-lived signal must not collect them.
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Random bytes (WebCrypto's getRandomValues in every runtime). */
export type RandomBytes = (length: number) => Uint8Array;

export const webRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));
