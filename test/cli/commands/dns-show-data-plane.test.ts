/**
 * `lifeboat dns show` for a data-plane service: it says so and reports each coordinator's verdict
 * page as Route 53's checkers read it, instead of reading records (no Route 53 call is made).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verdictBody, verdictIds, type VerdictIds } from '#core/dns/data-plane.ts';
import { main } from '../../../cli/main.ts';
import type { CliIo } from '../../../cli/io.ts';

const SERVICE = 'app.example.test';
const SECRET = 'cd'.repeat(32);
let dir = '';
let ids: VerdictIds;
const servers: Server[] = [];

/** A coordinator's verdict page on loopback: `active` decides the body; other paths 404. */
async function coordinator(answer: (path: string) => { status: number; body: string }): Promise<string> {
  const server = createServer((req, res) => { const a = answer(req.url ?? ''); res.writeHead(a.status).end(a.body); });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function io(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: { HOME: dir, ...env }, cwd: dir, interactive: false, confirm: async () => false };
  return { cli, text: () => out.join('\n'), errors: () => err.join('\n') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-dns-dp-'));
  ids = await verdictIds(new Uint8Array(Buffer.from(SECRET, 'hex')), SERVICE);
  writeFileSync(join(dir, 'lifeboat.config.json'), JSON.stringify({
    services: [{
      name: SERVICE, mode: 'data-plane',
      primary: { url: 'https://198.51.100.10/', a: ['198.51.100.10'] }, secondary: { url: 'https://198.51.100.20/', a: ['198.51.100.20'] },
      healthCheck: { type: 'http' }, dns: [{ provider: 'route53', hostedZoneId: 'Z0123456789ABC' }],
    }],
    vantagePoints: { aws: ['us-east-1'], cloudflare: [] },
    keys: [{ id: 'probe', scope: 'probe', speaksFor: ['aws'] }, { id: 'operator', scope: 'operator' }],
  }));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

describe('lifeboat dns show, data-plane service', () => {
  it('reads each verdict page instead of records: one says fail over, so Route 53 serves the secondary', async () => {
    const page = (active: 'primary' | 'secondary') => (path: string) => (path === ids.path ? { status: 200, body: verdictBody(active, ids.token) } : { status: 404, body: '' });
    const aws = await coordinator(page('secondary'));
    const cloudflare = await coordinator(page('primary'));
    const run = io({ LIFEBOAT_DATA_PLANE_SECRET: SECRET, LIFEBOAT_COORDINATORS: `aws=${aws},cloudflare=${cloudflare}` });
    expect(await main(['dns', 'show'], run.cli)).toBe(0);
    expect(run.text()).toContain('data-plane mode: records are not flipped');
    expect(run.text()).toMatch(/aws +fail over +\(HTTP 200\)/);
    expect(run.text()).toMatch(/cloudflare +stay +\(HTTP 200\)/);
    expect(run.text()).toContain('serving secondary (as Route 53 reads these pages)');
    expect(run.text()).not.toContain(SECRET);

    const json = io({ LIFEBOAT_DATA_PLANE_SECRET: SECRET, LIFEBOAT_COORDINATORS: `aws=${aws},cloudflare=${cloudflare}` });
    expect(await main(['dns', 'show', '--json'], json.cli)).toBe(0);
    expect(JSON.parse(json.text())).toEqual({ ok: true, providers: [{
      service: SERVICE, provider: 'route53', zone: 'Z0123456789ABC', mode: 'data-plane', ok: true, serving: 'secondary',
      verdicts: [{ coordinator: 'aws', state: 'fail over', detail: 'HTTP 200' }, { coordinator: 'cloudflare', state: 'stay', detail: 'HTTP 200' }],
    }] });
  });

  it('a page that is down or a stray 200 without the token is not a failover; a 404 is unreadable', async () => {
    const stray = await coordinator(() => ({ status: 200, body: 'welcome' }));
    const gone = await coordinator(() => ({ status: 404, body: '' }));
    const run = io({ LIFEBOAT_DATA_PLANE_SECRET: SECRET, LIFEBOAT_COORDINATORS: `aws=${stray},cloudflare=${gone}` });
    expect(await main(['dns', 'show'], run.cli)).toBe(0);
    expect(run.text()).toMatch(/aws +stay/);
    expect(run.text()).toMatch(/cloudflare +unreadable +\(HTTP 404\)/);
    expect(run.text()).toContain('serving primary');
  });

  it('without the deploy secret: fails naming LIFEBOAT_DATA_PLANE_SECRET, and still says the mode', async () => {
    const run = io({ LIFEBOAT_COORDINATORS: 'aws=http://127.0.0.1:9' });
    expect(await main(['dns', 'show'], run.cli)).toBe(1);
    expect(run.text()).toContain('data-plane mode');
    expect(run.text()).toMatch(/failed: LIFEBOAT_DATA_PLANE_SECRET must be at least 32 bytes of hex .*not set/);
  });
});
