/**
 * Signed calls to every coordinator at once. Each gets its own nonce and timestamp; a slow or dead
 * coordinator costs at most the timeout and never hides the other's answer.
 */
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { Fetch } from '#core/ports.ts';
import { signRequest } from '#core/signing/lb1.ts';
import type { StatusReport } from '#core/api/status.ts';
import type { CoordinatorEndpoint } from '#core/probe/post.ts';
import { requireConfig } from './config-file.ts';
import { coordinatorEndpoints, loadCredentials, type OperatorCredentials } from './credentials.ts';
import { UsageError, type CliIo } from './io.ts';

export const CREDENTIALS_HELP = `Credentials (never flags): LIFEBOAT_KEY_ID + LIFEBOAT_KEY_SECRET (hex), or --credentials FILE,
else ~/.config/lifeboat/credentials.json: {"keyId": "...", "secret": "<hex>"}, mode 0600 (a file
readable by others is refused). The key must have scope "operator".
Coordinators: the config's "coordinators", or LIFEBOAT_COORDINATORS=aws=http://..,cloudflare=http://..`;

/** The flags of every command that calls the coordinators (spread into parseArgs options). */
export const CALLER_FLAGS = {
  config: { type: 'string' },
  credentials: { type: 'string' },
  timeout: { type: 'string' },
} as const;

export interface Caller {
  readonly endpoints: readonly CoordinatorEndpoint[];
  readonly credentials: OperatorCredentials;
  readonly options: CallOptions;
}

/**
 * From the CALLER_FLAGS values to who to call, as whom, and how long to wait. The config is read
 * for coordinator URLs unless LIFEBOAT_COORDINATORS names them.
 */
export async function callerFrom(
  values: { readonly config?: string | undefined; readonly credentials?: string | undefined; readonly timeout?: string | undefined },
  io: CliIo,
  defaults: CallOptions & { readonly timeoutMs: number },
): Promise<Caller> {
  const timeoutMs = values.timeout ? Number(values.timeout) : defaults.timeoutMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new UsageError('--timeout must be a whole number of milliseconds, at least 100');
  let config: LifeboatConfig | null = null;
  if (!io.env.LIFEBOAT_COORDINATORS || values.config) config = (await requireConfig(values.config, io.cwd, io.env)).config;
  return {
    endpoints: coordinatorEndpoints(config, io.env),
    credentials: loadCredentials({ file: values.credentials, env: io.env, cwd: io.cwd }),
    options: { ...defaults, timeoutMs },
  };
}

export type CallResult<T> =
  | { readonly coordinator: string; readonly ok: true; readonly status: number; readonly body: T }
  | {
    readonly coordinator: string;
    readonly ok: false;
    /** Absent when no HTTP answer came (refused, timed out). */
    readonly status?: number;
    readonly error: string;
    readonly body?: unknown;
  };

export interface CallOptions {
  readonly fetch?: Fetch;
  readonly now?: () => number;
  readonly timeoutMs?: number;
}

export async function callAll<T>(
  endpoints: readonly CoordinatorEndpoint[],
  request: { readonly method: 'GET' | 'POST'; readonly path: string; readonly body?: unknown },
  credentials: OperatorCredentials,
  options: CallOptions = {},
): Promise<CallResult<T>[]> {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  return Promise.all(endpoints.map(async ({ name, url }): Promise<CallResult<T>> => {
    const target = `${url.replace(/\/+$/, '')}${request.path}`;
    try {
      const headers = await signRequest({
        method: request.method, url: target, keyId: credentials.keyId, secret: credentials.secret, now: now(),
        ...(body === undefined ? {} : { body }),
      });
      const res = await doFetch(target, {
        method: request.method, signal: AbortSignal.timeout(timeoutMs),
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try { parsed = JSON.parse(text); } catch { /* not JSON: keep the text for the message */ }
      if (!res.ok) {
        const e = parsed as { error?: string; detail?: string };
        return { coordinator: name, ok: false, status: res.status, error: e?.detail ? `${e.error}: ${e.detail}` : `HTTP ${res.status}`, body: parsed };
      }
      return { coordinator: name, ok: true, status: res.status, body: parsed as T };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `unreachable (${e.cause?.code ?? e.message})`;
      return { coordinator: name, ok: false, error: why };
    }
  }));
}

/** `GET /v1/status` from every coordinator: the reports that came, and who did not answer. */
export async function fetchStatus(endpoints: readonly CoordinatorEndpoint[], credentials: OperatorCredentials, options: CallOptions = {}) {
  const results = await callAll<StatusReport>(endpoints, { method: 'GET', path: '/v1/status' }, credentials, options);
  const reports = results.filter((r): r is Extract<CallResult<StatusReport>, { ok: true }> => r.ok).map((r) => ({ ...r.body, coordinator: r.coordinator }));
  const unreachable = results.filter((r) => !r.ok).map((r) => ({ coordinator: r.coordinator, error: (r as { error: string }).error }));
  return { reports, unreachable };
}
