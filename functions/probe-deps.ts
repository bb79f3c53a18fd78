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
import { ConfigurationError } from '#core/errors.ts';

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
  /**
   * The function's memory size (Lambda's AWS_LAMBDA_FUNCTION_MEMORY_SIZE): its CPU share, which
   * decides how many chains a round is sharded into (core/probe/shard.ts lambdaShardCount).
   * Absent: one chain.
   */
  readonly memoryMb?: number;
}

export function defaultProbeDeps(env: NodeJS.ProcessEnv = process.env): ProbeHandlerDeps {
  const region = requireEnv(env, 'AWS_REGION');
  const queueUrl = requireEnv(env, 'LIFEBOAT_CHAIN_QUEUE_URL');
  const claimsTable = requireEnv(env, 'LIFEBOAT_CHAIN_TABLE');
  const coordinatorUrl = env[COORDINATOR_URL_ENV];
  const memoryMb = lambdaMemoryMb(env);
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
    ...(memoryMb !== undefined && { memoryMb }),
  };
}

/** Lambda sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE; anything but a positive whole number is a clear error. */
export function lambdaMemoryMb(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
  if (raw === undefined || raw === '') return undefined;
  const mb = Number(raw);
  if (!Number.isSafeInteger(mb) || mb <= 0) throw new ConfigurationError(`AWS_LAMBDA_FUNCTION_MEMORY_SIZE must be a whole number of MB, got "${raw}"`);
  return mb;
}
