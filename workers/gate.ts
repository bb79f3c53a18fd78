/**
 * The Worker's gate in front of the one coordinator Durable Object: anonymous traffic must not
 * reach (and so crowd) the object that decides failovers. Checked here, before the object: the
 * route, the body size, the LB1 signature, the key and its scope. The nonce is claimed in the
 * object (its storage is the one place that sees every nonce), so a verified request is
 * forwarded with its body bytes unchanged and verified again there, nonce included.
 *
 * Only refusals are rate-limited, per client IP (Workers rate-limiting binding): the signature is
 * checked first, so a signed probe or operator never calls the limiter and can never be starved
 * by a flood from its own address. Refusals are counted per isolate and handed to the object in
 * bulk at most once a minute (its status shows them, its alarm writes the aggregate entry).
 */
import { readBody } from '#core/api/app.ts';
import { RefusalCounter, type RefusalReason } from '#core/api/refusals.ts';
import type { Clock, Logger } from '#core/ports.ts';
import { configKeyResolver, keyEnvVar, type KeyResolver, type KeyScope } from '#core/signing/keys.ts';
import { MAX_BODY_BYTES, verifyRequest } from '#core/signing/lb1.ts';
import { verdictPaths } from '#core/api/verdict.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { DataPlaneSecretError, parseDataPlaneSecret, VERDICT_PATH_PREFIX } from '#core/dns/data-plane.ts';
import { workerConfig } from './config.ts';
import { workerSecrets, type Env } from './env.ts';

/** Which key scope each coordinator route needs (core/api/app.ts); anything else is 404 here. */
export const ROUTE_SCOPES: Readonly<Record<string, KeyScope>> = {
  'POST /v1/observations': 'probe',
  'POST /v1/override': 'operator',
  'GET /v1/status': 'read',
  'GET /v1/audit': 'read',
};

/** Hands counted refusals to the coordinator object at most this often per isolate. */
export const REFUSAL_FLUSH_MS = 60_000;

export interface GateDeps {
  readonly env: Env;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where a verified request goes (the coordinator object). */
  readonly forward: (request: Request) => Promise<Response>;
  /** Hands counts to the coordinator object (RPC); called at most once a minute. */
  readonly flush: (counts: Partial<Record<RefusalReason, number>>) => Promise<void>;
  /** The config (tests); the bundled one when absent. */
  readonly config?: LifeboatConfig;
}

/** The request's own context: a flush outlives the response through its waitUntil. */
export type WaitUntil = (p: Promise<unknown>) => void;

export class Gate {
  private readonly keys: KeyResolver;
  private readonly counter: RefusalCounter;
  private pending = new Map<RefusalReason, number>();
  private flushedAt: number;

  private readonly verdictPaths: Promise<ReadonlyMap<string, unknown>>;

  constructor(private readonly d: GateDeps) {
    const config = d.config ?? workerConfig();
    this.keys = configKeyResolver(config.keys, workerSecrets(d.env), keyEnvVar, d.logger);
    this.verdictPaths = dataPlanePaths(config, d.env.LIFEBOAT_DATA_PLANE_SECRET, d.logger);
    this.counter = new RefusalCounter({ clock: d.clock, logger: d.logger, onRefusal: (reason, n) => this.pending.set(reason, (this.pending.get(reason) ?? 0) + n) });
    this.flushedAt = d.clock.now();
  }

  async handle(request: Request, waitUntil: WaitUntil): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/healthz') return this.d.forward(request);
    // Route 53's checkers cannot sign: a data-plane verdict page is the one unsigned /v1 route.
    // Only its exact (unguessable) paths reach the object; any other is an unknown route.
    if (request.method === 'GET' && pathname.startsWith(VERDICT_PATH_PREFIX) && (await this.verdictPaths).has(pathname)) return this.d.forward(request);
    const scope = ROUTE_SCOPES[`${request.method} ${pathname}`];
    if (!scope) return Response.json({ error: 'not_found', detail: `no route ${request.method} ${pathname}` }, { status: 404 });
    const body = await readBody(request);
    if (body === null) return this.refuse(request, waitUntil, 413, 'body_too_large', `body is over ${MAX_BODY_BYTES} bytes`);
    // The nonce is left to the object: claiming it here too would make every request a replay there.
    const result = await verifyRequest({ method: request.method, path: pathname, headers: request.headers, body }, {
      keys: this.keys, nonces: { claim: async () => true }, now: this.d.clock.now(), requiredScope: scope,
    });
    if (!result.ok) return this.refuse(request, waitUntil, result.status, result.error, result.detail, result.keyId);
    return this.d.forward(new Request(request.url, { method: request.method, headers: request.headers, ...(body.byteLength ? { body } : {}) }));
  }

  private async refuse(request: Request, waitUntil: WaitUntil, status: 401 | 413, reason: RefusalReason, detail: string, keyId?: string): Promise<Response> {
    const ip = request.headers.get('cf-connecting-ip') ?? 'unknown';
    const limiter = this.d.env.REFUSAL_LIMITER;
    const limited = limiter ? !(await limiter.limit({ key: ip })).success : false;
    const path = new URL(request.url).pathname;
    this.counter.record({ reason: limited ? 'rate_limited' : reason, method: request.method, path, detail, ...(keyId ? { keyId } : {}) });
    this.maybeFlush(waitUntil);
    if (limited) return Response.json({ error: 'rate_limited', detail: 'too many refused requests from this address; sign your requests' }, { status: 429, headers: { 'retry-after': '60' } });
    return Response.json({ error: reason, detail }, { status });
  }

  private maybeFlush(waitUntil: WaitUntil): void {
    const now = this.d.clock.now();
    if (now - this.flushedAt < REFUSAL_FLUSH_MS || this.pending.size === 0) return;
    const counts = Object.fromEntries(this.pending) as Partial<Record<RefusalReason, number>>;
    this.pending = new Map();
    this.flushedAt = now;
    waitUntil(this.d.flush(counts).catch((err: unknown) => this.d.logger.warn('could not hand refusal counts to the coordinator', { error: err instanceof Error ? err.message : String(err) })));
  }
}

/** The verdict paths the Worker lets through; none without data-plane services or a usable secret. */
async function dataPlanePaths(config: LifeboatConfig, secretText: string | undefined, logger: Logger): Promise<ReadonlyMap<string, unknown>> {
  if (!config.services.some((s) => s.mode === 'data-plane') || secretText === undefined) return new Map();
  try {
    return await verdictPaths(config, parseDataPlaneSecret(secretText));
  } catch (err) {
    // The coordinator object reports the bad secret as degraded; here the pages stay closed.
    if (err instanceof DataPlaneSecretError) { logger.error('data-plane verdict pages closed: bad secret', { error: err.message }); return new Map(); }
    throw err;
  }
}
