/**
 * What `lifeboat dns show` reports for a data-plane service (docs/data-plane.md): no record is
 * flipped, Route 53's health checks read each coordinator's verdict page, so those pages are the
 * state. Reads them as a checker would (unsigned GET, 2 s), with the paths and token derived
 * from the deploy secret in LIFEBOAT_DATA_PLANE_SECRET; the secret itself is never printed.
 */
import type { LifeboatConfig } from '#core/config/schema.ts';
import { DATA_PLANE_SECRET_ENV, parseDataPlaneSecret, verdictIds } from '#core/dns/data-plane.ts';
import { coordinatorEndpoints } from './credentials.ts';

export type VerdictState = 'stay' | 'fail over' | 'unreadable';

export interface VerdictPageState {
  readonly coordinator: string;
  readonly state: VerdictState;
  /** HTTP status, or why the page could not be read. */
  readonly detail: string;
}

/** Throws (naming the variable) when the secret or the coordinators are not given. */
export async function readVerdictPages(config: LifeboatConfig, service: string, env: Readonly<Record<string, string | undefined>>, timeoutMs = 2_000): Promise<VerdictPageState[]> {
  const ids = await verdictIds(parseDataPlaneSecret(env[DATA_PLANE_SECRET_ENV]), service);
  return Promise.all(coordinatorEndpoints(config, env).map(async ({ name, url }): Promise<VerdictPageState> => {
    try {
      const res = await fetch(`${url.replace(/\/$/, '')}${ids.path}`, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.text()).slice(0, 5_120);
      // As Route 53 reads it: a 2xx with the token is "fail over"; any other 2xx/3xx is "stay".
      if (res.status >= 200 && res.status < 300 && body.includes(ids.token)) return { coordinator: name, state: 'fail over', detail: `HTTP ${res.status}` };
      if (res.status >= 200 && res.status < 400) return { coordinator: name, state: 'stay', detail: `HTTP ${res.status}` };
      return { coordinator: name, state: 'unreadable', detail: `HTTP ${res.status}` };
    } catch (err) {
      return { coordinator: name, state: 'unreadable', detail: (err as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : (err as Error).message };
    }
  }));
}
