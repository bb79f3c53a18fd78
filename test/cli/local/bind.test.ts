/**
 * cli/local/bind.ts and bind-zones.ts: what `lifeboat run --dns bind` starts and runs. The run
 * itself, flipped and judged by dig, is test/e2e/bind-run.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import { jsonLogger } from '#core/log.ts';
import { NamedNotFoundError, namedConf, namedZoneFile, startNamed } from '../../../cli/local/bind.ts';
import { LOCAL_TSIG_SECRET_NAME, embeddedOnBind } from '../../../cli/local/bind-zones.ts';
import { startLocalRun } from '../../../cli/local/run.ts';
import { bindAvailable } from '../../fixtures/bind.ts';

const config = loadConfig({
  services: [
    { name: 'a.one.test', primary: { url: 'http://127.0.0.41/', a: ['127.0.0.41'] }, secondary: { url: 'http://127.0.0.42/', a: ['127.0.0.42'] }, healthCheck: { type: 'http' }, dns: [{ provider: 'embedded', ttl: 3 }] },
    { name: 'b.one.test', primary: { url: 'http://127.0.0.43/', cname: 'up.elsewhere.test' }, secondary: { url: 'http://127.0.0.44/', cname: 'down.elsewhere.test' }, healthCheck: { type: 'http' }, dns: [{ provider: 'embedded' }] },
  ],
  vantagePoints: { aws: ['us-east-1'], cloudflare: ['weur'] },
  keys: [{ id: 'probe', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: 'operator', scope: 'operator' }],
});

afterEach(() => { vi.unstubAllEnvs(); });

describe('embeddedOnBind', () => {
  it('turns each embedded entry into an rfc2136 entry for its apex on the given port, one zone per apex seeded with the primaries', () => {
    const { config: onBind, zones } = embeddedOnBind(config, 18_053);
    expect(onBind.services.map((s) => s.dns)).toEqual([
      [{ provider: 'rfc2136', server: '127.0.0.1', port: 18_053, zone: 'one.test', keyName: 'lifeboat-local', algorithm: 'hmac-sha256', secretFrom: LOCAL_TSIG_SECRET_NAME, ttl: 3, tcp: true }],
      [expect.objectContaining({ provider: 'rfc2136', zone: 'one.test', ttl: 5 })],
    ]);
    expect(zones).toEqual([{ apex: 'one.test', records: [
      { name: 'a.one.test', type: 'A', ttl: 3, values: ['127.0.0.41'] },
      { name: 'b.one.test', type: 'CNAME', ttl: 5, values: ['up.elsewhere.test'] },
    ] }]);
    // The input config is left as it was.
    expect(config.services[0]!.dns[0]!.provider).toBe('embedded');
  });

  it('writes the seeds as zone file lines (a CNAME target made absolute)', () => {
    const text = namedZoneFile(embeddedOnBind(config, 1).zones[0]!);
    expect(text).toContain('a.one.test. 3 IN A 127.0.0.41');
    expect(text).toContain('b.one.test. 5 IN CNAME up.elsewhere.test.');
  });
});

describe('namedConf', () => {
  it('lets only the keys marked update change the zones', () => {
    const conf = namedConf('/d', 1053, [{ apex: 'one.test' }], [{ name: 'w', secret: 'AAAA', update: true }, { name: 'r', secret: 'BBBB', update: false }]);
    expect(conf).toContain('update-policy { grant w zonesub ANY; };');
    expect(conf).not.toContain('grant r');
    expect(conf).toContain('listen-on port 1053 { 127.0.0.1; };');
  });

  it('refuses a key name or secret that could break out of the quotes, naming the key and never echoing the secret', () => {
    expect(() => namedConf('/d', 1, [{ apex: 'x.test' }], [{ name: 'a"; };', secret: 'AAAA', update: true }])).toThrow(/TSIG key name/);
    const err = (() => { try { namedConf('/d', 1, [{ apex: 'x.test' }], [{ name: 'k', secret: 'x"}; evil', update: true }]); } catch (e) { return e as Error; } })();
    expect(err?.message).toMatch(/TSIG key k: the secret must be base64/);
    expect(err?.message).not.toContain('evil');
  });
});

describe('named missing', () => {
  it('--dns bind without named on PATH: a clear error saying how to install it, before the state dir is touched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-nonamed-'));
    const emptyBin = join(dir, 'bin');
    mkdirSync(emptyBin);
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    vi.stubEnv('PATH', emptyBin);
    try {
      const run = startLocalRun({ config, configPath: join(dir, 'c.json'), stateDir, dnsPort: 0, dnsServer: 'bind', logger: jsonLogger(() => {}, {}, 'error'), progress: () => {}, startSites: false });
      await expect(run).rejects.toThrow(NamedNotFoundError);
      await expect(run).rejects.toThrow(/--dns bind: named \(BIND 9\) is not on PATH; install BIND 9 .*apt-get install bind9/);
      expect(existsSync(stateDir)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('startNamed with a binary that does not exist says the same', async () => {
    await expect(startNamed({ port: 0, zones: [{ apex: 'x.test' }], keys: [{ name: 'k', secret: 'AAAA', update: true }], binary: '/nonexistent/named' })).rejects.toThrow(NamedNotFoundError);
  });
});

describe.skipIf(!bindAvailable())('startNamed', () => {
  it('serves the seeded records, and stop() ends its PID and removes its dir', async () => {
    const { zones } = embeddedOnBind(config, 0);
    const named = await startNamed({ port: 0, zones, keys: [{ name: 'lifeboat-local', secret: Buffer.alloc(32, 7).toString('base64'), update: true }] });
    try {
      const { execFileSync } = await import('node:child_process');
      const answer = execFileSync('dig', ['@127.0.0.1', '-p', String(named.port), '+short', '+tcp', 'a.one.test', 'A'], { encoding: 'utf8' }).trim();
      expect(answer).toBe('127.0.0.41');
    } finally {
      await named.stop();
    }
    expect(() => process.kill(named.pid, 0)).toThrow(/ESRCH/);
    expect(existsSync(named.dir)).toBe(false);
  });
});
