/**
 * The Lifeboat config, bundled into the Worker at build time: `lifeboat-config` is an alias
 * that `lifeboat deploy cloudflare` points at the checked config it writes into the build folder
 * (cli/commands/deploy.ts; the tests alias their own in test/workers/cf/vitest.config.ts; in
 * workers/wrangler.jsonc it is a module that refuses to start). Parsed once per isolate, on first use, so an invalid config
 * fails the request that needs it with the full problem list instead of the module load.
 */
import rawConfig from 'lifeboat-config';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { loadConfig } from '#core/config/validate.ts';

let parsed: LifeboatConfig | undefined;

export function workerConfig(): LifeboatConfig {
  parsed ??= loadConfig(rawConfig);
  return parsed;
}
