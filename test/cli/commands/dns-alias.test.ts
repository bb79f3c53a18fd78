/** `lifeboat dns show/plan/apply` on a Route 53 zone whose targets are alias records (loopback fixture, real client). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import type { CliIo } from '../../../cli/io.ts';
import { Route53Fixture } from '../../fixtures/route53-server.ts';

const ZONE = 'Z0CLIALIAS1234';
const r53 = new Route53Fixture();
let url = '';
let dir = '';
beforeAll(async () => {
  url = await r53.start();
  r53.addZone(ZONE, 'example.com');
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-dns-alias-'));
  writeFileSync(join(dir, 'lifeboat.config.json'), JSON.stringify({
    services: [{
      name: 'app.example.com',
      primary: { url: 'https://primary.example.com', a: ['203.0.113.10'] },
      secondary: { url: 'https://secondary.example.com', alias: { dnsName: 'd111111abcdef8.cloudfront.net', hostedZoneId: 'Z2FDTNDATAQYW2', evaluateTargetHealth: true } },
      healthCheck: { type: 'http', path: '/healthz' },
      dns: [{ provider: 'route53', hostedZoneId: ZONE, ttl: 60 }],
    }],
    vantagePoints: { aws: ['us-east-1'], cloudflare: [] },
    keys: [{ id: 'test-probe', scope: 'probe', speaksFor: ['aws'] }],
  }));
  r53.seed(ZONE, [{ name: 'app.example.com.', type: 'A', ttl: 60, values: ['203.0.113.10'] }]);
});
afterAll(async () => {
  await r53.stop();
  rmSync(dir, { recursive: true, force: true });
});

function io(): CliIo & { text(): string } {
  const stdout: string[] = [];
  return {
    text: () => stdout.join('\n'), out: (t) => stdout.push(t), err: (t) => stdout.push(t),
    env: { HOME: dir, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'fixture-secret-not-real', AWS_ENDPOINT_URL_ROUTE_53: url },
    cwd: dir, interactive: false, confirm: async () => false,
  };
}

describe('lifeboat dns with alias targets', () => {
  it('plans the A record -> alias as one Update line, applies it, shows the alias, and applies nothing the second time', async () => {
    const plan = io();
    expect(await main(['dns', 'plan', '--to', 'secondary'], plan)).toBe(0);
    expect(plan.text()).toContain(`app.example.com  route53 ${ZONE}\n  * Update  app.example.com A  203.0.113.10 -> alias d111111abcdef8.cloudfront.net (zone Z2FDTNDATAQYW2, evaluate target health)  (ttl 60 -> alias)`);
    const json = io();
    expect(await main(['dns', 'plan', '--to', 'secondary', '--json'], json)).toBe(0);
    expect(JSON.stringify(JSON.parse(json.text()))).toContain('"alias":{"dnsName":"d111111abcdef8.cloudfront.net","hostedZoneId":"Z2FDTNDATAQYW2","evaluateTargetHealth":true}');

    expect(await main(['dns', 'apply', '--to', 'secondary', '--yes'], io())).toBe(0);
    expect(r53.get(ZONE, 'app.example.com', 'A')?.alias).toEqual({ hostedZoneId: 'Z2FDTNDATAQYW2', dnsName: 'd111111abcdef8.cloudfront.net.', evaluateTargetHealth: true });

    const show = io();
    expect(await main(['dns', 'show'], show)).toBe(0);
    expect(show.text()).toContain('    A     alias d111111abcdef8.cloudfront.net (zone Z2FDTNDATAQYW2, evaluate target health)  (alias)');
    expect(show.text()).toMatch(/secondary/);

    const posts = r53.writes().length;
    const again = io();
    expect(await main(['dns', 'apply', '--to', 'secondary', '--yes'], again)).toBe(0);
    expect(again.text()).toContain(': unchanged');
    expect(r53.writes()).toHaveLength(posts);
  });
});
