/**
 * The coordinator HTTP API (docs/design.md), one Hono app served by the Lambda function URL,
 * the Worker and the local run. Every route but /healthz is signed with LB1-HMAC-SHA256; a
 * refused call gets 401/413 with a JSON error, an audit entry, and changes nothing.
 */
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CoordinatorInputError, type Coordinator } from '../coordinator/coordinator.ts';
import { observationBatchSchema, overrideRequestSchema, parseWire, untilToMs, WireError } from '../coordinator/wire.ts';
import type { ObservationBatch, OverrideCommand, VantagePoint } from '../model.ts';
import type { Clock, Logger } from '../ports.ts';
import type { KeyResolver, KeyScope } from '../signing/keys.ts';
import { MAX_BODY_BYTES, verifyRequest } from '../signing/lb1.ts';
import type { NonceStore } from '../signing/nonce-store.ts';
import { statusReport } from './status.ts';

export interface ApiDeps {
  readonly coordinator: Coordinator;
  readonly keys: KeyResolver;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

type Authed = { Variables: { keyId: string; body: Uint8Array } };

export function createApi(deps: ApiDeps): Hono<Authed> {
  const app = new Hono<Authed>();
  const { coordinator, clock, logger } = deps;

  app.get('/healthz', (c) => c.json({ ok: true }));

  const signed = (scope: KeyScope) => async (c: Context<Authed>, next: () => Promise<void>) => {
    const body = await readBody(c.req.raw);
    const path = new URL(c.req.url).pathname;
    if (body === null) {
      // Refused unread and unverified, but audited like every other refusal.
      await coordinator.auditRejected(`refused ${c.req.method} ${path}: body_too_large (over ${MAX_BODY_BYTES} bytes)`, { path, error: 'body_too_large' });
      return jsonError(c, 413, 'body_too_large', `body is over ${MAX_BODY_BYTES} bytes`);
    }
    const result = await verifyRequest({ method: c.req.method, path, headers: c.req.raw.headers, body }, {
      keys: deps.keys, nonces: deps.nonces, now: clock.now(), requiredScope: scope,
    });
    if (!result.ok) {
      logger.warn('refused request', { path, error: result.error, detail: result.detail, keyId: result.keyId });
      await coordinator.auditRejected(`refused ${c.req.method} ${path}: ${result.error} (${result.detail})`, { path, error: result.error }, result.keyId);
      return jsonError(c, result.status, result.error, result.detail);
    }
    c.set('keyId', result.keyId);
    c.set('body', body);
    await next();
  };

  app.post('/v1/observations', signed('probe'), async (c) => {
    const batch = parseWire(observationBatchSchema, parseJson(c.get('body'))) as ObservationBatch;
    const result = await coordinator.ingest({ ...batch, vantagePoint: batch.vantagePoint as VantagePoint }, c.get('keyId'));
    return c.json({ accepted: result.accepted, ignored: result.ignored, decisions: result.decisions.map((d) => ({ service: d.service, to: d.to, epoch: d.epoch, cause: d.cause })) });
  });

  app.post('/v1/override', signed('operator'), async (c) => {
    const req = parseWire(overrideRequestSchema, parseJson(c.get('body')));
    const until = untilToMs(req.until);
    const now = clock.now();
    if (until !== undefined && until <= now) throw new WireError('until', 'until: must be in the future', [{ path: 'until', message: 'must be in the future' }]);
    const command: OverrideCommand = { service: req.service, action: req.action, reason: req.reason, by: c.get('keyId'), at: now, ...(until === undefined ? {} : { until }) };
    const { state, flip } = await coordinator.override(command);
    return c.json({
      coordinator: coordinator.name,
      service: state.service,
      active: state.active,
      epoch: state.epoch,
      override: state.override,
      dns: flip?.results.map((r) => (r.ok ? { provider: r.provider, zone: r.zone, outcome: r.outcome } : { provider: r.provider, zone: r.zone, outcome: 'error', error: r.error.message })) ?? [],
    });
  });

  app.get('/v1/status', signed('operator'), async (c) => c.json(await statusReport(coordinator, clock.now())));

  app.get('/v1/audit', signed('operator'), async (c) => {
    const service = c.req.query('service');
    const since = c.req.query('since');
    const limit = Number(c.req.query('limit') ?? 100);
    if (since !== undefined && !/^\d+$/.test(since)) throw new WireError('since', 'since: must be unix milliseconds', []);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new WireError('limit', 'limit: must be an integer from 1 to 1000', []);
    const entries = await coordinator.audit({ ...(service ? { service } : {}), ...(since ? { since: Number(since) } : {}), limit });
    return c.json({ coordinator: coordinator.name, entries });
  });

  app.notFound((c) => jsonError(c, 404, 'not_found', `no route ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((err, c) => {
    if (err instanceof WireError) return jsonError(c, 400, 'invalid_request', err.message, err.field);
    if (err instanceof CoordinatorInputError) return jsonError(c, err.status, 'invalid_request', `${err.field}: ${err.message}`, err.field);
    logger.error('request failed', { path: new URL(c.req.url).pathname, error: err.message });
    return jsonError(c, 500, 'internal', 'the coordinator failed to handle this request; see its logs');
  });
  return app;
}

/** `{error, detail}`; validation errors add `field`, the first field at fault. */
function jsonError(c: Context, status: ContentfulStatusCode, error: string, detail: string, field?: string) {
  return c.json(field === undefined ? { error, detail } : { error, detail, field }, status);
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new WireError('body', 'body: is not valid JSON', [{ path: 'body', message: 'is not valid JSON' }]);
  }
}

/** Reads at most MAX_BODY_BYTES; null when the body is larger (never buffers more than that). */
async function readBody(req: Request): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > MAX_BODY_BYTES) return null;
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) { out.set(chunk, offset); offset += chunk.byteLength; }
  return out;
}
