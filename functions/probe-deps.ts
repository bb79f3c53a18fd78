/**
 * What the probe Lambda is built from, and the production values the CDK stack's environment
 * gives (docs/aws.md lists every variable). Tests pass their own.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { ChainQueue, SlotClaims } from '#core/probe/chain.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { TcpConnect } from '#core/probe/ports.ts';
import type { Clock, Fetch, Logger, SecretSource, Sleep } from '#core/ports.ts';
import { bundledConfig } from './bundled-config.ts';
import { DynamoSlotClaims } from './chain-claims.ts';
import { SqsChainQueue } from './chain-sqs.ts';
import { COORDINATOR_URL_ENV, lambdaLogger, requireEnv, withAwsCoordinatorUrl } from './lambda-env.ts';
import { SsmSecretSource } from './secrets.ts';

export interface ProbeHandlerDeps {
  readonly config: () => LifeboatConfig;
  /** This function's region: the vantage point is `aws:<region>`. */
  readonly region: string;
  /** The probe-scope key this fleet signs with, and where its secret is. */
  readonly keyId: string;
  readonly secrets: () => SecretSource;
  readonly keyParameterPrefix: string;
  readonly logger: Logger;
  /** The region's own chain queue and slot claims (core/probe/chain.ts). */
  readonly queue: () => ChainQueue;
  readonly claims: () => SlotClaims;
  /** Draws each round's jitter (default Math.random). */
  readonly random?: () => number;
  readonly fetch?: Fetch;
  readonly tcpConnect?: TcpConnect;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  readonly postTimeoutMs?: number;
}

export function defaultProbeDeps(env: NodeJS.ProcessEnv = process.env): ProbeHandlerDeps {
  const region = requireEnv(env, 'AWS_REGION');
  const queueUrl = requireEnv(env, 'LIFEBOAT_CHAIN_QUEUE_URL');
  const claimsTable = requireEnv(env, 'LIFEBOAT_CHAIN_TABLE');
  const coordinatorUrl = env[COORDINATOR_URL_ENV];
  let config: LifeboatConfig | undefined;
  return {
    // The coordinator URL came from this region's SSM at deploy time (infra/coordinator-url.ts).
    config: () => (config ??= withAwsCoordinatorUrl(bundledConfig(), coordinatorUrl)),
    region,
    keyId: requireEnv(env, 'LIFEBOAT_PROBE_KEY_ID'),
    keyParameterPrefix: requireEnv(env, 'LIFEBOAT_KEY_PARAMETER_PREFIX'),
    // The key is read in this function's own region, so a probe never depends on another region.
    secrets: () => new SsmSecretSource(new SSMClient({ region })),
    logger: lambdaLogger(env, { vantagePoint: `aws:${region}` }),
    // The chain's queue and claims are this region's own: no region waits on another to probe.
    queue: () => new SqsChainQueue(new SQSClient({ region }), queueUrl),
    claims: () => new DynamoSlotClaims(new DynamoDBClient({ region }), claimsTable),
  };
}
