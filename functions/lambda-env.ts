/** Small helpers shared by the Lambda handlers: required env vars, the JSON logger, SSM secret names. */
import { jsonLogger } from '#core/log.ts';
import type { SecretNames } from '#core/coordinator/compose.ts';
import type { Logger } from '#core/ports.ts';
import { keyParameterName } from './secrets.ts';
import { ConfigurationError, MissingDependencyError } from '#core/errors.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';

/** A variable the CDK stack always sets is missing: the function was deployed by hand or badly. */
export class MissingEnvError extends MissingDependencyError {
  override readonly name: string = 'MissingEnvError';
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set (the CDK stack sets it; see docs/aws.md)`);
  }
}

export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new MissingEnvError(name);
  return value;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** One JSON object per line on stdout (CloudWatch Logs Insights parses it as is). */
export function lambdaLogger(env: NodeJS.ProcessEnv, base: Record<string, unknown>): Logger {
  const level = LEVELS.find((l) => l === env.LIFEBOAT_LOG_LEVEL) ?? 'info';
  return jsonLogger((line) => process.stdout.write(`${line}\n`), { ...base, region: env.AWS_REGION }, level);
}

/**
 * How the Lambdas' SSM names each secret (infra/parameters.ts lays them out). An unset prefix
 * yields a name that says which variable is missing, so the `degraded` entry points at the fix.
 */
export function ssmSecretNames(keyPrefix: string, cloudflareTokenParameter?: string, webhookPrefix?: string, dnsPrefix?: string): SecretNames {
  return {
    key: (id) => keyParameterName(keyPrefix, id),
    cloudflareToken: cloudflareTokenParameter ?? '(LIFEBOAT_CLOUDFLARE_TOKEN_PARAMETER not set)',
    route53Credentials: 'the Lambda execution role',
    webhook: (name) => (webhookPrefix ? `${webhookPrefix}${name}` : `(LIFEBOAT_WEBHOOK_PARAMETER_PREFIX not set)/${name}`),
    dnsSecret: (name) => (dnsPrefix ? `${dnsPrefix}${name}` : `(LIFEBOAT_DNS_PARAMETER_PREFIX not set)/${name}`),
  };
}

/**
 * The AWS coordinator's function URL, set on the probe by the CDK from an SSM parameter in the
 * probe's own region (infra/coordinator-url.ts). It wins over `coordinators.aws.url` in the
 * bundled config, which a one-go deploy leaves out (the URL is unknown before the first deploy).
 */
export const COORDINATOR_URL_ENV = 'LIFEBOAT_AWS_COORDINATOR_URL';

export class InvalidEnvError extends ConfigurationError {
  override readonly name: string = 'InvalidEnvError';
  constructor(readonly variable: string, reason: string) {
    super(`environment variable ${variable} ${reason} (the CDK stack sets it; see docs/aws.md)`);
  }
}

/** `config` with the AWS coordinator's URL from the environment, when the environment has one. */
export function withAwsCoordinatorUrl(config: LifeboatConfig, url: string | undefined): LifeboatConfig {
  if (url === undefined || url === '') return config;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidEnvError(COORDINATOR_URL_ENV, 'is not a URL');
  }
  if (parsed.protocol !== 'https:') throw new InvalidEnvError(COORDINATOR_URL_ENV, `must be an https URL, not ${parsed.protocol}`);
  return { ...config, coordinators: { ...config.coordinators, aws: { ...config.coordinators.aws, url } } };
}
