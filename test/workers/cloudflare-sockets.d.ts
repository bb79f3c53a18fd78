/**
 * The slice of `cloudflare:sockets` that workers/dns-transport.ts uses, for this project's
 * typecheck, which has Node's types and so cannot also load @cloudflare/workers-types.
 * The Worker's own typecheck (workers/tsconfig.json) uses the real declarations.
 */
declare module 'cloudflare:sockets' {
  interface Socket {
    readonly opened: Promise<unknown>;
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    close(): Promise<void>;
  }
  export function connect(address: { hostname: string; port: number }): Socket;
}
