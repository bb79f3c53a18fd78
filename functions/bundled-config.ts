/**
 * The Lifeboat config inside a Lambda bundle. The CDK app validates the config file at synth time
 * (a bad one fails `cdk synth` with its path-precise problems) and esbuild replaces
 * LIFEBOAT_CONFIG_JSON with the validated result, defaults filled in, as a string literal
 * (`define`), because Lambda environment variables are capped at 4 KB in total. It is not
 * validated again here: that would put the whole zod config schema (about 110 KB) in every
 * bundle to re-check what synth already checked. Parsed once per container.
 */
import type { LifeboatConfig } from '#core/config/schema.ts';
import { ConfigurationError } from '#core/errors.ts';

/** Replaced at bundle time; undeclared (so `typeof` is 'undefined') when running unbundled. */
declare const LIFEBOAT_CONFIG_JSON: string | undefined;

/**
 * The esbuild `define` entry that embeds `config` (also used by bench/lambda-bundles.ts). Takes
 * only a validated config (loadConfig's or loadDeployConfig's result): the bundle trusts it.
 */
export function configDefine(config: LifeboatConfig): Record<string, string> {
  return { LIFEBOAT_CONFIG_JSON: JSON.stringify(JSON.stringify(config)) };
}

export class MissingBundledConfigError extends ConfigurationError {
  override readonly name: string = 'MissingBundledConfigError';
  constructor() {
    super('no Lifeboat config in this bundle: deploy with the CDK app (infra/app.ts), which embeds it as LIFEBOAT_CONFIG_JSON');
  }
}

let cached: LifeboatConfig | undefined;

export function bundledConfig(): LifeboatConfig {
  if (cached) return cached;
  const json = typeof LIFEBOAT_CONFIG_JSON === 'string' ? LIFEBOAT_CONFIG_JSON : undefined;
  if (json === undefined) throw new MissingBundledConfigError();
  cached = JSON.parse(json) as LifeboatConfig;
  return cached;
}
