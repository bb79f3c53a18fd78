/**
 * What a prober needs beyond core: its signing key (from secrets) and the coordinators it posts
 * to. The Cloudflare coordinator is reached through its Durable Object binding, not its public
 * URL: no extra hop through the edge, and it works where a Worker may not fetch its own hostname.
 * The request is still LB1-signed and verified exactly like one from outside.
 */
import type { LifeboatConfig } from '../core/config/schema.ts';
import type { Fetch } from '../core/ports.ts';
import { configuredCoordinators, type CoordinatorEndpoint } from '../core/probe/post.ts';
import { decodeHexSecret, keyEnvVar } from '../core/signing/keys.ts';
import type { Env } from './env.ts';
import { coordinatorStub } from './stubs.ts';

/** A placeholder origin that never leaves the Worker: requests to it go to the coordinator DO. */
export const OWN_COORDINATOR_ORIGIN = 'https://coordinator.lifeboat.internal';

export function probeSigningKey(config: LifeboatConfig, env: Env): { id: string; secret: Uint8Array } {
  const id = env.PROBE_KEY_ID ?? config.keys.find((k) => k.scope === 'probe')?.id;
  const key = config.keys.find((k) => k.id === id);
  if (!id || !key) throw new Error(`PROBE_KEY_ID names key "${id}", which is not in the config's keys`);
  if (key.scope !== 'probe') throw new Error(`key "${id}" has scope "${key.scope}"; probers need a "probe" key (set PROBE_KEY_ID)`);
  const hex = env[keyEnvVar(id) as `LIFEBOAT_KEY_${string}`];
  if (hex === undefined || hex.trim() === '') throw new Error(`secret of key "${id}" is missing: wrangler secret put ${keyEnvVar(id)}`);
  return { id, secret: decodeHexSecret(hex, id) };
}

/** Every configured coordinator, with this Worker's own one (always present) behind the binding. */
export function probeEndpoints(config: LifeboatConfig, env: Env): { endpoints: CoordinatorEndpoint[]; fetch: Fetch } {
  const endpoints = [
    { name: 'cloudflare', url: OWN_COORDINATOR_ORIGIN },
    ...configuredCoordinators(config.coordinators).filter((c) => c.name !== 'cloudflare'),
  ];
  const routed: Fetch = (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).origin === OWN_COORDINATOR_ORIGIN) return coordinatorStub(env).fetch(request);
    return fetch(request);
  };
  return { endpoints, fetch: routed };
}
