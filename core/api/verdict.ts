/**
 * The verdict pages of data-plane services (docs/data-plane.md): `GET /v1/verdict/<hmac>`, the
 * one unsigned route besides /healthz, read by Route 53's health checkers. A path that is not a
 * verdict page gets the same 404 as any unknown route, so a stranger learns nothing by probing.
 * The answer must come within Route 53's 2 s: the paths are derived once from the secret already
 * in memory (no secret store is read), and a slow state read is answered from the last verdict seen.
 */
import type { Context, Hono } from 'hono';
import type { LifeboatConfig } from '../config/schema.ts';
import type { StateStore } from '../coordinator/store.ts';
import { verdictBody, verdictIds, VERDICT_PATH_PREFIX, type VerdictIds } from '../dns/data-plane.ts';
import { normaliseName, type ServiceName, type TargetRole } from '../model.ts';
import type { Logger } from '../ports.ts';

/** Route 53 gives a checker 2 s after connecting; leave room for the network. */
export const VERDICT_ANSWER_BUDGET_MS = 1_200;

export interface VerdictPages {
  /** The pages by path; resolved once (HMAC in memory, no I/O). */
  readonly pages: Promise<ReadonlyMap<string, VerdictIds>>;
  /** This coordinator's current verdict for a service. */
  active(service: ServiceName): Promise<TargetRole>;
}

/**
 * The verdict pages' paths of every data-plane service (HMAC in memory, no I/O): what the
 * coordinator serves, and what the Worker lets through unsigned (any other path is refused there).
 */
export function verdictPaths(config: LifeboatConfig, secret: Uint8Array): Promise<ReadonlyMap<string, VerdictIds>> {
  const services = config.services.filter((s) => s.mode === 'data-plane').map((s) => normaliseName(s.name));
  return Promise.all(services.map((s) => verdictIds(secret, s))).then((ids) => new Map(ids.map((i) => [i.path, i] as const)));
}

/** Pages of every data-plane service, answering from the coordinator's saved state. */
export function verdictPages(config: LifeboatConfig, secret: Uint8Array, store: StateStore, logger: Logger, budgetMs = VERDICT_ANSWER_BUDGET_MS): VerdictPages {
  const pages = verdictPaths(config, secret);
  const lastSeen = new Map<ServiceName, TargetRole>();
  return {
    pages,
    async active(service) {
      const read = store.get(service).then((s) => {
        const active = s?.value.active ?? 'primary';
        lastSeen.set(service, active);
        return active;
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), budgetMs); });
      try {
        const active = await Promise.race([read, late]);
        if (active !== null) return active;
        logger.warn('verdict answered from memory: the state store was slow', { service, budgetMs });
        read.catch(() => {});
        // Nothing seen yet: "stay", the answer that never moves DNS by itself.
        return lastSeen.get(service) ?? 'primary';
      } catch (err) {
        logger.error('verdict answered from memory: the state store failed', { service, error: err instanceof Error ? err.message : String(err) });
        return lastSeen.get(service) ?? 'primary';
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    },
  };
}

/**
 * The page at `request`'s path, or undefined when it is not a verdict page (the caller answers
 * that as any unknown route). Needs only the pages and the state store: an adapter can serve it
 * before the rest of the coordinator (secret reads) is composed.
 */
export async function verdictResponse(verdicts: VerdictPages, request: Request): Promise<Response | undefined> {
  if (request.method !== 'GET') return undefined;
  const page = (await verdicts.pages).get(new URL(request.url).pathname);
  if (!page) return undefined;
  const active = await verdicts.active(page.service);
  return new Response(verdictBody(active, page.token), { status: 200, headers: { 'content-type': 'text/plain; charset=UTF-8', 'cache-control': 'no-store' } });
}

/** Mounts the pages on the coordinator's app; `notFound` answers every other path below the prefix. */
export function mountVerdicts(app: Hono<any>, verdicts: VerdictPages, notFound: (c: Context) => Response | Promise<Response>): void {
  app.get(`${VERDICT_PATH_PREFIX}:id`, async (c) => (await verdictResponse(verdicts, c.req.raw)) ?? notFound(c));
}
