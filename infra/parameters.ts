/**
 * SSM parameter NAMES (never values) shared by the stacks and the docs. The operator puts the
 * SecureStrings: `aws ssm put-parameter --type SecureString --name /lifeboat/keys/<id> --value <hex>`.
 */
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export interface ParameterNames {
  /** Prefix of the signing keys: `<prefix><keyId>`. */
  readonly keyPrefix: string;
  readonly cloudflareToken: string;
  /** Prefix of webhook URLs named by `urlFromEnv` in the config: `<prefix><NAME>`. */
  readonly webhookPrefix: string;
  /** Prefix of RFC 2136 TSIG secrets named by `secretFrom` in the config: `<prefix><NAME>`. */
  readonly dnsPrefix: string;
  /**
   * The AWS coordinator's function URL (a String, not a secret): the control stack writes it
   * into every probe region at deploy time, and each probe stack reads it in its own region.
   */
  readonly coordinatorUrl: string;
}

export function parameterNames(root = '/lifeboat'): ParameterNames {
  const base = root.replace(/\/+$/, '');
  return { keyPrefix: `${base}/keys/`, cloudflareToken: `${base}/cloudflare-api-token`, webhookPrefix: `${base}/webhooks/`, dnsPrefix: `${base}/dns/`, coordinatorUrl: `${base}/coordinator-url/aws` };
}

/** ARN of a parameter in the scope's own account and region (names start with '/'). */
export function parameterArn(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') });
}
