/**
 * Stand-in primary and secondary sites for the local run: a tiny HTTP server per target that
 * answers the health check, and can be stopped and started again to show a failover.
 */
import { createServer, type Server } from 'node:http';
import type { TargetConfig } from '#core/config/schema.ts';

export interface LocalSite {
  readonly name: string;
  readonly url: string;
  readonly running: boolean;
  /** Stops answering: the port is closed, so probes see "connection refused". */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Only targets on loopback are started: a local run never pretends to be a real address. */
export function isLoopbackTarget(target: TargetConfig): boolean {
  const host = new URL(target.url).hostname;
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]' || host === 'localhost';
}

export function createSite(name: string, target: TargetConfig): LocalSite {
  const url = new URL(target.url);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  let server: Server | null = null;
  const site: LocalSite = {
    name,
    url: target.url,
    get running() { return server !== null; },
    async start() {
      if (server) return;
      const s = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ status: 'ok', site: name, path: req.url }));
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, url.hostname.replace(/^\[|\]$/g, ''), () => resolve());
      });
      server = s;
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = null;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  return site;
}
