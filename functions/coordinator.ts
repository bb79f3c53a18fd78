/**
 * The AWS coordinator Lambda: the core coordinator and its Hono API behind a function URL
 * (signed LB1 requests), plus the one-minute EventBridge schedule that runs `tick()` so silence
 * is noticed, overrides expire and pending flips are retried. State and nonces in DynamoDB,
 * secrets from SSM. No decision logic here: everything is core/coordinator.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, ScheduledEvent } from 'aws-lambda';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { Notifier } from '#core/coordinator/coordinator.ts';
import { createCoordinatorApp } from '#core/coordinator/wiring.ts';
import { fanOut } from '#core/notify/fanout.ts';
import { webhookNotifierFromConfig } from '#core/notify/webhook.ts';
import { createDnsProvider, type DnsProviderDeps } from '#core/dns/factory.ts';
import { ROUTE53_CLIENT_DEFAULTS } from '#core/dns/route53.ts';
import type { DnsProvider } from '#core/dns/types.ts';
import { systemClock, type Clock, type Logger } from '#core/ports.ts';
import { bundledConfig } from './bundled-config.ts';
import { DynamoNonceStore } from './dynamo/nonce-store.ts';
import { DynamoStateStore } from './dynamo/state-store.ts';
import { emfLine, METRICS } from './emf.ts';
import { BadEventError, isFunctionUrlEvent, jsonResult, requestFromEvent, resultFromResponse } from './http-event.ts';
import { lambdaLogger, requireEnv } from './lambda-env.ts';
import { SecretNotFoundError, SsmSecretSource, ssmKeyResolver, type SecretSource } from './secrets.ts';

export interface CoordinatorHandlerDeps {
  readonly config: () => LifeboatConfig;
  readonly dynamo: () => DynamoDBClient;
  readonly route53: () => Route53Client;
  readonly secrets: () => SecretSource;
  readonly tableName: string;
  /** SSM name prefix of the signing keys: `<prefix><keyId>`. */
  readonly keyParameterPrefix: string;
  /** SSM name of the Cloudflare API token; only needed when a service has Cloudflare records. */
  readonly cloudflareTokenParameter?: string;
  readonly cloudflareBaseUrl?: string;
  /** The local run's embedded zone (`lifeboat run`); never set when deployed. */
  readonly embedded?: () => DnsProvider;
  readonly clock?: Clock;
  readonly logger: Logger;
  /** Where EMF metric lines go (stdout in Lambda). */
  readonly writeMetric: (line: string) => void;
  readonly notifier?: Notifier;
  /** SSM prefix of webhook URLs named by `urlFromEnv` in the config: `<prefix><NAME>`. */
  readonly webhookParameterPrefix?: string;
  /** Name in logs, status and metrics. Default `aws`. */
  readonly name?: string;
}

export type CoordinatorEvent = APIGatewayProxyEventV2 | ScheduledEvent;
export interface TickResult { readonly ticked: true; readonly decisions: number }
export type CoordinatorHandler = (event: CoordinatorEvent, context?: Context) => Promise<APIGatewayProxyStructuredResultV2 | TickResult>;

export class UnsupportedEventError extends Error {
  override readonly name = 'UnsupportedEventError';
}

const isScheduledEvent = (event: unknown): event is ScheduledEvent =>
  typeof event === 'object' && event !== null && (event as ScheduledEvent)['detail-type'] === 'Scheduled Event';

/** Logs failovers where the operator's CloudWatch alarms and Logs Insights find them. */
const logNotifier = (logger: Logger): Notifier => ({
  async send(n) { logger.warn('lifeboat notification', { event: n.event, service: n.service, key: n.key, text: n.text }); },
});

async function build(deps: CoordinatorHandlerDeps) {
  const config = deps.config();
  const secrets = deps.secrets();
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  const records = config.services.flatMap((s) => s.dns);
  const dnsDeps: { -readonly [K in keyof DnsProviderDeps]: DnsProviderDeps[K] } = {};
  if (records.some((r) => r.provider === 'route53')) dnsDeps.route53Client = deps.route53();
  if (deps.embedded) dnsDeps.embedded = deps.embedded();
  if (records.some((r) => r.provider === 'cloudflare')) {
    try {
      if (!deps.cloudflareTokenParameter) throw new SecretNotFoundError('(LIFEBOAT_CLOUDFLARE_TOKEN_PARAMETER not set)');
      const apiToken = (await secrets.get(deps.cloudflareTokenParameter)).trim();
      dnsDeps.cloudflare = { apiToken, ...(deps.cloudflareBaseUrl ? { baseUrl: deps.cloudflareBaseUrl } : {}) };
    } catch (err) {
      // Without the token, Route 53 flips still work; the Cloudflare ones fail loudly at flip time.
      if (!(err instanceof SecretNotFoundError)) throw err;
      logger.error('Cloudflare API token unavailable', { parameter: err.parameter, error: err.message });
    }
  }
  const client = deps.dynamo();
  const name = deps.name ?? 'aws';
  const built = createCoordinatorApp({
    name, config, clock, logger,
    store: new DynamoStateStore({ client, tableName: deps.tableName }),
    nonces: new DynamoNonceStore({ client, tableName: deps.tableName }),
    keys: ssmKeyResolver(config.keys, deps.keyParameterPrefix, secrets, logger),
    dnsProvider: (record) => createDnsProvider(record, dnsDeps),
    notifier: deps.notifier ?? fanOut([logNotifier(logger), await webhooks(config, deps, secrets, clock)], logger),
  });
  return { ...built, name, clock };
}

