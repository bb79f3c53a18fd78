/**
 * The coordinator HTTP API (docs/design.md), one Hono app served by the Lambda function URL,
 * the Worker and the local run. Every route but /healthz is signed (LB1-HMAC-SHA256, or
 * LB1-ECDSA-P256-SHA256 for probe keys); a refused call gets 401/403/413 with a JSON error, is
 * counted (./refusals.ts: a counter, a metric, a rate-limited log line, never an audit row of its
 * own) and changes nothing. A probe key posts only for the vantage points it speaks for; a `read`
 * key reads status and audit only.
 */
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { BatchReplayError, CoordinatorInputError, type Coordinator, type IngestResult } from '../coordinator/coordinator.ts';
import type { LifeboatConfig } from '../config/schema.ts';
import { vantagePointsOf } from '../config/access.ts';
import type { OverrideCommand } from '../model.ts';
import type { Clock, Logger } from '../ports.ts';
import { speaksFor, type KeyResolver, type KeyScope } from '../signing/keys.ts';
import { batchFromWire, fieldError, MAX_DATE_MS, observationBatchSchema, overrideRequestSchema, parseWire, untilToMs, WireError } from './bodies.ts';
import { claimNonce, MAX_BODY_BYTES, REPLAYED_DETAIL, verifyRequest, type VerifyResult } from '../signing/lb1.ts';
import type { NonceStore } from '../signing/nonce-store.ts';
import { statusReport } from './status.ts';
import { RefusalCounter, type RefusalCounts, type RefusalReason } from './refusals.ts';
import { alertsOf, type StatusAlert } from './alerts.ts';
import type { PeerHealth } from '../coordinator/peer.ts';
import { COORDINATOR_METRICS, noMetrics, type MetricsSink } from '../notify/metrics.ts';
import { recordBatch } from './status-history.ts';
import { mountVerdicts, type VerdictPages } from './verdict.ts';

export interface ApiDeps {
  readonly coordinator: Coordinator;
  /** The keys (with what each probe key speaks for) and the vantage points they may speak for. */
  readonly config: LifeboatConfig;
  /** Problems the composition degraded around (a missing optional secret), shown in /v1/status. */
  readonly degraded?: () => readonly Degradation[];
  readonly keys: KeyResolver;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Batches per vantage point (and, when `refusals` is absent, refusals per reason). */
  readonly metrics?: MetricsSink;
  /** Where refusals are counted; one is made when absent. */
  readonly refusals?: RefusalCounter;
  /** Alerts the runtime knows of besides the services' own (the peer coordinator's health). */
  readonly alerts?: () => readonly StatusAlert[];
  /** The last check of the other provider's coordinator (core/coordinator/peer.ts). */
  readonly peerHealth?: () => PeerHealth | null;
  /** Data-plane services' verdict pages (core/api/verdict.ts): unsigned, on unguessable paths. */
  readonly verdicts?: VerdictPages;
}

/** `GET /v1/status` adds these to core/api/status.ts's report (all additive). */
export interface StatusExtras {
  readonly refusals: RefusalCounts;
  /** Every way a decision is not taking effect, or nobody would hear of it: "DNS write failing since ...". */
  readonly alerts: readonly StatusAlert[];
  readonly degraded?: readonly Degradation[];
  /** The other coordinator as last seen from here; absent when it is not watched. */
  readonly peer?: PeerHealth;
}

/** A missing optional secret and what works less because of it; names the secret, never a value. */
export interface Degradation {
  readonly what: string;
  readonly secret: string;
  readonly detail: string;
}

type Authed = { Variables: { keyId: string; body: Uint8Array; verified: Extract<VerifyResult, { ok: true }> } };

