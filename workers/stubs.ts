/**
 * Durable Object names. They must never change: a location hint is honoured only when an object
 * is first created, so `prober:<hint>` always names the object placed near <hint>, and the one
 * coordinator is always `coordinator` (its storage is the Cloudflare side's state).
 */
import type { LocationHint } from './bindings.ts';
import type { Env } from './env.ts';

export type { LocationHint } from './bindings.ts';

export const COORDINATOR_NAME = 'coordinator';
export const proberName = (hint: LocationHint): string => `prober:${hint}`;

export function coordinatorStub(env: Env) {
  return env.COORDINATOR.get(env.COORDINATOR.idFromName(COORDINATOR_NAME));
}

export function proberStub(env: Env, hint: LocationHint) {
  return env.PROBER.get(env.PROBER.idFromName(proberName(hint)), { locationHint: hint });
}
