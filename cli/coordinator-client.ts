/**
 * Signed calls to every coordinator at once. Each gets its own nonce and timestamp; a slow or dead
 * coordinator costs at most the timeout and never hides the other's answer.
 */
import type { Fetch } from '#core/ports.ts';
import { signRequest } from '#core/signing/lb1.ts';
import type { StatusReport } from '#core/api/status.ts';
import type { CoordinatorEndpoint } from '#core/probe/post.ts';
import type { OperatorCredentials } from './credentials.ts';

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
