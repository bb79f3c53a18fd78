/**
 * The simulated network as a web-standard fetch, so the real probe code runs unchanged in virtual
 * time: each request waits out its World answer in virtual time, honours its abort signal (the
 * probe's own deadline), and fails with the errors a runtime's fetch throws (a `code` the
 * classifier knows), so the real classification and recheck decide.
 */
import type { TargetRole, VantagePoint } from '../model.ts';
import type { Fetch } from '../ports.ts';
import type { VirtualTime } from './virtual-time.ts';
import type { Destination, World } from './world.ts';

export function requestUrl(input: Request | string | URL): URL {
  return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
}

/** A network error as Node's fetch reports it: TypeError('fetch failed') with a coded cause. */
export function networkError(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

/** Waits until `signal` aborts (never, without one), then rejects with its reason. */
function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The fetch `vp` probes with: origins map to the service's targets, anything else is a control URL. */
export function probeFetch(world: World, time: VirtualTime, vp: VantagePoint, targets: Readonly<Record<TargetRole, string>>): Fetch {
  const roles = new Map(Object.entries(targets).map(([role, url]) => [new URL(url).origin, role as TargetRole]));
  return async (input, init) => {
    const to: Destination = roles.get(requestUrl(input).origin) ?? 'control';
    const signal = init?.signal ?? undefined;
    const answer = world.answer(vp, to, time.now);
    switch (answer.kind) {
      case 'unreachable':
        throw networkError('ENETUNREACH');
      case 'silent':
        return untilAborted(signal);
      case 'refused':
        await time.sleep(answer.latencyMs, signal);
        throw networkError('ECONNREFUSED');
      case 'response':
        await time.sleep(answer.latencyMs, signal);
        return new Response(init?.method === 'HEAD' ? null : 'ok', { status: answer.status });
    }
  };
}
