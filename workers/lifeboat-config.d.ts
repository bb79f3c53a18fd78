/** The bundled config module (an alias set by `lifeboat deploy cloudflare`; see workers/config.ts). */
declare module 'lifeboat-config' {
  const config: unknown;
  export default config;
}
