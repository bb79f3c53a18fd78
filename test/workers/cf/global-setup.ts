/**
 * Runs in Node before the workerd tests: a loopback Cloudflare API (test/fixtures) holding the
 * service's zone, and a "world" server with the service's primary and secondary health endpoints,
 * a stand-in AWS coordinator that records what probers post, and /_inspect routes through which
 * the tests (inside workerd) read what was sent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { CloudflareFixture } from '../../fixtures/cloudflare-server.ts';
import { CF_TOKEN, CF_ZONE, PRIMARY_IP, SERVICE, type AwsPost } from './shared.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const api = new CloudflareFixture(CF_TOKEN).addZone(CF_ZONE);
  api.seed(CF_ZONE, [{ name: SERVICE, type: 'A', content: PRIMARY_IP, ttl: 60, proxied: false }]);
  const health = { primary: 200, secondary: 200 };
  const awsPosts: AwsPost[] = [];

  const world = createServer((req, res) => { void handle(req, res); });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const target = /^\/(primary|secondary)\/health$/.exec(url.pathname)?.[1] as 'primary' | 'secondary' | undefined;
    if (target) return json(health[target], { ok: health[target] < 400 });
    if (url.pathname === '/v1/observations' && req.method === 'POST') {
      awsPosts.push({ keyId: req.headers['x-lifeboat-key'] as string | undefined, body: JSON.parse(text) });
      return json(200, { accepted: 1 });
    }
    if (url.pathname === '/_inspect' && req.method === 'GET') {
      return json(200, { awsPosts, cfRequests: api.requests, cfRecords: api.records(CF_ZONE) });
    }
    if (url.pathname === '/_control' && req.method === 'POST') {
      const body = JSON.parse(text) as Partial<typeof health> & { reset?: boolean };
      if (body.primary !== undefined) health.primary = body.primary;
      if (body.secondary !== undefined) health.secondary = body.secondary;
      if (body.reset) { awsPosts.length = 0; api.requests.length = 0; }
      return json(200, health);
    }
    json(404, { error: 'not_found' });
  }

  project.provide('cfWorkerApiUrl', await api.start());
  project.provide('cfWorkerWorldUrl', await listen(world));
  return async () => {
    await Promise.all([api.stop(), new Promise<void>((resolve, reject) => world.close((e) => (e ? reject(e) : resolve())))]);
  };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}
