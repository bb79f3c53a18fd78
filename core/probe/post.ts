/**
 * Sending a round's observations to every coordinator (AWS and Cloudflare) in parallel, each
 * with its own timeout, so one slow or dead coordinator never delays the others or the next round.
 */
import type { ObservationBatch } from '../model.ts';
import type { Clock, Fetch, Logger, Sleep } from '../ports.ts';
import type { RequestSigner } from '../signing/signer.ts';
import { startDeadline } from './deadline.ts';

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
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
  readonly ms: number;
}

export const DEFAULT_POST_TIMEOUT_MS = 3_000;

export function observationsUrl(base: string): string {
  return new URL('/v1/observations', base).toString();
}

export async function postObservations(batch: ObservationBatch, endpoints: readonly CoordinatorEndpoint[], deps: PostDeps): Promise<PostResult[]> {
  const body = JSON.stringify(batch);
  return Promise.all(endpoints.map(async (endpoint): Promise<PostResult> => {
    const started = deps.clock.now();
    const url = observationsUrl(endpoint.url);
    const deadline = startDeadline(deps.timeoutMs ?? DEFAULT_POST_TIMEOUT_MS, deps.timer);
    try {
      // Signed per coordinator: each gets its own nonce, so one cannot replay to the other.
      const headers = await deps.signer({ method: 'POST', url, body, now: deps.clock.now() });
      const res = await deps.fetch(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
        signal: deadline.signal,
      });
      const ms = deps.clock.now() - started;
      if (res.ok) {
        await res.body?.cancel();
        return { coordinator: endpoint.name, ok: true, status: res.status, ms };
      }
      const detail = (await res.text()).slice(0, 300);
      deps.logger?.warn('coordinator refused observations', { coordinator: endpoint.name, status: res.status, detail });
      return { coordinator: endpoint.name, ok: false, status: res.status, error: detail, ms };
    } catch (err) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      deps.logger?.warn('could not reach coordinator', { coordinator: endpoint.name, error });
      return { coordinator: endpoint.name, ok: false, error, ms: deps.clock.now() - started };
    } finally {
      deadline.clear();
    }
  }));
}

/** The coordinators named in the config, as endpoints. */
export function configuredCoordinators(coordinators: { aws?: { url: string } | undefined; cloudflare?: { url: string } | undefined }): CoordinatorEndpoint[] {
  return Object.entries(coordinators)
    .filter((entry): entry is [string, { url: string }] => entry[1] !== undefined)
    .map(([name, c]) => ({ name, url: c.url }));
}
