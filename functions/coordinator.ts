/**
 * The AWS coordinator Lambda: core's coordinator and API (core/coordinator/compose.ts) behind a
 * function URL, plus the one-minute EventBridge Scheduler schedule that runs `tick()`. State and nonces in
 * DynamoDB, secrets from SSM; everything else, including what a missing secret means, is core's.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, ScheduledEvent } from 'aws-lambda';
import type { Notifier } from '#core/coordinator/coordinator.ts';
import { composeCoordinator } from '#core/coordinator/compose.ts';
import { systemClock, type Logger } from '#core/ports.ts';
import { defaultCoordinatorDeps, type CoordinatorHandlerDeps } from './coordinator-deps.ts';
import { DynamoNonceStore } from './dynamo/nonce-store.ts';
import { DynamoStateStore } from './dynamo/state-store.ts';
import { BadEventError, isFunctionUrlEvent, jsonResult, requestFromEvent, resultFromResponse } from './http-event.ts';
import { ssmSecretNames } from './lambda-env.ts';
import { nodeDnsTransport } from './runtime/node-dns-transport.ts';
import { InputError } from '#core/errors.ts';
import { verdictPages, verdictResponse, type VerdictPages } from '#core/api/verdict.ts';
import { DATA_PLANE_SECRET_ENV, DataPlaneSecretError, VERDICT_PATH_PREFIX, parseDataPlaneSecret } from '#core/dns/data-plane.ts';
import { VerdictMemory } from '#core/dns/data-plane-memory.ts';
import { normaliseName, type ServiceName, type TargetRole } from '#core/model.ts';
import { emfSink, verdictEmfLine } from './emf.ts';

export { defaultCoordinatorDeps, type CoordinatorHandlerDeps } from './coordinator-deps.ts';

/** A function URL request; a tick from the schedule (TICK_EVENT), or from an Events rule as before. */
export type CoordinatorEvent = APIGatewayProxyEventV2 | ScheduledEvent | TickEvent;
export interface TickResult { readonly ticked: true; readonly decisions: number }
export type CoordinatorHandler = (event: CoordinatorEvent, context?: Context) => Promise<APIGatewayProxyStructuredResultV2 | TickResult>;

export class UnsupportedEventError extends InputError {
  override readonly name: string = 'UnsupportedEventError';
}

/**
 * The input of the tick's EventBridge Scheduler schedule (infra/stacks/control-stack.ts). Scheduler
 * passes its input verbatim, with no envelope, so it carries the detail-type of the Events rule's
 * event that drove the tick before: both are told apart from a function URL request the same way.
 */
export const TICK_EVENT = { 'detail-type': 'Scheduled Event', source: 'lifeboat.scheduler', detail: {} } as const;
export type TickEvent = Pick<ScheduledEvent, 'detail-type' | 'source' | 'detail'>;

const isScheduledEvent = (event: unknown): event is TickEvent =>
  typeof event === 'object' && event !== null && (event as TickEvent)['detail-type'] === 'Scheduled Event';

/** Logs notifications where the operator's CloudWatch alarms and Logs Insights find them. */
const logNotifier = (logger: Logger): Notifier => ({
  async send(n) { logger.warn('lifeboat notification', { event: n.event, service: n.service, key: n.key, text: n.text }); },
});

async function build(deps: CoordinatorHandlerDeps) {
  const config = deps.config();
  const name = deps.name ?? 'aws';
  const clock = deps.clock ?? systemClock;
  const client = deps.dynamo();
  const usesRoute53 = config.services.some((s) => s.dns.some((r) => r.provider === 'route53'));
  return composeCoordinator({
    name, config, clock, logger: deps.logger, fetch: (i, init) => fetch(i, init),
    // Flips attempted/applied/failed, refusals per reason, batches per vantage point (infra/ alarms on them).
    metrics: emfSink(deps.writeMetric, name, () => clock.now()),
    store: new DynamoStateStore({ client, tableName: deps.tableName }),
    nonces: new DynamoNonceStore({ client, tableName: deps.tableName }),
    secrets: deps.secrets(),
    secretNames: ssmSecretNames(deps.keyParameterPrefix, deps.cloudflareTokenParameter, deps.webhookParameterPrefix, deps.dnsParameterPrefix),
    dnsTransport: nodeDnsTransport,
    ...(usesRoute53 ? { route53Client: deps.route53() } : {}),
    ...(deps.embedded ? { embedded: deps.embedded() } : {}),
    ...(deps.cloudflareBaseUrl ? { cloudflareBaseUrl: deps.cloudflareBaseUrl } : {}),
    ...(deps.notifier ? { notifier: deps.notifier } : { extraNotifiers: [logNotifier(deps.logger)] }),
    ...(process.env.LIFEBOAT_DATA_PLANE_SECRET ? { dataPlaneSecret: process.env.LIFEBOAT_DATA_PLANE_SECRET } : {}),
  });
}

