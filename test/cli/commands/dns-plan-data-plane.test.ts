/**
 * `lifeboat dns plan/apply` and data-plane services: their failover records belong to the CDK
 * stack, so nothing is planned or written for them (a plain record written there would be refused
 * by Route 53 beside the failover records, or shadow them); the output says so and how to move
 * the service instead. No Route 53 request is made for them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import type { CliIo } from '../../../cli/io.ts';

const SERVICE = 'app.example.test';
const PLAIN = 'www.example.test';
let dir = '';
let route53: Server;
let route53Url = '';
const requests: string[] = [];

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    out: (t) => out.push(t), err: (t) => err.push(t), cwd: dir, interactive: false, confirm: async () => true,
    env: { HOME: dir, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-example', AWS_ENDPOINT_URL_ROUTE_53: route53Url, ...env },
  };
  return { cli, text: () => out.join('\n'), errors: () => err.join('\n') };
}

const service = (name: string, extra: Record<string, unknown>) => ({
  name, primary: { url: 'https://198.51.100.10/', a: ['198.51.100.10'] }, secondary: { url: 'https://198.51.100.20/', a: ['198.51.100.20'] },
  healthCheck: { type: 'http' }, ...extra,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-dns-plan-dp-'));
  // Any request here is a failure of the test: data-plane records must never be touched.
  route53 = createServer((req, res) => { requests.push(`${req.method} ${req.url}`); res.writeHead(500).end(); });
  await new Promise<void>((resolve) => route53.listen(0, '127.0.0.1', resolve));
  route53Url = `http://127.0.0.1:${(route53.address() as AddressInfo).port}`;
  writeFileSync(join(dir, 'lifeboat.config.json'), JSON.stringify({
    services: [
      service(SERVICE, { mode: 'data-plane', dns: [{ provider: 'route53', hostedZoneId: 'Z0123456789ABC' }] }),
      service(PLAIN, { dns: [{ provider: 'embedded' }] }),
    ],
    vantagePoints: { aws: ['us-east-1'], cloudflare: [] },
    keys: [{ id: 'probe', scope: 'probe', speaksFor: ['aws'] }, { id: 'operator', scope: 'operator' }],
  }));
});
afterAll(async () => {
  await new Promise((resolve) => route53.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('lifeboat dns plan/apply, data-plane service', () => {
  it('plan: nothing is planned for it, the output says why and how to move it; other services plan as usual', async () => {
    const run = io();
    expect(await main(['dns', 'plan', '--to', 'secondary'], run.cli)).toBe(0);
    expect(run.text()).toContain(`${SERVICE}`);
    expect(run.text()).toContain('data-plane mode: its failover records belong to the CDK stack; nothing is planned or written here');
    expect(run.text()).toContain(`lifeboat override ${SERVICE} --to secondary`);
    expect(run.text()).toMatch(/1 provider to change/);
    expect(requests).toEqual([]);

    const json = io();
    expect(await main(['dns', 'plan', '--to', 'secondary', '--json'], json.cli)).toBe(0);
    const doc = JSON.parse(json.text()) as { ok: boolean; providers: Record<string, unknown>[] };
    expect(doc.ok).toBe(true);
    expect(doc.providers.find((p) => p.service === SERVICE)).toEqual({
      service: SERVICE, provider: 'route53', zone: 'Z0123456789ABC', mode: 'data-plane', ok: true, skipped: true,
      reason: expect.stringContaining('CDK stack'),
    });
    expect(doc.providers.find((p) => p.service === PLAIN)).toMatchObject({ ok: true, provider: 'embedded' });
    expect(requests).toEqual([]);
  });

  it('apply: writes nothing for it and exits 1 (the flip asked for did not happen); the other services are applied', async () => {
    const run = io();
    expect(await main(['dns', 'apply', '--to', 'secondary', '--yes', SERVICE], run.cli)).toBe(1);
    expect(run.text()).toContain('data-plane mode: its failover records belong to the CDK stack; nothing is planned or written here');
    expect(run.text()).toContain(`lifeboat override ${SERVICE} --to secondary`);
    expect(requests).toEqual([]);

    const both = io();
    expect(await main(['dns', 'apply', '--to', 'secondary', '--yes', '--json'], both.cli)).toBe(1);
    const doc = JSON.parse(both.text()) as { ok: boolean; results: Record<string, unknown>[] };
    expect(doc.ok).toBe(false);
    expect(doc.results.find((r) => r.service === SERVICE)).toEqual({
      service: SERVICE, provider: 'route53', zone: 'Z0123456789ABC', mode: 'data-plane', ok: false, skipped: true,
      reason: expect.stringContaining('CDK stack'),
    });
    expect(doc.results.find((r) => r.service === PLAIN)).toMatchObject({ ok: true, outcome: 'applied' });
    expect(requests).toEqual([]);
  });
});
