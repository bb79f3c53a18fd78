/**
 * `lifeboat dns` end to end: main() with a fake terminal in a temp dir, the embedded zone file,
 * a real embedded server answering dig/Node's resolver, and the Route 53 and Cloudflare loopback
 * fixtures driven through the real clients.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LifeboatConfigInput } from '#core/config/schema.ts';
import { encodeStateRecord } from '#core/dns/state-record.ts';
import { main } from '../../../cli/main.ts';
import type { CliIo } from '../../../cli/io.ts';
import { requireConfig } from '../../../cli/config-file.ts';
import { dnsContext, serveZones } from '../../../cli/commands/dns.ts';
import { embeddedZones } from '../../../cli/local/embedded-zones.ts';
import { startDnsServer, type RunningDnsServer } from '../../../cli/local/dns-server.ts';
import { Route53Fixture } from '../../fixtures/route53-server.ts';
import { CloudflareFixture } from '../../fixtures/cloudflare-server.ts';
import { digShort, runDigTests } from '../dig.ts';

interface FakeIo extends CliIo { stdout: string[]; stderr: string[]; text(): string; questions: string[] }

function fakeIo(cwd: string, options: { env?: Record<string, string>; interactive?: boolean; answer?: boolean } = {}): FakeIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const questions: string[] = [];
  return {
    stdout, stderr, questions,
    text: () => stdout.join('\n'),
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    // HOME in the temp dir: no ~/.aws of the machine running the tests leaks in.
    env: { HOME: cwd, ...options.env },
    cwd,
    interactive: options.interactive ?? false,
    confirm: async (q) => { questions.push(q); return options.answer ?? false; },
  };
}

const service = (name: string, primary: string, secondary: string, dns: LifeboatConfigInput['services'][number]['dns']) => ({
  name,
  primary: { url: `http://${primary}`, a: [primary] },
  secondary: { url: `http://${secondary}`, a: [secondary] },
  healthCheck: { type: 'http' as const, path: '/healthz' },
  dns,
});

function config(services: LifeboatConfigInput['services']): LifeboatConfigInput {
  return {
    services,
    vantagePoints: { aws: ['us-east-1'], cloudflare: [] },
    keys: [{ id: 'test-probe', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }],
  };
}

const dirs: string[] = [];
function project(cfg: LifeboatConfigInput): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-dns-cli-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'lifeboat.config.json'), JSON.stringify(cfg, null, 2));
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const EMBEDDED = config([
  service('app.example.test', '203.0.113.10', '198.51.100.20', [{ provider: 'embedded', ttl: 5 }]),
  service('api.example.test', '203.0.113.11', '198.51.100.21', [{ provider: 'embedded', ttl: 5 }]),
]);
const zonePath = (dir: string) => join(dir, '.lifeboat', 'dns', 'example.test.json');
const zoneVersion = (dir: string) => (JSON.parse(readFileSync(zonePath(dir), 'utf8')) as { version: number }).version;

/** The embedded server the way `lifeboat dns serve` builds it, over the project's zone dir. */
async function serve(dir: string): Promise<{ server: RunningDnsServer; resolver: Resolver }> {
  const { config: cfg } = await requireConfig(undefined, dir, {});
  const server = await startDnsServer({ zones: [...embeddedZones(cfg, join(dir, '.lifeboat', 'dns')).values()], port: 0 });
  const resolver = new Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.port}`]);
  return { server, resolver };
}

describe('lifeboat dns with the embedded provider', () => {
  it('plans a flip as Update lines and writes nothing', async () => {
    const dir = project(EMBEDDED);
    const io = fakeIo(dir);
    expect(await main(['dns', 'plan', '--to', 'secondary'], io)).toBe(0);
    expect(io.text()).toContain('app.example.test  embedded example.test');
    expect(io.text()).toContain('* Update  app.example.test A  203.0.113.10 -> 198.51.100.20  (ttl 5)');
    expect(io.text()).toContain('* Create  _lifeboat.app.example.test TXT  none -> secondary epoch 1');
    expect(io.text()).toContain('2 providers to change, 0 already serving the target');
    expect(existsSync(zonePath(dir))).toBe(false);
  });

  it('applies with --yes: the running server answers the flip, and a second apply sends nothing', async () => {
    const dir = project(EMBEDDED);
    const { server, resolver } = await serve(dir);
    try {
      expect(await resolver.resolve4('app.example.test')).toEqual(['203.0.113.10']);
      const io = fakeIo(dir);
      expect(await main(['dns', 'apply', '--to', 'secondary', 'app.example.test', '--yes'], io)).toBe(0);
      expect(io.text()).toMatch(/app\.example\.test {2}embedded example\.test: applied \(state secondary epoch 1 at /);
      expect(await resolver.resolve4('app.example.test')).toEqual(['198.51.100.20']);
      // Only the named service moved.
      expect(await resolver.resolve4('api.example.test')).toEqual(['203.0.113.11']);
      expect((await resolver.resolveTxt('_lifeboat.app.example.test'))[0]?.[0]).toMatch(/^lifeboat=1 active=secondary epoch=1 at=\d+$/);
      if (runDigTests) expect(await digShort(server.port, ['app.example.test', 'A'])).toEqual(['198.51.100.20']);

      const version = zoneVersion(dir);
      const mtime = statSync(zonePath(dir)).mtimeMs;
      const again = fakeIo(dir);
      expect(await main(['dns', 'apply', '--to', 'secondary', 'app.example.test', '--yes'], again)).toBe(0);
      expect(again.text()).toContain('(no change: already serving secondary');
      expect(again.text()).toMatch(/: unchanged \(state secondary epoch 1/);
      expect(zoneVersion(dir)).toBe(version);
      expect(statSync(zonePath(dir)).mtimeMs).toBe(mtime);

      // And back, through `dns serve`'s answer as well.
      expect(await main(['dns', 'apply', '--to', 'primary', '--yes'], fakeIo(dir))).toBe(0);
      expect(await resolver.resolve4('app.example.test')).toEqual(['203.0.113.10']);
      expect((await resolver.resolveTxt('_lifeboat.app.example.test'))[0]?.[0]).toMatch(/active=primary epoch=2 /);
    } finally {
      await server.close();
    }
  });

  it('refuses to apply off a terminal without --yes (exit 2) and writes nothing', async () => {
    const dir = project(EMBEDDED);
    const io = fakeIo(dir, { interactive: false });
    expect(await main(['dns', 'apply', '--to', 'secondary'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('pass --yes');
    expect(io.questions).toEqual([]);
    expect(existsSync(zonePath(dir))).toBe(false);
  });

  it('asks on a terminal: no leaves DNS alone (exit 1), yes applies', async () => {
    const dir = project(EMBEDDED);
    const no = fakeIo(dir, { interactive: true, answer: false });
    expect(await main(['dns', 'apply', '--to', 'secondary'], no)).toBe(1);
    expect(no.questions).toEqual(['Apply these changes to 2 providers?']);
    expect(existsSync(zonePath(dir))).toBe(false);
    const yes = fakeIo(dir, { interactive: true, answer: true });
    expect(await main(['dns', 'apply', '--to', 'secondary'], yes)).toBe(0);
    // One atomic write per service (each service is its own compare-and-swap).
    expect(zoneVersion(dir)).toBe(2);
    // Nothing to change: no question asked.
    const nothing = fakeIo(dir, { interactive: true, answer: false });
    expect(await main(['dns', 'apply', '--to', 'secondary'], nothing)).toBe(0);
    expect(nothing.questions).toEqual([]);
  });

  it('prints plan, apply and show as JSON', async () => {
    const dir = project(EMBEDDED);
    const plan = fakeIo(dir);
    expect(await main(['dns', 'plan', '--to', 'secondary', 'app.example.test', '--json'], plan)).toBe(0);
    expect(JSON.parse(plan.text())).toEqual({
      to: 'secondary', ok: true,
      providers: [{
        service: 'app.example.test', provider: 'embedded', zone: 'example.test', ok: true, noop: false,
        changes: [{ kind: 'update', name: 'app.example.test', type: 'A', before: { ttl: 5, values: ['203.0.113.10'] }, after: { ttl: 5, values: ['198.51.100.20'] } }],
        state: { before: null, after: { active: 'secondary', epoch: 1, at: expect.any(Number) } },
      }],
    });
    const apply = fakeIo(dir);
    expect(await main(['dns', 'apply', '--to', 'secondary', '--yes', '--json'], apply)).toBe(0);
    const applied = JSON.parse(apply.text()) as { ok: boolean; results: { service: string; ok: boolean; outcome: string; state: unknown; plan: { noop: boolean } }[] };
    expect(applied.ok).toBe(true);
    expect(applied.results.map((r) => [r.service, r.ok, r.outcome, r.plan.noop])).toEqual([
      ['app.example.test', true, 'applied', false], ['api.example.test', true, 'applied', false],
    ]);
    const show = fakeIo(dir);
    expect(await main(['dns', 'show', 'api.example.test', '--json'], show)).toBe(0);
    expect(JSON.parse(show.text())).toEqual({
      ok: true,
      providers: [{
        service: 'api.example.test', provider: 'embedded', zone: 'example.test', ok: true, serving: 'secondary',
        records: [{ name: 'api.example.test', type: 'A', ttl: 5, values: ['198.51.100.21'] }],
        state: { active: 'secondary', epoch: 1, at: expect.any(Number) },
      }],
    });
  });

  it('shows records, state and which target they match', async () => {
    const dir = project(EMBEDDED);
    const io = fakeIo(dir);
    expect(await main(['dns', 'show'], io)).toBe(0);
    expect(io.stdout).toEqual([
      'app.example.test  embedded example.test', '    A     203.0.113.10  (ttl 5)', '    state none', '    serving primary',
      'api.example.test  embedded example.test', '    A     203.0.113.11  (ttl 5)', '    state none', '    serving primary',
    ]);
  });

  it('surfaces the safety rails as a refusal (exit 1)', async () => {
    const cfg = config([{
      ...service('app.example.test', '203.0.113.10', '198.51.100.20', [{ provider: 'embedded', ttl: 5 }]),
      primary: { url: 'http://203.0.113.10', a: ['203.0.113.10'], aaaa: ['2001:db8::10'] },
    }]);
    const io = fakeIo(project(cfg));
    expect(await main(['dns', 'plan', '--to', 'secondary'], io)).toBe(1);
    expect(io.text()).toContain('! refused: refusing to plan embedded zone example.test: serving secondary would delete the AAAA record (2001:db8::10)');
  });

  it('says what is wrong with the command line (exit 2)', async () => {
    const dir = project(EMBEDDED);
    const cases: [string[], RegExp][] = [
      [['dns', 'plan'], /--to primary\|secondary is required/],
      [['dns', 'plan', '--to', 'tertiary'], /--to must be primary or secondary/],
      [['dns', 'plan', '--to', 'primary', 'nope.example.test'], /no service named nope\.example\.test/],
      [['dns', 'show', '--yes'], /--yes is not an option of "dns show"/],
      [['dns', 'launch'], /unknown subcommand "launch"/],
    ];
    for (const [argv, message] of cases) {
      const io = fakeIo(dir);
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.stderr.join('\n')).toMatch(message);
    }
    const help = fakeIo(dir);
    expect(await main(['dns', 'help', 'apply'], help)).toBe(0);
    expect(help.text()).toContain('Usage: lifeboat dns apply --to primary|secondary');
  });

  it('serves the zone until told to stop, printing the dig command', async () => {
    const dir = project(EMBEDDED);
    const io = fakeIo(dir);
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => { stop = resolve; });
    const running = serveZones(await dnsContext('serve', ['--port', '0'], io), stopped);
    const deadline = Date.now() + 5_000;
    while (!io.stdout.some((l) => l.includes('dig @')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const port = Number(/-p (\d+) /.exec(io.text())?.[1]);
    expect(io.text()).toContain(`dig @127.0.0.1 -p ${port} app.example.test +norecurse`);
    expect(zoneVersion(dir)).toBe(1);
    const resolver = new Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    expect(await resolver.resolve4('api.example.test')).toEqual(['203.0.113.11']);
    expect(await main(['dns', 'apply', '--to', 'secondary', 'api.example.test', '--yes'], fakeIo(dir))).toBe(0);
    expect(await resolver.resolve4('api.example.test')).toEqual(['198.51.100.21']);
    stop();
    expect(await running).toBe(0);
    expect(io.stdout.at(-1)).toBe('DNS server stopped.');
    await expect(resolver.resolve4('api.example.test')).rejects.toBeTruthy();
  });
});

describe('lifeboat dns with Route 53 and Cloudflare (loopback fixtures)', () => {
  const R53_ZONE = 'Z0CLITEST12345';
  const CF_ZONE = '0123456789abcdef0123456789abcdef';
  const TOKEN = 'cf-test-token-not-real';
  const r53 = new Route53Fixture();
  const cf = new CloudflareFixture(TOKEN);
  let r53Url = '';
  let cfUrl = '';
  beforeAll(async () => {
    r53Url = await r53.start();
    cfUrl = await cf.start();
    r53.addZone(R53_ZONE, 'example.com');
    cf.addZone(CF_ZONE);
    r53.seed(R53_ZONE, [{ name: 'app.example.com.', type: 'A', ttl: 60, values: ['203.0.113.10'] }]);
    cf.seed(CF_ZONE, [{ name: 'app.example.com', type: 'A', content: '203.0.113.10', ttl: 60, proxied: false }]);
  });
  afterAll(async () => {
    await r53.stop();
    await cf.stop();
  });

  const CLOUD = config([service('app.example.com', '203.0.113.10', '198.51.100.20', [
    { provider: 'route53', hostedZoneId: R53_ZONE, ttl: 60 },
    { provider: 'cloudflare', zoneId: CF_ZONE, ttl: 60 },
    { provider: 'embedded', ttl: 5 },
  ])]);
  const env = () => ({
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'fixture-secret-not-real', AWS_ENDPOINT_URL_ROUTE_53: r53Url,
    CLOUDFLARE_API_TOKEN: TOKEN, LIFEBOAT_CLOUDFLARE_API_URL: cfUrl,
  });

  it('plans and applies at every provider, then sends nothing the second time', async () => {
    const dir = project(CLOUD);
    const plan = fakeIo(dir, { env: env() });
    expect(await main(['dns', 'plan', '--to', 'secondary'], plan)).toBe(0);
    expect(plan.text()).toContain(`app.example.com  route53 ${R53_ZONE}\n  * Update  app.example.com A  203.0.113.10 -> 198.51.100.20  (ttl 60)`);
    expect(plan.text()).toContain(`app.example.com  cloudflare ${CF_ZONE}\n  * Update  app.example.com A  203.0.113.10 -> 198.51.100.20  (ttl 60)`);
    expect(plan.text()).toContain('app.example.com  embedded example.com\n  * Update  app.example.com A  203.0.113.10 -> 198.51.100.20  (ttl 5)');
    const writesBefore = { r53: r53.requests.filter((r) => r.method === 'POST').length, cf: cf.writes().length };
    expect(writesBefore).toEqual({ r53: 0, cf: 0 });

    const apply = fakeIo(dir, { env: env() });
    expect(await main(['dns', 'apply', '--to', 'secondary', '--yes', '--json'], apply)).toBe(0);
    const results = (JSON.parse(apply.text()) as { results: { provider: string; outcome: string; state: unknown }[] }).results;
    expect(results.map((r) => [r.provider, r.outcome])).toEqual([['route53', 'applied'], ['cloudflare', 'applied'], ['embedded', 'applied']]);
    expect(r53.get(R53_ZONE, 'app.example.com', 'A')?.values).toEqual(['198.51.100.20']);
    expect(cf.records(CF_ZONE, 'app.example.com', 'A').map((r) => r.content)).toEqual(['198.51.100.20']);
    const state = encodeStateRecord(results[0]!.state as Parameters<typeof encodeStateRecord>[0]);
    expect(cf.records(CF_ZONE, '_lifeboat.app.example.com', 'TXT')[0]?.content).toContain(state);

    const writes = { r53: r53.requests.filter((r) => r.method === 'POST').length, cf: cf.writes().length };
    const again = fakeIo(dir, { env: env() });
    expect(await main(['dns', 'apply', '--to', 'secondary', '--yes'], again)).toBe(0);
    expect(again.text().match(/: unchanged/g)).toHaveLength(3);
    expect({ r53: r53.requests.filter((r) => r.method === 'POST').length, cf: cf.writes().length }).toEqual(writes);
    // The secret never reaches the output.
    expect([...apply.stdout, ...again.stdout, ...plan.stdout].join('\n')).not.toContain(TOKEN);
  });

  it('names the missing variables, still applies at the providers it can, and exits 1', async () => {
    const dir = project(CLOUD);
    const io = fakeIo(dir, { env: {} });
    expect(await main(['dns', 'apply', '--to', 'secondary', '--yes'], io)).toBe(1);
    const text = io.text();
    expect(text).toMatch(/route53 Z0CLITEST12345\n {2}! failed: .*AWS_ACCESS_KEY_ID/);
    expect(text).toMatch(/cloudflare 0123456789abcdef0123456789abcdef\n {2}! failed: .*CLOUDFLARE_API_TOKEN/);
    expect(text).toMatch(/embedded example\.com: applied/);
  });
});
