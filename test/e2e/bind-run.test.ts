/**
 * `lifeboat run --dns bind` (issue 16 part 3): the local run with BIND as its DNS server. Both
 * coordinators flip named through the RFC 2136 provider (the AWS one from Node, the Worker over
 * cloudflare:sockets), and `dig` against named's port is the judge. Stopping the run stops named.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dig } from '../cli/dig.ts';
import { bindAvailable } from '../fixtures/bind.ts';
import { INTERVAL_S, PRIMARY_IP, SECONDARY_IP, SERVICE, startE2E, steady, waitFor, type E2E } from './harness.ts';

const intervals = (n: number) => n * INTERVAL_S * 1000;
const digShort = async (port: number, name: string, type: string) => (await dig(port, ['+short', name, type])).split('\n').map((l) => l.trim()).filter(Boolean);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
let e: E2E | undefined;

afterEach(async () => {
  await e?.stop();
  e = undefined;
});

describe.skipIf(!bindAvailable())('the local run on BIND (--dns bind)', () => {
  it('named serves the primary, the primary stops, dig answers the secondary; named stops with the run', async () => {
    e = await startE2E({}, { dnsServer: 'bind' });
    const pid = Number(/BIND \(named, pid (\d+)\) on 127\.0\.0\.1:/.exec(e.lines.join('\n'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(e.run.dnsServer).toBe('bind');
    // The coordinators run the rewritten entry: RFC 2136 to named, not the embedded provider.
    expect(e.run.config.services[0]!.dns).toEqual([expect.objectContaining({ provider: 'rfc2136', server: '127.0.0.1', port: e.run.dnsPort, zone: 'e2e.test' })]);
    expect(await digShort(e.run.dnsPort, SERVICE, 'A')).toEqual([PRIMARY_IP]);
    await steady(e);
    // Both coordinators got the TSIG secret (none is degraded for rfc2136): either can flip named.
    const reports = await e.status();
    expect(reports.map((r) => r.coordinator).sort()).toEqual(['aws', 'cloudflare']);
    for (const r of reports) expect((r as { degraded?: unknown }).degraded).toBeUndefined();

    await e.primary().stop();
    await waitFor('dig against named to answer the secondary', async () => (await digShort(e!.run.dnsPort, SERVICE, 'A')).join() === SECONDARY_IP, intervals(10));
    // Authoritative, from named itself (not a cache), with the compare-and-swap's state record beside it.
    expect(await dig(e.run.dnsPort, [SERVICE, 'A'])).toMatch(/flags: qr aa/);
    expect(await e.stateRecord()).toMatchObject({ active: 'secondary', epoch: 1 });

    await e.stop();
    e = undefined;
    expect(alive(pid)).toBe(false);
  });
});
