/**
 * The Worker's bindings, vars and secrets (workers/wrangler.jsonc; secrets via `wrangler secret put`,
 * listed in docs/cloudflare.md). Secrets are optional here because a missing one must fail with a
 * message that names it, at the point of use, not as `undefined` deep inside core.
 */
import type { CoordinatorObject } from './coordinator.ts';
import type { Prober } from './prober.ts';

export interface Env {
  readonly PROBER: DurableObjectNamespace<Prober>;
  readonly COORDINATOR: DurableObjectNamespace<CoordinatorObject>;

  /** Key id (scope "probe") this Worker's probers sign with; default: the first probe key in the config. */
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
  /** LIFEBOAT_KEY_<ID>: hex secret of each configured key (core/signing/keys.ts keyEnvVar). */
  readonly [secret: `LIFEBOAT_KEY_${string}`]: string | undefined;
}

/** The env as the plain string map core's env readers take (bindings are not strings and are skipped). */
export function stringVars(env: Env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}
