/**
 * The Lifeboat config, bundled into the Worker at build time: `lifeboat-config` is an alias
 * (workers/wrangler.jsonc `alias`, test/workers/cf/vitest.config.ts `resolve.alias`) for the same
 * `lifeboat.config.ts` the CLI reads. Parsed once per isolate, on first use, so an invalid config
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
