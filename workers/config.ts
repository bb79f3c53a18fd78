/**
 * The Lifeboat config, bundled into the Worker at build time: `lifeboat-config` is an alias
 * that `lifeboat deploy cloudflare` points at the config it checked and wrote into the build folder
 * (cli/commands/deploy.ts; `lifeboat run` likewise, cli/local/run.ts; the tests alias their own
 * checked config in test/workers/cf/vitest.config.ts; in workers/wrangler.jsonc it is a module
 * that refuses to start). The module is the validated config with its defaults filled in, so
 * the Worker does not validate it again: that would bundle the whole zod config schema (about
 * 110 KB) to re-check what the build already refused or accepted.
 */
import checkedConfig from 'lifeboat-config';
import type { LifeboatConfig } from '#core/config/schema.ts';

export function workerConfig(): LifeboatConfig {
  return checkedConfig;
}
