/**
 * Secrets for the Lambdas, from SSM Parameter Store SecureStrings (GetParameter WithDecryption).
 * Environment variables carry only parameter NAMES; values are fetched on first use, cached for
 * the life of the container, and never logged (errors name the parameter, not the value).
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { KeyConfig } from '#core/config/schema.ts';
import { mapSecretSource, SecretFetchError, SecretNotFoundError, type Logger, type SecretSource } from '#core/ports.ts';
import { configKeyResolver, type KeyResolver } from '#core/signing/keys.ts';

export { SecretError, SecretFetchError, SecretNotFoundError, type SecretSource } from '#core/ports.ts';

const howToPut = (name: string) => `put it with \`aws ssm put-parameter --type SecureString --name ${name} --value ...\``;

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
      if ((err as { name?: string }).name === 'ParameterNotFound') throw new SecretNotFoundError(name, howToPut(name));
      throw new SecretFetchError(name, err, 'SSM Parameter Store');
    }
    const value = out.Parameter?.Value;
    if (value === undefined || value.trim() === '') throw new SecretNotFoundError(name, howToPut(name));
    return value;
  }
}

/** A fixed map standing in for SSM (tests, the local run). */
export function staticSecretSource(values: Readonly<Record<string, string>>): SecretSource {
  return mapSecretSource(values, howToPut);
}

/** Parameter name of a signing key: `<prefix><keyId>`, e.g. `/lifeboat/keys/probe-aws`. */
export function keyParameterName(prefix: string, keyId: string): string {
  return `${prefix.endsWith('/') ? prefix : `${prefix}/`}${keyId}`;
}

/** The config's keys with HMAC secrets from SSM (core/signing/keys.ts configKeyResolver). */
export function ssmKeyResolver(keys: readonly KeyConfig[], prefix: string, secrets: SecretSource, logger: Logger): KeyResolver {
  return configKeyResolver(keys, secrets, (id) => keyParameterName(prefix, id), logger);
}
