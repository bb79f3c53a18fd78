/**
 * The Lifeboat Worker. `fetch` checks every coordinator API call at the gate (workers/gate.ts:
 * route, size, signature, key, scope; refusals rate-limited per IP) and hands what passes to the
 * coordinator Durable Object, where core's Hono app runs over DO storage. `scheduled` (cron, every minute)
 * is a watchdog, not the probe clock: it makes sure every configured prober exists (created near
 * its location hint) with its alarm armed, and that the coordinator's alarm is armed.
 */
import { LifeboatError } from '#core/errors.ts';
import { workerConfig } from './config.ts';
import type { Env } from './env.ts';
import { workerLogger } from './log.ts';
import { coordinatorStub, proberStub } from './stubs.ts';
import { Gate } from './gate.ts';
import { systemClock } from '#core/ports.ts';

export { CoordinatorObject } from './coordinator.ts';
export { Prober } from './prober.ts';
export type { Env } from './env.ts';

/** Some prober or coordinator clock could not be armed (each failure is logged above the throw). */
class WatchdogError extends LifeboatError {
  override readonly name: string = 'WatchdogError';
}

const API_PATH = /^\/(v1\/|healthz$)/;

/** One gate per isolate and env (its counters and key cache live as long as the isolate). */
const gates = new WeakMap<Env, Gate>();

export async function fetchHandler(request: Request, env: Env, ctx: Pick<ExecutionContext, 'waitUntil'>): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (!API_PATH.test(pathname)) {
    return Response.json({ error: 'not_found', detail: `no route ${request.method} ${pathname}` }, { status: 404 });
  }
  let gate = gates.get(env);
  if (!gate) {
    gate = new Gate({
      env, clock: systemClock, logger: workerLogger('gate', env.LOG_LEVEL),
      forward: (req) => coordinatorStub(env).fetch(req),
      flush: (counts) => coordinatorStub(env).noteRefusals(counts as Record<string, number>),
    });
    gates.set(env, gate);
  }
  return gate.handle(request, (p) => ctx.waitUntil(p));
}

async function scheduled(_controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const logger = workerLogger('watchdog', env.LOG_LEVEL);
  const hints = workerConfig().vantagePoints.cloudflare;
  const jobs = [
    ...hints.map((hint) => ({ what: `prober:${hint}`, run: () => proberStub(env, hint).ensureArmed(hint) })),
    { what: 'coordinator', run: () => coordinatorStub(env).ensureArmed() },
  ];
  const results = await Promise.allSettled(jobs.map((j) => j.run()));
  const failed: string[] = [];
  results.forEach((r, i) => {
    const what = jobs[i]!.what;
    if (r.status === 'rejected') {
      failed.push(what);
      logger.error('watchdog could not arm', { what, error: r.reason instanceof Error ? r.reason.message : String(r.reason) });
    } else if (r.value.rearmed) {
      logger.warn('watchdog re-armed a stopped clock', { what, alarmAt: r.value.alarmAt });
    }
  });
  // Fail the cron invocation so the failure shows in the dashboard's cron history too.
  if (failed.length > 0) throw new WatchdogError(`watchdog could not arm ${failed.join(', ')}`);
}

export default {
  fetch: fetchHandler,
  scheduled,
} satisfies ExportedHandler<Env>;
