/**
 * `lifeboat doctor` against broken DNS providers: the loopback Route 53 answering AccessDenied
 * and NoSuchHostedZone in its real error XML, and the loopback Cloudflare answering 403
 * "Authentication error" (code 10000) in its real JSON. Each time doctor exits 1, names the
 * zone and the failing check, says what to fix, and prints no secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { SERVICE, startPair, testConfigInput, type Pair } from '../support/coordinators.ts';
import { CloudflareFixture } from '../fixtures/cloudflare-server.ts';
import { Route53Fixture } from '../fixtures/route53-server.ts';
import { fakeIo } from './fake-io.ts';

const R53_ZONE = 'Z0DOCTORZONE1';
const CF_ZONE = 'd0c7'.repeat(8);
const AWS_SECRET = 'doctor-dns-aws-secret-not-real';
const CF_TOKEN = 'cf-doctor-token-SECRET-0123';
const r53 = new Route53Fixture();
const cf = new CloudflareFixture(CF_TOKEN);
let r53Url = '';
let cfUrl = '';
let cwd = '';
let pair: Pair;

beforeAll(async () => {
  r53Url = await r53.start();
  cfUrl = await cf.start();
  r53.addZone(R53_ZONE, 'example.com');
  cf.addZone(CF_ZONE);
  cwd = mkdtempSync(join(tmpdir(), 'doctor-dns-'));
  // Two real coordinators on loopback, so the DNS checks are the only ones that can FAIL.
  pair = await startPair();
}, 60_000);
afterAll(async () => {
  await pair.close();
  await r53.stop();
  await cf.stop();
  rmSync(cwd, { recursive: true, force: true });
});

function writeConfig(hostedZoneId: string) {
  const base = testConfigInput();
  writeFileSync(join(cwd, 'lifeboat.config.json'), JSON.stringify({
    ...base, services: [{ ...base.services[0]!, dns: [{ provider: 'route53', hostedZoneId }, { provider: 'cloudflare', zoneId: CF_ZONE }] }],
  }));
}

async function doctor(cfToken = CF_TOKEN) {
  const io = fakeIo(cwd, {
    ...pair.env(), HOME: cwd, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_ENDPOINT_URL_ROUTE_53: r53Url,
    CLOUDFLARE_API_TOKEN: cfToken, LIFEBOAT_CLOUDFLARE_API_URL: cfUrl, LIFEBOAT_CONFIG: join(cwd, 'lifeboat.config.json'),
  });
  const code = await main(['doctor', '--zone-dir', join(cwd, 'zones')], io);
  const lines = io.stdout.join('\n').split('\n');
  const dnsLine = (provider: string) => {
    const i = lines.findIndex((l) => l.includes(`dns ${SERVICE} at ${provider}`));
    return { line: lines[i] ?? '', fix: lines[i + 1] ?? '' };
  };
  return { code, text: io.text(), dnsLine };
}

describe('lifeboat doctor with a broken DNS provider', () => {
  it('passes the DNS checks when both providers answer', async () => {
    writeConfig(R53_ZONE);
    const r = await doctor();
    expect(r.dnsLine('route53').line, r.text).toMatch(new RegExp(`^ok   dns app\\.example\\.com at route53 ${R53_ZONE}: readable; dry-run plan`));
    expect(r.dnsLine('cloudflare').line, r.text).toMatch(/^ok   dns app\.example\.com at cloudflare /);
    expect(r.code, r.text).toBe(0);
  });

  it('Route 53 AccessDenied: FAIL naming the zone and the missing right', async () => {
    writeConfig(R53_ZONE);
    r53.denyAll = { principal: 'arn:aws:iam::123456789012:user/lifeboat-readonly' };
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      const { line, fix } = r.dnsLine('route53');
      expect(line, r.text).toMatch(new RegExp(`^FAIL dns app\\.example\\.com at route53 ${R53_ZONE}: read failed: Route53ApiError: Route 53 zone ${R53_ZONE}, record _lifeboat\\.app\\.example\\.com: AccessDenied \\(HTTP 403\\): User: arn:aws:iam::123456789012:user/lifeboat-readonly is not authorized to perform: route53:ListResourceRecordSets`));
      expect(fix).toBe(`     fix: the credentials may not read hosted zone ${R53_ZONE}: grant route53:ListResourceRecordSets, route53:ChangeResourceRecordSets and route53:GetChange on arn:aws:route53:::hostedzone/${R53_ZONE}`);
      expect(r.text).not.toContain(AWS_SECRET);
      expect(r.text).not.toContain(CF_TOKEN);
    } finally {
      r53.denyAll = undefined;
    }
  });

  it('Route 53 NoSuchHostedZone: FAIL naming the zone id to check', async () => {
    writeConfig('Z0NOTINACCOUNT');
    const r = await doctor();
    expect(r.code).toBe(1);
    const { line, fix } = r.dnsLine('route53');
    expect(line, r.text).toMatch(/^FAIL dns app\.example\.com at route53 Z0NOTINACCOUNT: read failed: Route53ApiError: .*NoSuchHostedZone \(HTTP 404\): No hosted zone found with ID: Z0NOTINACCOUNT/);
    expect(fix).toBe('     fix: hosted zone Z0NOTINACCOUNT is not in the account of these credentials: check hostedZoneId (aws route53 list-hosted-zones) and AWS_PROFILE');
    expect(r.text).not.toContain(AWS_SECRET);
  });

  it('Cloudflare 403 with an invalid token: FAIL naming the zone, without the token', async () => {
    writeConfig(R53_ZONE);
    const wrong = 'cf-wrong-token-SECRET-9876';
    const r = await doctor(wrong);
    expect(r.code).toBe(1);
    const { line, fix } = r.dnsLine('cloudflare');
    expect(line, r.text).toMatch(new RegExp(`^FAIL dns app\\.example\\.com at cloudflare ${CF_ZONE}: read failed: .*403.*Authentication error`));
    expect(fix).toBe(`     fix: Cloudflare refused CLOUDFLARE_API_TOKEN (403): make a token with "Zone DNS: Edit" on zone ${CF_ZONE} and set it`);
    expect(r.text).not.toContain(wrong);
    expect(r.text).not.toContain(CF_TOKEN);
    // The other provider is still checked on its own.
    expect(r.dnsLine('route53').line).toMatch(/^ok   /);
  });
});