/**
 * The verdict pages alone, from the secret in the environment and the state table: Route 53's
 * checkers allow 2 s, so they must not wait on a cold start's SSM reads. Null when there are
 * none (no data-plane service, or no usable secret: the full composition reports that as degraded).
 */
function fastVerdicts(deps: CoordinatorHandlerDeps): VerdictPages | null {
  const config = deps.config();
  if (!config.services.some((s) => s.mode === 'data-plane')) return null;
  let secret: Uint8Array;
  try {
    secret = parseDataPlaneSecret(process.env[DATA_PLANE_SECRET_ENV]);
  } catch (err) {
    if (err instanceof DataPlaneSecretError) return null;
    throw err;
  }
  return verdictPages(config, secret, new DynamoStateStore({ client: deps.dynamo(), tableName: deps.tableName }), deps.logger);
}

export function createCoordinatorHandler(deps: CoordinatorHandlerDeps): CoordinatorHandler {
  let setup: ReturnType<typeof build> | undefined;
  const name = deps.name ?? 'aws';
  let verdicts: VerdictPages | null | undefined;
  // Data-plane memory lives in this instance: a cold start forgets only a pending "supersede".
  const memory = new VerdictMemory(name, name === 'aws' ? 'cloudflare' : 'aws');
  return async (event) => {
    if (isFunctionUrlEvent(event) && event.requestContext.http.method === 'GET' && event.rawPath.startsWith(VERDICT_PATH_PREFIX)) {
      verdicts ??= fastVerdicts(deps);
      // An unknown path falls through to the app, whose 404 is the same as for any other route.
      const page = verdicts ? await verdictResponse(verdicts, requestFromEvent(event)).catch((err: unknown) => {
        if (err instanceof BadEventError) return undefined; // answered 400 below, as any bad event
        throw err;
      }) : undefined;
      if (page) return resultFromResponse(page);
    }
    if (!setup) {
      setup = build(deps);
      setup.catch(() => { setup = undefined; }); // a failed cold start (SSM throttled) retries next time
    }
    const { app, coordinator, housekeeping, peer } = await setup;
    if (isScheduledEvent(event)) {
      const decisions = await coordinator.tick();
      // The aggregate refusal entry (one a minute at most) and the check of the Cloudflare coordinator.
      await housekeeping();
      // A verdict not published this minute is held by the alarm's LastKnownStatus: never worth a failed tick.
      await publishVerdicts(deps, memory, coordinator, peer, clock(deps)).catch((err: unknown) => {
        deps.logger.error('data-plane verdicts not published', { error: err instanceof Error ? err.message : String(err) });
      });
      deps.logger.info('tick', { coordinator: name, decisions: decisions.length, changed: decisions.map((d) => ({ service: d.service, to: d.to, epoch: d.epoch })) });
      return { ticked: true, decisions: decisions.length };
    }
    if (!isFunctionUrlEvent(event)) throw new UnsupportedEventError('expected a function URL (payload 2.0) or a scheduled tick (detail-type "Scheduled Event")');
    let request: Request;
    try {
      request = requestFromEvent(event);
    } catch (err) {
      if (err instanceof BadEventError) return jsonResult(400, 'invalid_request', err.message);
      throw err;
    }
    // Refused before any storage is touched: the signature is checked first, the nonce store only
    // after it verified, and refusals are counted in memory (core/api/refusals.ts).
    return resultFromResponse(await app.fetch(request));
  };
}

const clock = (deps: CoordinatorHandlerDeps) => deps.clock ?? systemClock;

/**
 * Data-plane memory (core/dns/data-plane-memory.ts): every tick, this coordinator's verdict per
 * data-plane service, and the peer's when the peer watch read it this tick, as EMF lines (no API
 * call, no IAM) that the alarms behind the CLOUDWATCH_METRIC health checks read.
 */
export async function publishVerdicts(
  deps: Pick<CoordinatorHandlerDeps, 'config' | 'writeMetric'>,
  memory: VerdictMemory,
  coordinator: { states(): Promise<readonly { state: { service: ServiceName; active: TargetRole } }[]> },
  peer: { verdicts(): ReadonlyMap<string, TargetRole> | null } | null,
  now: { now(): number },
): Promise<void> {
  const services = deps.config().services.filter((s) => s.mode === 'data-plane').map((s) => normaliseName(s.name));
  if (services.length === 0) return;
  const saved = new Map((await coordinator.states()).map(({ state }) => [state.service, state.active] as const));
  const own = new Map(services.map((s) => [s, saved.get(s) ?? 'primary'] as const));
  const at = now.now();
  for (const point of memory.datapoints(own, peer?.verdicts() ?? null)) deps.writeMetric(verdictEmfLine(point, at));
}

let production: CoordinatorHandler | undefined;

/** The Lambda entry point. Built on first invocation: importing this module does no I/O. */
export const handler: CoordinatorHandler = (event, context) => {
  production ??= createCoordinatorHandler(defaultCoordinatorDeps());
  return production(event, context);
};
