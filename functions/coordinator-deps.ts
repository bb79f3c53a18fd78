/**
 * What the coordinator Lambda is built from, and the production values the CDK stack's
 * environment gives (docs/aws.md lists every variable). Tests and the local run pass their own.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { Notifier } from '#core/coordinator/coordinator.ts';
import { ROUTE53_CLIENT_DEFAULTS } from '#core/dns/route53.ts';
import type { DnsProvider } from '#core/dns/types.ts';
import type { Clock, Logger, SecretSource } from '#core/ports.ts';
import { bundledConfig } from './bundled-config.ts';
import { lambdaLogger, requireEnv } from './lambda-env.ts';
import { SsmSecretSource } from './secrets.ts';

export interface CoordinatorHandlerDeps {
  readonly config: () => LifeboatConfig;
  readonly dynamo: () => DynamoDBClient;
  readonly route53: () => Route53Client;
  readonly secrets: () => SecretSource;
  readonly tableName: string;
  /** SSM name prefix of the HMAC signing keys: `<prefix><keyId>`. */
  readonly keyParameterPrefix: string;
  /** SSM name of the Cloudflare API token; only needed when a service has Cloudflare records. */
  readonly cloudflareTokenParameter?: string;
  readonly cloudflareBaseUrl?: string;
  /** SSM prefix of webhook URLs named by `urlFromEnv` in the config: `<prefix><NAME>`. */
  readonly webhookParameterPrefix?: string;
  /** SSM prefix of RFC 2136 TSIG secrets named by `secretFrom` in the config: `<prefix><NAME>`. */
  readonly dnsParameterPrefix?: string;
  /** The local run's embedded zone (`lifeboat run`); never set when deployed. */
  readonly embedded?: () => DnsProvider;
  readonly clock?: Clock;
  readonly logger: Logger;
  /** Where EMF metric lines go (stdout in Lambda). */
  readonly writeMetric: (line: string) => void;
  readonly notifier?: Notifier;
  /** Name in logs, status and metrics. Default `aws`. */
  readonly name?: string;
}

/** Production wiring from the environment the CDK stack sets (docs/aws.md lists every variable). */
export function defaultCoordinatorDeps(env: NodeJS.ProcessEnv = process.env): CoordinatorHandlerDeps {
  return {
    config: bundledConfig,
    // The SDK's own retries stay on for DynamoDB; Route 53 retries are the provider's (bounded, jittered).
    dynamo: () => new DynamoDBClient({}),
    route53: () => new Route53Client({ region: 'us-east-1', ...ROUTE53_CLIENT_DEFAULTS }),
    secrets: () => new SsmSecretSource(new SSMClient({})),
    tableName: requireEnv(env, 'LIFEBOAT_TABLE_NAME'),
    keyParameterPrefix: requireEnv(env, 'LIFEBOAT_KEY_PARAMETER_PREFIX'),
    ...(env.LIFEBOAT_CLOUDFLARE_TOKEN_PARAMETER ? { cloudflareTokenParameter: env.LIFEBOAT_CLOUDFLARE_TOKEN_PARAMETER } : {}),
    ...(env.LIFEBOAT_WEBHOOK_PARAMETER_PREFIX ? { webhookParameterPrefix: env.LIFEBOAT_WEBHOOK_PARAMETER_PREFIX } : {}),
    ...(env.LIFEBOAT_DNS_PARAMETER_PREFIX ? { dnsParameterPrefix: env.LIFEBOAT_DNS_PARAMETER_PREFIX } : {}),
    logger: lambdaLogger(env, { coordinator: 'aws' }),
    writeMetric: (line) => process.stdout.write(`${line}\n`),
  };
}
