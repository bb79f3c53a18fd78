/** The bundled config module (an alias for lifeboat.config.ts; see workers/config.ts). */
declare module 'lifeboat-config' {
  const config: unknown;
  export default config;
}