/** The config's webhooks, their secret URLs read from SSM (never from plain environment variables). */
async function webhooks(config: LifeboatConfig, deps: CoordinatorHandlerDeps, secrets: SecretSource, clock: Clock): Promise<Notifier | undefined> {
  const names = (config.notifications?.webhooks ?? []).flatMap((w) => (w.urlFromEnv ? [w.urlFromEnv] : []));
  const env: Record<string, string> = {};
  for (const name of names) {
    if (!deps.webhookParameterPrefix) throw new SecretNotFoundError(`(LIFEBOAT_WEBHOOK_PARAMETER_PREFIX not set, needed for ${name})`);
    env[name] = await secrets.get(`${deps.webhookParameterPrefix}${name}`);
  }
  return webhookNotifierFromConfig(config, env, { coordinator: deps.name ?? 'aws', fetch, clock, logger: deps.logger });
}

export function createCoordinatorHandler(deps: CoordinatorHandlerDeps): CoordinatorHandler {
  let setup: ReturnType<typeof build> | undefined;
  const ready = () => {
    if (!setup) {
      setup = build(deps);
      setup.catch(() => { setup = undefined; }); // a failed cold start (SSM throttled) retries next time
    }
    return setup;
  };

  return async (event) => {
    const { app, coordinator, name, clock } = await ready();
    if (isScheduledEvent(event)) {
      const decisions = await coordinator.tick();
      deps.logger.info('tick', { coordinator: name, decisions: decisions.length, changed: decisions.map((d) => ({ service: d.service, to: d.to, epoch: d.epoch })) });
      return { ticked: true, decisions: decisions.length };
    }
    if (!isFunctionUrlEvent(event)) throw new UnsupportedEventError('expected a function URL (payload 2.0) or an EventBridge scheduled event');
    let request: Request;
    try {
      request = requestFromEvent(event);
    } catch (err) {
      if (err instanceof BadEventError) return jsonResult(400, 'invalid_request', err.message);
      throw err;
    }
    const response = await app.fetch(request);
    const path = event.rawPath;
    if (response.status === 401 || response.status === 413) {
      deps.writeMetric(emfLine(METRICS.rejectedRequests, 1, name, clock.now()));
    } else if (response.ok && request.method === 'POST' && path === '/v1/observations') {
      deps.writeMetric(emfLine(METRICS.observationBatches, 1, name, clock.now()));
    }
    return resultFromResponse(response);
  };
}

/** Production wiring from the environment the CDK stack sets (docs/aws.md lists every variable). */
export function defaultCoordinatorDeps(env: NodeJS.ProcessEnv = process.env): CoordinatorHandlerDeps {
  const cloudflareTokenParameter = env.LIFEBOAT_CLOUDFLARE_TOKEN_PARAMETER;
  return {
    config: bundledConfig,
    // The SDK's own retries stay on for DynamoDB; Route 53 retries are the provider's (bounded, jittered).
    dynamo: () => new DynamoDBClient({}),
    route53: () => new Route53Client({ region: 'us-east-1', ...ROUTE53_CLIENT_DEFAULTS }),
    secrets: () => new SsmSecretSource(new SSMClient({})),
    tableName: requireEnv(env, 'LIFEBOAT_TABLE_NAME'),
    keyParameterPrefix: requireEnv(env, 'LIFEBOAT_KEY_PARAMETER_PREFIX'),
    ...(cloudflareTokenParameter ? { cloudflareTokenParameter } : {}),
    ...(env.LIFEBOAT_WEBHOOK_PARAMETER_PREFIX ? { webhookParameterPrefix: env.LIFEBOAT_WEBHOOK_PARAMETER_PREFIX } : {}),
    logger: lambdaLogger(env, { coordinator: 'aws' }),
    writeMetric: (line) => process.stdout.write(`${line}\n`),
  };
}

let production: CoordinatorHandler | undefined;

/** The Lambda entry point. Built on first invocation: importing this module does no I/O. */
export const handler: CoordinatorHandler = (event, context) => {
  production ??= createCoordinatorHandler(defaultCoordinatorDeps());
  return production(event, context);
};
