/**
 * Serves the status page on loopback: `/` (HTML) and `/status.json` ({now, reports, unreachable,
 * html}). Status comes from `load` on every request, so the page is as fresh as its last refresh.
 * Binds 127.0.0.1 by default and refuses other Host headers, so a web page elsewhere cannot read
 * it through DNS rebinding.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderStatusBody, renderStatusPage, type Unreachable } from '#core/api/status-page.ts';
import type { StatusReport } from '#core/api/status.ts';

export interface StatusSnapshot {
  readonly reports: readonly StatusReport[];
  readonly unreachable?: readonly Unreachable[];
}

export interface StatusServerOptions {
  readonly load: () => Promise<readonly StatusReport[] | StatusSnapshot>;
  readonly port?: number;
  readonly host?: string;
  readonly now?: () => number;
  readonly refreshMs?: number;
}

export interface StatusServer {
  readonly url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  let allowedHosts: Set<string> = new Set();
  const server: Server = createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS }).end(body);
    };
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) return send(421, 'text/plain', 'wrong Host\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/' && path !== '/status.json') return send(404, 'text/plain', 'not found\n');
    void (async () => {
      try {
        const loaded = await options.load();
        const snap: StatusSnapshot = Array.isArray(loaded) ? { reports: loaded as StatusReport[] } : (loaded as StatusSnapshot);
        const opts = { unreachable: snap.unreachable ?? [], ...(options.refreshMs ? { refreshMs: options.refreshMs } : {}) };
        const at = now();
        if (path === '/') return send(200, 'text/html; charset=utf-8', renderStatusPage(snap.reports, at, opts));
        return send(200, 'application/json', JSON.stringify({ now: at, reports: snap.reports, unreachable: opts.unreachable, html: renderStatusBody(snap.reports, at, opts) }));
      } catch (err) {
        return send(502, 'application/json', JSON.stringify({ error: 'status_unavailable', detail: (err as Error).message }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = new Set([`${host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}
