/**
 * Ports: the runtime's pieces that core needs, injected by each adapter (Lambda, Worker, local
 * run, simulator). Core writes its own small interfaces instead of importing runtime types.
 */
import type { UnixMs } from './model.ts';
import { LifeboatError } from './errors.ts';

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

/**
 * Where secrets come from: SSM in Lambda, Worker secrets (env) in the Durable Object, a file or the
 * environment in the local run. Names are the store's own (an SSM parameter, an env variable);
 * values are never logged, and errors name the secret, never its value.
 */
export interface SecretSource {
  /** The value; throws SecretNotFoundError (not set) or SecretFetchError (the store failed). */
  get(name: string): Promise<string>;
}

export class SecretError extends LifeboatError {
  override readonly name: string = 'SecretError';
  constructor(message: string, readonly secret: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** The secret's name in its store (an SSM parameter name on AWS). */
  get parameter(): string {
    return this.secret;
  }
}

/** The secret is not set (the operator has not stored it yet). `howToSet` says how, per store. */
export class SecretNotFoundError extends SecretError {
  override readonly name: string = 'SecretNotFoundError';
  constructor(name: string, howToSet?: string) {
    super(`secret ${name} is not set${howToSet ? `: ${howToSet}` : ''}`, name);
  }
}

/** The store could not be asked (throttling, network, access denied). Worth retrying later. */
export class SecretFetchError extends SecretError {
  override readonly name: string = 'SecretFetchError';
  constructor(name: string, cause: unknown, store = 'secret store') {
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`could not read ${name} from the ${store}: ${why}`, name, { cause });
  }
}

/** A fixed map of secrets (tests, the Worker's env, the local run). Empty values count as not set. */
export function mapSecretSource(values: Readonly<Record<string, string | undefined>>, howToSet?: (name: string) => string): SecretSource {
  return {
    async get(name) {
      const value = Object.hasOwn(values, name) ? values[name] : undefined;
      if (value === undefined || value.trim() === '') throw new SecretNotFoundError(name, howToSet?.(name));
      return value;
    },
  };
}
