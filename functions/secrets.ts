/**
 * Secrets for the Lambdas, from SSM Parameter Store SecureStrings (GetParameter WithDecryption).
 * Environment variables carry only parameter NAMES; values are fetched on first use, cached for
 * the life of the container, and never logged (errors name the parameter, not the value).
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { KeyConfig } from '#core/config/schema.ts';
import type { Logger } from '#core/ports.ts';
import { decodeHexSecret, type KeyResolver } from '#core/signing/keys.ts';

/** Where secrets come from; SSM in Lambda, a map in tests. */
export interface SecretSource {
  /** The decrypted value; throws SecretNotFoundError or SecretFetchError. */
  get(name: string): Promise<string>;
}

export class SecretError extends Error {
  constructor(message: string, readonly parameter: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretError';
  }
}

/** The parameter does not exist (the operator has not put it yet). */
export class SecretNotFoundError extends SecretError {
  constructor(parameter: string) {
    super(`SSM parameter ${parameter} does not exist: put it with \`aws ssm put-parameter --type SecureString --name ${parameter} --value ...\``, parameter);
    this.name = 'SecretNotFoundError';
  }
}

/** SSM could not be asked (throttling, network, access denied). Not cached: the next call retries. */
export class SecretFetchError extends SecretError {
  constructor(parameter: string, cause: unknown) {
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`could not read SSM parameter ${parameter}: ${why}`, parameter, { cause });
    this.name = 'SecretFetchError';
  }
}

export class SsmSecretSource implements SecretSource {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(private readonly client: SSMClient) {}

  get(name: string): Promise<string> {
    let value = this.cache.get(name);
    if (!value) {
      value = this.fetch(name);
      this.cache.set(name, value);
      // Failures are not remembered: a throttled cold start must not poison the container.
      value.catch(() => this.cache.delete(name));
    }
    return value;
  }

  private async fetch(name: string): Promise<string> {
    let out;
    try {
      out = await this.client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    } catch (err) {
      if ((err as { name?: string }).name === 'ParameterNotFound') throw new SecretNotFoundError(name);
      throw new SecretFetchError(name, err);
    }
    const value = out.Parameter?.Value;
    if (value === undefined || value.trim() === '') throw new SecretNotFoundError(name);
    return value;
  }
}

/** A fixed map (tests, local runs). */
export function staticSecretSource(values: Readonly<Record<string, string>>): SecretSource {
  return {
    async get(name) {
      const value = values[name];
      if (value === undefined) throw new SecretNotFoundError(name);
      return value;
    },
  };
}

/** Parameter name of a signing key: `<prefix><keyId>`, e.g. `/lifeboat/keys/probe-aws`. */
export function keyParameterName(prefix: string, keyId: string): string {
  return `${prefix.endsWith('/') ? prefix : `${prefix}/`}${keyId}`;
}

/**
 * Resolves the config's keys from SSM, one parameter per key, on first use. A key whose
 * parameter is missing or malformed is refused (401) and logged by parameter name, so one bad
 * operator key never locks the probes out; an SSM outage throws (the API answers 500: fail closed).
 */
export function ssmKeyResolver(keys: readonly KeyConfig[], prefix: string, secrets: SecretSource, logger: Logger): KeyResolver {
  const byId = new Map(keys.map((k) => [k.id, k] as const));
  return async (keyId) => {
    const key = byId.get(keyId);
    if (!key) return null;
    const parameter = keyParameterName(prefix, keyId);
    try {
      return { scope: key.scope, secret: decodeHexSecret(await secrets.get(parameter), keyId) };
    } catch (err) {
      if (err instanceof SecretFetchError) throw err;
      logger.error('signing key unusable', { keyId, parameter, error: (err as Error).message });
      return null;
    }
  };
}
