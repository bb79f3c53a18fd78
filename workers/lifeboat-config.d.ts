/**
 * The bundled config module (an alias set by `lifeboat deploy cloudflare`; see workers/config.ts):
 * a config already validated by core/config/validate.ts, defaults filled in.
 */
declare module 'lifeboat-config' {
  import type { LifeboatConfig } from '#core/config/schema.ts';
  const config: LifeboatConfig;
  export default config;
}
