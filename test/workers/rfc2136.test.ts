/**
 * Inside workerd: the RFC 2136 provider over `cloudflare:sockets` (workers/dns-transport.ts)
 * against the real BIND that globalSetup starts on a loopback high port: loopback TCP from
 * workerd works, TSIG signs and verifies with workerd's WebCrypto, and the compare-and-swap holds.
 */
import { describe, expect, inject, it } from 'vitest';
import { planFlip } from '#core/dns/flip.ts';
import { isNoop } from '#core/dns/plan.ts';
import { Rfc2136Error, Rfc2136Provider } from '#core/dns/rfc2136.ts';
import { DnsRetryExhaustedError, type ServiceDns } from '#core/dns/types.ts';
import { workerDnsTransport } from '../../workers/dns-transport.ts';

const bind = inject('bind');
const SERVICE = 'wd.example.com';
const dns: ServiceDns = {
  service: SERVICE,
  ttl: 60,
  targets: {
    primary: [{ name: SERVICE, type: 'A', ttl: 60, values: ['203.0.113.10'] }, { name: SERVICE, type: 'AAAA', ttl: 60, values: ['2001:db8::10'] }],
    secondary: [{ name: SERVICE, type: 'A', ttl: 60, values: ['198.51.100.20', '198.51.100.21'] }, { name: SERVICE, type: 'AAAA', ttl: 60, values: ['2001:db8::20'] }],
  },
};

const provider = (secret = bind!.secret, port = bind!.port, tcp = true) => new Rfc2136Provider({
  server: { host: '127.0.0.1', port, tcp }, zone: bind!.zone, key: { name: bind!.keyName, secret },
  transport: workerDnsTransport, sleep: async () => {}, retry: { attempts: 3 },
});

describe.skipIf(!bind)('RFC 2136 provider inside workerd, over cloudflare:sockets, against BIND', () => {
  it('runs in workerd, not Node', () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers');
  });

  it('flips to the secondary and back, exactly one of two racing plans wins, the same decision sends nothing', async () => {
    const p = provider();
    expect(await p.read(dns)).toEqual({ records: [], state: null });
    // Creates the records from nothing (the "RRset does not exist" prerequisite).
    expect(await p.apply(await planFlip({ provider: p, dns }, 'primary', 1_000))).toMatchObject({ outcome: 'applied', state: { active: 'primary', epoch: 1 } });

    const [a, b] = await Promise.all([2_000, 2_001].map((at) => planFlip({ provider: p, dns }, 'secondary', at)));
    const results = await Promise.all([p.apply(a!), p.apply(b!)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['applied', 'conflict']);
    const current = await p.read(dns);
    expect(current.state).toMatchObject({ active: 'secondary', epoch: 2 });
    expect(current.records).toEqual(dns.targets.secondary);
    for (const r of results) expect(r.state).toEqual(current.state);

    const again = await planFlip({ provider: p, dns }, 'secondary', 3_000);
    expect(isNoop(again)).toBe(true);
    expect((await p.apply(again)).outcome).toBe('unchanged');

    expect(await p.apply(await planFlip({ provider: p, dns }, 'primary', 4_000))).toMatchObject({ outcome: 'applied', state: { active: 'primary', epoch: 3 } });
    expect((await p.read(dns)).records).toEqual(dns.targets.primary);
  });

  it('a wrong secret is refused (NOTAUTH, TSIG BADSIG), naming the key and never the secret', async () => {
    const wrong = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const err = await provider(wrong).read(dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Rfc2136Error);
    expect(err).toMatchObject({ rcode: 'NOTAUTH', tsigError: 'BADSIG' });
    expect((err as Error).message).toContain(`key ${bind!.keyName}`);
    expect((err as Error).message).not.toContain(wrong);
  });

  it('a port where nothing listens: retried, bounded, reported', async () => {
    // Port 1 (tcpmux) is not served on this loopback.
    const err = await provider(bind!.secret, 1).read(dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsRetryExhaustedError);
    expect((err as Error).message).toMatch(/gave up after bounded retries \(at most 3 attempts\)/);
  });

  it('tcp: false is refused in a Worker, saying why', async () => {
    const err = await provider(bind!.secret, bind!.port, false).read(dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Rfc2136Error);
    expect((err as Error).message).toMatch(/a Worker can only use TCP; set tcp: true/);
  });
});
