import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { makeAuditCommand, mergeAudit } from '../../../cli/commands/audit.ts';
import { deadUrl } from '../../support/serve-fetch.ts';
import { SERVICE, startPair, type Pair } from '../../support/coordinators.ts';
import { fakeIo } from '../fake-io.ts';

let pair: Pair;
beforeEach(async () => { pair = await startPair(); });
afterEach(async () => { await pair.close(); });

describe('lifeboat audit', () => {
  it('merges both coordinators\' logs newest first and marks where each entry came from', async () => {
    expect(await main(['override', SERVICE, '--to', 'secondary', '--reason', 'DC fire drill'], fakeIo('/tmp', pair.env()))).toBe(0);
    const io = fakeIo('/tmp', pair.env());
    expect(await main(['audit'], io)).toBe(0);
    const lines = io.stdout;
    expect(lines.some((l) => /\baws\s+override\s+app\.example\.com\s+force-secondary by ops-alice: DC fire drill/.test(l))).toBe(true);
    expect(lines.some((l) => /\bcloudflare\s+override\s+app\.example\.com\s+force-secondary by ops-alice: DC fire drill/.test(l))).toBe(true);
    expect(lines.some((l) => /\s+dns\s+app\.example\.com\s+DNS serves secondary/.test(l))).toBe(true);
    const times = lines.map((l) => Date.parse(l.slice(0, 24)));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('filters by service and time, prints JSON, and includes refused calls', async () => {
    // A refused call (bad secret) is counted, and shows up in the schedule's aggregate entry a minute later.
    const forged = fakeIo('/tmp', pair.env({ LIFEBOAT_KEY_SECRET: '99'.repeat(32) }));
    expect(await main(['override', SERVICE, '--to', 'secondary', '--reason', 'who am i'], forged)).toBe(1);
    pair.clock.advance(60_000);
    await pair.aws.housekeeping();
    await pair.cloudflare.housekeeping();
    const all = fakeIo('/tmp', pair.env());
    expect(await main(['audit', '--json'], all)).toBe(0);
    const entries = JSON.parse(all.stdout.join('\n'));
    expect(entries.filter((e: { kind: string }) => e.kind === 'rejected').map((e: { coordinator: string; message: string }) => [e.coordinator, e.message]).sort())
      .toEqual([['aws', 'refused 1 request(s) in 60 s: bad_signature 1'], ['cloudflare', 'refused 1 request(s) in 60 s: bad_signature 1']]);
    const only = fakeIo('/tmp', pair.env());
    expect(await main(['audit', SERVICE, '--json'], only)).toBe(0);
    expect(JSON.parse(only.stdout.join('\n'))).toEqual([]);
    // Entries older than --since are left out.
    pair.clock.advance(2 * 3_600_000);
    const recent = fakeIo('/tmp', pair.env());
    expect(await makeAuditCommand({ now: pair.clock.now }).run(['--since', '1h'], recent)).toBe(0);
    expect(recent.stdout.join('\n')).toMatch(/^no audit entries since/);
  });

  it('prints what it has and exits 1 when a coordinator does not answer', async () => {
    const io = fakeIo('/tmp', pair.env({ LIFEBOAT_COORDINATORS: `aws=${pair.aws.served.url},cloudflare=${await deadUrl()}` }));
    expect(await main(['audit'], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/WARNING: coordinator cloudflare: unreachable/);
  });

  it('mergeAudit orders by time, newest first', () => {
    const merged = mergeAudit([
      { coordinator: 'aws', entries: [{ at: 3, service: 's', kind: 'dns', message: 'c' }, { at: 1, service: 's', kind: 'override', message: 'a' }] },
      { coordinator: 'cloudflare', entries: [{ at: 2, service: 's', kind: 'override', message: 'b' }] },
    ]);
    expect(merged.map((e) => `${e.at}${e.coordinator}`)).toEqual(['3aws', '2cloudflare', '1aws']);
  });
});
