/**
 * What a prober needs beyond core: its signer (key from secrets) and the coordinators it posts
 * to. The Cloudflare coordinator is reached through its Durable Object binding, not its public
 * URL: no extra hop through the edge, and it works where a Worker may not fetch its own hostname.
 * The request is still LB1-signed and verified exactly like one from outside.
 */
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { Fetch } from '#core/ports.ts';
import { configuredCoordinators, type CoordinatorEndpoint } from '#core/probe/post.ts';
import type { VantagePoint } from '#core/model.ts';
import { keyEnvVar } from '#core/signing/keys.ts';
import { probeSignerFrom, type RequestSigner } from '#core/signing/signer.ts';
import { workerSecrets, type Env } from './env.ts';
import { coordinatorStub } from './stubs.ts';

/** A placeholder origin that never leaves the Worker: requests to it go to the coordinator DO. */
export const OWN_COORDINATOR_ORIGIN = 'https://coordinator.lifeboat.internal';

/**
 * The signer of this Worker's probers: the probe key that speaks for `vantagePoint` (PROBE_KEY_ID
 * when set), its secret (the ECDSA private key, or an HMAC hex secret) from LIFEBOAT_KEY_<ID>.
 * Throws naming the secret to set when it is missing.
 */
export function probeSigner(config: LifeboatConfig, env: Env, vantagePoint?: VantagePoint): Promise<RequestSigner> {
  const vp = vantagePoint ?? (`cloudflare:${config.vantagePoints.cloudflare[0] ?? 'none'}` as VantagePoint);
  return probeSignerFrom(config, vp, workerSecrets(env), keyEnvVar, env.PROBE_KEY_ID);
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
