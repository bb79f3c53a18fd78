/**
 * Sending a round's observations to every coordinator (AWS and Cloudflare) in parallel, each
 * with its own timeout, so one slow or dead coordinator never delays the others or the next round.
 * A round too large for one request body (about 560 services at 64 KiB) is split into several
 * batches, each signed on its own; a service's results always travel together.
 */
import type { BatchResult, ObservationBatch } from '../model.ts';
import { MAX_BODY_BYTES } from '../signing/lb1.ts';
import type { Clock, Fetch, Logger, Sleep } from '../ports.ts';
import type { RequestSigner } from '../signing/signer.ts';
import { startDeadline } from './deadline.ts';
import { InputError } from '../errors.ts';

export interface CoordinatorEndpoint {
  /** `aws`, `cloudflare`, ... for logs. */
  readonly name: string;
  /** Base URL; `/v1/observations` is appended. */
  readonly url: string;
}

export interface PostDeps {
  readonly fetch: Fetch;
  readonly clock: Clock;
  /** Signs each post (core/signing/signer.ts). */
  readonly signer: RequestSigner;
  readonly timeoutMs?: number;
  /** Waits out the timeout (default: real timers; the simulator passes virtual time). */
  readonly timer?: Sleep;
  readonly logger?: Logger;
}

export interface PostResult {
  readonly coordinator: string;
  /** True when every part of the round was accepted. */
  readonly ok: boolean;
  /** Batches the round was split into (each posted and signed on its own). */
  readonly parts?: number;
  readonly status?: number;
  readonly error?: string;
  readonly ms: number;
}

export const DEFAULT_POST_TIMEOUT_MS = 3_000;

/** The coordinator's cap on results per batch (core/api/bodies.ts MAX_RESULTS; kept here so probes need no zod). */
export const MAX_RESULTS_PER_BATCH = 1_000;

export function observationsUrl(base: string): string {
  return new URL('/v1/observations', base).toString();
}

const utf8Length = (s: string) => new TextEncoder().encode(s).byteLength;

/**
 * Splits a round into batches whose JSON body is at most `maxBytes` and which hold at most
 * `maxResults` results, sorted by service with each service's results in one batch (the
 * coordinator dates a service's votes by the batch that names it). One batch when it fits.
 */
export function splitBatch(batch: ObservationBatch, maxBytes = MAX_BODY_BYTES, maxResults = MAX_RESULTS_PER_BATCH): ObservationBatch[] {
  const whole = JSON.stringify(batch);
  if (batch.results.length <= maxResults && utf8Length(whole) <= maxBytes) return [batch];
  const base = utf8Length(JSON.stringify({ ...batch, results: [] }));
  const byService = new Map<string, BatchResult[]>();
  for (const r of batch.results) {
    const list = byService.get(r.service);
    if (list) list.push(r);
    else byService.set(r.service, [r]);
  }
  const parts: ObservationBatch[] = [];
  let results: BatchResult[] = [];
  let bytes = base;
  const flush = () => { if (results.length > 0) parts.push({ ...batch, results }); results = []; bytes = base; };
  for (const service of [...byService.keys()].sort()) {
    const group = byService.get(service)!;
    // Each result costs its JSON and a separating comma.
    const size = group.reduce((n, r) => n + utf8Length(JSON.stringify(r)) + 1, 0);
    if (base + size > maxBytes || group.length > maxResults) throw new InputError(`the results for ${service} alone do not fit one batch of ${maxBytes} bytes / ${maxResults} results`);
    if (bytes + size > maxBytes || results.length + group.length > maxResults) flush();
    results.push(...group);
    bytes += size;
  }
  flush();
  return parts;
}

export async function postObservations(batch: ObservationBatch, endpoints: readonly CoordinatorEndpoint[], deps: PostDeps): Promise<PostResult[]> {
  const bodies = splitBatch(batch).map((part) => JSON.stringify(part));
  return Promise.all(endpoints.map(async (endpoint): Promise<PostResult> => {
    const started = deps.clock.now();
    const deadline = startDeadline(deps.timeoutMs ?? DEFAULT_POST_TIMEOUT_MS, deps.timer);
    try {
      const posts = await Promise.all(bodies.map((body) => postOne(endpoint, body, deadline.signal, deps)));
      const failed = posts.find((p) => !p.ok);
      const ms = deps.clock.now() - started;
      const parts = bodies.length > 1 ? { parts: bodies.length } : {};
      if (!failed) return { coordinator: endpoint.name, ok: true, status: posts[0]!.status, ms, ...parts };
      return { coordinator: endpoint.name, ok: false, ...(failed.status !== undefined && { status: failed.status }), error: failed.error, ms, ...parts };
    } finally {
      deadline.clear();
    }
  }));
}

/** One signed POST of one body; never throws. */
async function postOne(endpoint: CoordinatorEndpoint, body: string, signal: AbortSignal, deps: PostDeps): Promise<{ ok: boolean; status?: number; error?: string }> {
  const url = observationsUrl(endpoint.url);
  try {
    // Signed per coordinator: each gets its own nonce, so one cannot replay to the other.
    const headers = await deps.signer({ method: 'POST', url, body, now: deps.clock.now() });
    const res = await deps.fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
      signal,
    });
    if (res.ok) {
      await res.body?.cancel();
      return { ok: true, status: res.status };
    }
    const detail = (await res.text()).slice(0, 300);
    deps.logger?.warn('coordinator refused observations', { coordinator: endpoint.name, status: res.status, detail });
    return { ok: false, status: res.status, error: detail };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    deps.logger?.warn('could not reach coordinator', { coordinator: endpoint.name, error });
    return { ok: false, error };
  }
}

/** The coordinators named in the config, as endpoints. */
export function configuredCoordinators(coordinators: { aws?: { url: string } | undefined; cloudflare?: { url: string } | undefined }): CoordinatorEndpoint[] {
  return Object.entries(coordinators)
    .filter((entry): entry is [string, { url: string }] => entry[1] !== undefined)
    .map(([name, c]) => ({ name, url: c.url }));
}
