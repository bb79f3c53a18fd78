/**
 * The Worker's bindings, vars and secrets (workers/wrangler.jsonc; secrets via `wrangler secret put`,
 * listed in docs/cloudflare.md). Secrets are optional here because a missing one must fail with a
 * message that names it, at the point of use, not as `undefined` deep inside core.
 */
import type { SecretNames } from '#core/coordinator/compose.ts';
import { mapSecretSource, type SecretSource } from '#core/ports.ts';
import { keyEnvVar } from '#core/signing/keys.ts';
import type { CoordinatorRpc, ProberRpc } from './bindings.ts';

export interface Env {
  readonly PROBER: DurableObjectNamespace<ProberRpc>;
  readonly COORDINATOR: DurableObjectNamespace<CoordinatorRpc>;
  /**
   * Workers rate limiting (wrangler `ratelimits`), keyed by client IP, consulted for refused
   * requests only (workers/gate.ts). Optional: without it refusals are counted, not limited.
   */
  readonly REFUSAL_LIMITER?: RateLimit;

  /** Key id (scope "probe") this Worker's probers sign with; default: the first probe key that speaks for cloudflare. */
  readonly PROBE_KEY_ID?: string;
  /** Cloudflare API base URL override (local runs and tests); default the real API. */
  readonly CLOUDFLARE_API_BASE_URL?: string;
  /** Route 53 endpoint override (local runs and tests). */
  readonly ROUTE53_ENDPOINT?: string;
  /** Local run only (`lifeboat run`): the embedded zone's loopback API and its bearer token. */
  readonly EMBEDDED_DNS_URL?: string;
  readonly EMBEDDED_DNS_TOKEN?: string;
  /** Minimum log level: debug, info (default), warn or error. */
  readonly LOG_LEVEL?: string;

  // Secrets.
  readonly CLOUDFLARE_API_TOKEN?: string;
  readonly AWS_ACCESS_KEY_ID?: string;
  readonly AWS_SECRET_ACCESS_KEY?: string;
  /** Data-plane mode's deploy secret, hex (docs/data-plane.md): serves the verdict pages. */
  readonly LIFEBOAT_DATA_PLANE_SECRET?: string;
  /**
   * LIFEBOAT_KEY_<ID> (core/signing/keys.ts keyEnvVar): the hex secret of each HMAC key the
   * coordinator verifies, and the private key (PKCS#8) of the ECDSA probe key the probers sign with.
   * The coordinator needs no secret for an ECDSA key: its public key is in the config.
   */
  readonly [secret: `LIFEBOAT_KEY_${string}`]: string | undefined;
}

/** The env as the plain string map core's env readers take (bindings are not strings and are skipped). */
export function stringVars(env: Env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The Worker's secrets (`wrangler secret put NAME`) as core's SecretSource. */
export function workerSecrets(env: Env): SecretSource {
  return mapSecretSource(stringVars(env), (name) => `wrangler secret put ${name} --config workers/wrangler.jsonc`);
}

/** How the Worker names each secret: every one is an env var of its own name. */
export const workerSecretNames: SecretNames = {
  key: keyEnvVar,
  cloudflareToken: 'CLOUDFLARE_API_TOKEN',
  route53Credentials: 'AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY',
  webhook: (name) => name,
  dnsSecret: (name) => name,
};
