/**
 * The config the AWS half is deployed from: the same file the CLI validates, read once in the
 * CDK app entry (path from `-c config=...`, default examples/production.config.ts; the root
 * lifeboat.config.ts is the local run's and uses the embedded DNS server, which cannot deploy).
 */
import { resolve } from 'node:path';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { ConfigError, loadConfig } from '#core/config/validate.ts';
import { readConfigFile } from '../node/config-file.ts';
import { ConfigurationError } from '#core/errors.ts';

export const DEFAULT_DEPLOY_CONFIG = 'examples/production.config.ts';

/** Valid as a config, but not deployable to AWS; names the field at fault. */
export class DeployConfigError extends ConfigurationError {
  override readonly name: string = 'DeployConfigError';
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

/** Checks what only a deployment needs; returns the config unchanged. */
export function checkDeployable(config: LifeboatConfig): LifeboatConfig {
  config.services.forEach((s, i) => s.dns.forEach((d, j) => {
    if (d.provider === 'embedded') {
      throw new DeployConfigError(`services[${i}].dns[${j}].provider`, 'the embedded DNS server exists only in the local run; deploy with route53 or cloudflare records');
    }
  }));
  if (!config.keys.some((k) => k.scope === 'probe')) throw new DeployConfigError('keys', 'the probe fleet needs a key with scope "probe"');
  return config;
}

export async function loadDeployConfig(path: string, cwd = process.cwd()): Promise<{ path: string; config: LifeboatConfig }> {
  const full = resolve(cwd, path);
  try {
    return { path: full, config: checkDeployable(loadConfig(await readConfigFile(full))) };
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigurationError(`${full} is invalid:\n${err.message}`, { cause: err });
    throw err;
  }
}
