/**
 * What `lifeboat-config` is in the Worker under test: fixture.config.ts checked by the same
 * validation `lifeboat deploy cloudflare` runs before it writes the build (the Worker trusts its
 * bundled config, workers/config.ts). Checked on first read, not at import: the fixture's URLs
 * come from bindings the global setup provides.
 */
import { configSchema, type LifeboatConfig } from '#core/config/schema.ts';
import { loadConfig } from '#core/config/validate.ts';
import fixture from './fixture.config.ts';

let checked: LifeboatConfig | undefined;
const config = (): LifeboatConfig => (checked ??= loadConfig(fixture));

export default Object.defineProperties({}, Object.fromEntries(Object.keys(configSchema.shape).map((key) => [
  key, { enumerable: true, get: () => config()[key as keyof LifeboatConfig] },
]))) as LifeboatConfig;
