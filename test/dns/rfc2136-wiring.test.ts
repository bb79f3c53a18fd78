/**
 * The RFC 2136 provider wired in: a config entry `provider: 'rfc2136'` validates, `lifeboat dns
 * apply` flips a real BIND zone with the TSIG secret from the variable `secretFrom` names, a
 * coordinator composed from the config flips it on an override, and one whose TSIG secret is
 * missing degrades (says so) instead of failing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifeboatConfigInput } from '#core/config/schema.ts';
import { loadConfig, parseConfig } from '#core/config/validate.ts';
import { composeCoordinator } from '#core/coordinator/compose.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { mapSecretSource, silentLogger } from '#core/ports.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { main } from '../../cli/main.ts';
import { nodeDnsTransport } from '../../functions/runtime/node-dns-transport.ts';
import { bindAvailable, startBind } from '../fixtures/bind.ts';
import type { DnsServerFixture } from '../fixtures/dns-server.ts';
import { fakeIo } from '../cli/fake-io.ts';

const SERVICE = 'app.example.com';
const PRIMARY = '203.0.113.10';
const SECONDARY = '198.51.100.20';

function configInput(fx: { port: number; keyName: string }): LifeboatConfigInput {
  return {
    services: [{
      name: SERVICE,
      primary: { url: 'https://primary.example.net', a: [PRIMARY] },
      secondary: { url: 'https://secondary.example.net', a: [SECONDARY] },
      healthCheck: { type: 'http' },
      dns: [{ provider: 'rfc2136', server: '127.0.0.1', port: fx.port, zone: 'example.com', keyName: fx.keyName, secretFrom: 'LIFEBOAT_TSIG_SECRET', ttl: 30 }],
    }],
    vantagePoints: { aws: ['us-east-1'], cloudflare: [] },
    keys: [{ id: 'probe-aws', scope: 'probe', speaksFor: ['aws'] }, { id: 'ops-oncall', scope: 'operator' }],
  };
}

describe('the rfc2136 config entry', () => {
  it('validates, and names a missing field by its path', () => {
    expect(parseConfig(configInput({ port: 5353, keyName: 'lifeboat-key' })).ok).toBe(true);
    const bad = configInput({ port: 5353, keyName: 'lifeboat-key' });
    delete (bad.services[0]!.dns[0] as { secretFrom?: string }).secretFrom;
    const result = parseConfig(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.path)).toContain('services[0].dns[0].secretFrom');
  });
});

describe.skipIf(!bindAvailable())('rfc2136 wired into the CLI and the coordinator (BIND)', () => {
  let fx: DnsServerFixture;
  const dirs: string[] = [];
  beforeAll(async () => { fx = await startBind(); });
  afterAll(async () => {
    await fx?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('lifeboat dns apply flips the zone with the secret from secretFrom; without it, it names the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rfc2136-cli-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'lifeboat.config.json'), JSON.stringify(configInput(fx)));
    fx.nsupdate([`update add ${SERVICE}. 30 A ${PRIMARY}`, 'send']);

    const missing = fakeIo(dir);
    expect(await main(['dns', 'apply', '--to', 'secondary', '--yes'], missing)).not.toBe(0);
    expect(missing.stdout.join('\n') + missing.stderr.join('\n')).toContain('LIFEBOAT_TSIG_SECRET');
    expect(fx.digShort(SERVICE, 'A')).toEqual([PRIMARY]);

    const io = fakeIo(dir, { LIFEBOAT_TSIG_SECRET: fx.secret });
    const code = await main(['dns', 'apply', '--to', 'secondary', '--yes'], io);
    const said = io.stdout.join('\n') + io.stderr.join('\n');
    expect(code, said).toBe(0);
    expect(fx.digShort(SERVICE, 'A')).toEqual([SECONDARY]);
    expect(said).not.toContain(fx.secret);
  });

  it('a composed coordinator flips the zone on overrides, and degrades without the TSIG secret', async () => {
    const config = loadConfig(configInput(fx));
    const compose = (secrets: Record<string, string>) => composeCoordinator({
      name: 'aws', config, store: new MemoryStateStore(), nonces: new MemoryNonceStore(), clock: { now: () => Date.now() }, logger: silentLogger,
      fetch: async () => new Response('ok'), secrets: mapSecretSource(secrets), dnsTransport: nodeDnsTransport,
      secretNames: { key: (id) => `key-${id}`, route53Credentials: 'none', webhook: (n) => n, dnsSecret: (n) => `/lifeboat/dns/${n}` },
    });
    const without = await compose({});
    expect(without.degraded).toEqual([expect.objectContaining({ what: 'rfc2136', secret: '/lifeboat/dns/LIFEBOAT_TSIG_SECRET' })]);

    const { coordinator, degraded } = await compose({ '/lifeboat/dns/LIFEBOAT_TSIG_SECRET': fx.secret });
    expect(degraded).toEqual([]);
    // Whatever the zone serves now (the CLI test may have flipped it), both overrides must land.
    const toSecondary = await coordinator.override({ service: SERVICE, action: 'force-secondary', reason: 'drill', by: 'ops-oncall', at: Date.now() });
    expect(toSecondary.flip?.results.every((r) => r.ok)).toBe(true);
    expect(fx.digShort(SERVICE, 'A')).toEqual([SECONDARY]);
    const toPrimary = await coordinator.override({ service: SERVICE, action: 'force-primary', reason: 'drill over', by: 'ops-oncall', at: Date.now() });
    expect(toPrimary.flip?.results.map((r) => (r.ok ? r.outcome : r.error.message))).toEqual(['applied']);
    expect(fx.digShort(SERVICE, 'A')).toEqual([PRIMARY]);
  });
});