export function createApi(deps: ApiDeps): Hono<Authed> {
  const app = new Hono<Authed>();
  const { coordinator, clock, logger } = deps;
  const configured = vantagePointsOf(deps.config);
  const keyById = new Map(deps.config.keys.map((k) => [k.id, k] as const));
  const metrics = deps.metrics ?? noMetrics;
  const refusals = deps.refusals ?? new RefusalCounter({ clock, logger, onRefusal: (reason, n) => metrics.count(COORDINATOR_METRICS.refusedRequests, n, { Reason: reason }) });
  const refuse = (c: Context<Authed>, status: ContentfulStatusCode, reason: RefusalReason, detail: string, keyId?: string, field?: string) => {
    refusals.record({ reason, method: c.req.method, path: new URL(c.req.url).pathname, detail, ...(keyId ? { keyId } : {}) });
    return jsonError(c, status, reason, detail, field);
  };

  app.get('/healthz', (c) => c.json({ ok: true }));
  if (deps.verdicts) mountVerdicts(app, deps.verdicts, (c) => jsonError(c, 404, 'not_found', `no route ${c.req.method} ${new URL(c.req.url).pathname}`));

  // `replayGuardedByCaller`: the route refuses replays itself (POST /v1/observations, below).
  const signed = (scope: KeyScope, replayGuardedByCaller = false) => async (c: Context<Authed>, next: () => Promise<void>) => {
    const body = await readBody(c.req.raw);
    const path = new URL(c.req.url).pathname;
    // Refused unread and unverified, and like every refusal counted, not stored.
    if (body === null) return refuse(c, 413, 'body_too_large', `body is over ${MAX_BODY_BYTES} bytes`);
    const result = await verifyRequest({ method: c.req.method, path, headers: c.req.raw.headers, body }, {
      keys: deps.keys, nonces: deps.nonces, now: clock.now(), requiredScope: scope, replayGuardedByCaller,
    });
    if (!result.ok) return refuse(c, result.status, result.error, result.detail, result.keyId);
    c.set('verified', result);
    c.set('keyId', result.keyId);
    c.set('body', body);
    await next();
  };

  // No nonce item per batch: the batch's heartbeat write refuses a replay (Coordinator.ingest);
  // the nonce store guards only a batch that records nothing (no accepted observation).
  app.post('/v1/observations', signed('probe', true), async (c) => {
    const batch = batchFromWire(parseWire(observationBatchSchema, parseJson(c.get('body'))));
    const keyId = c.get('keyId');
    const key = keyById.get(keyId);
    if (!key || !speaksFor(key, batch.vantagePoint, configured)) {
      // A stolen or misused probe key: refused before the coordinator sees a single vote.
      const detail = `key "${keyId}" does not speak for vantage point ${batch.vantagePoint}${key?.speaksFor ? ` (it speaks for ${key.speaksFor.join(', ')})` : ''}`;
      return refuse(c, 403, 'vantage_point_not_allowed', detail, keyId, 'vantagePoint');
    }
    const unclaimed = c.get('verified').unclaimed!;
    let result: IngestResult;
    try {
      result = await coordinator.ingest(batch, keyId, { nonce: unclaimed.nonce });
    } catch (err) {
      if (err instanceof BatchReplayError) return refuse(c, 401, 'replayed_nonce', REPLAYED_DETAIL, keyId);
      throw err;
    }
    // Nothing was recorded, so nothing refused a replay yet: the nonce store does (this wrote nothing to undo).
    if (!result.replayChecked && !(await claimNonce(deps.nonces, unclaimed, clock.now()))) return refuse(c, 401, 'replayed_nonce', REPLAYED_DETAIL, keyId);
    metrics.count(COORDINATOR_METRICS.observationBatches, 1, { VantagePoint: batch.vantagePoint });
    recordBatch(coordinator, batch, result, clock.now());
    return c.json({ accepted: result.accepted, ignored: result.ignored, refused: result.refused, refusedReasons: result.refusedReasons, decisions: result.decisions.map((d) => ({ service: d.service, to: d.to, epoch: d.epoch, cause: d.cause })) });
  });

  app.post('/v1/override', signed('operator'), async (c) => {
    const req = parseWire(overrideRequestSchema, parseJson(c.get('body')));
    const now = clock.now();
    const until = untilToMs(req.until, now);
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

  // Reads take a `read` key (a peer coordinator's watch) or an operator key.
  app.get('/v1/status', signed('read'), async (c) => {
    const degraded = deps.degraded?.() ?? [];
    const report = await statusReport(coordinator, clock.now());
    const peer = deps.peerHealth?.();
    const extras: StatusExtras = {
      ...(peer ? { peer } : {}),
      refusals: refusals.snapshot(),
      alerts: [...alertsOf(report, degraded), ...(deps.alerts?.() ?? [])],
      ...(degraded.length ? { degraded } : {}),
    };
    return c.json({ ...report, ...extras });
  });

  app.get('/v1/audit', signed('read'), async (c) => {
    const service = c.req.query('service');
    // A DNS name at most: longer ones cannot be a service, and DynamoDB refuses keys over 2 KB.
    if (service !== undefined && service.length > 253) throw fieldError('service', 'must be a service name (at most 253 characters)');
    const since = c.req.query('since');
    const limit = Number(c.req.query('limit') ?? 100);
    if (since !== undefined && (!/^\d{1,16}$/.test(since) || Number(since) > MAX_DATE_MS)) throw fieldError('since', 'must be unix milliseconds');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw fieldError('limit', 'must be an integer from 1 to 1000');
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
export async function readBody(req: Request): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > MAX_BODY_BYTES) {
    // Cancelled, not left unread: workerd logs an uncaught exception for a stream still being fed.
    await req.body?.cancel().catch(() => {});
    return null;
  }
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
