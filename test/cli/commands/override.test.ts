import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialServiceState } from '#core/engine/state.ts';
import { main } from '../../../cli/main.ts';
import { makeOverrideCommand } from '../../../cli/commands/override.ts';
import { deadUrl } from '../../support/serve-fetch.ts';
import { OPERATOR, SECONDARY_IP, SERVICE, servedAddress, startPair, type Pair } from '../../support/coordinators.ts';
import { fakeIo } from '../fake-io.ts';

let pair: Pair;
beforeEach(async () => { pair = await startPair(); });
afterEach(async () => { await pair.close(); });

describe('lifeboat override', () => {
  it('is accepted by both coordinators, flips DNS in the same request, and audits key, reason and time', async () => {
    const io = fakeIo('/tmp', pair.env());
    const code = await main(['override', SERVICE, '--to', 'secondary', '--for', '30m', '--reason', 'DC fire drill'], io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const out = io.stdout.join('\n');
    expect(out).toMatch(/aws\s+accepted\s+active secondary, epoch 1, override force-secondary until/);
    expect(out).toMatch(/cloudflare\s+accepted\s+active secondary, epoch 1/);
    expect(out).toMatch(/DNS: embedded (applied|unchanged)/);
    // DNS already serves the secondary: nothing else ran between the request and this line.
    expect(servedAddress(pair.zone)).toBe(SECONDARY_IP);
    for (const c of [pair.aws, pair.cloudflare]) {
      const state = (await c.store.get(SERVICE))!.value;
      expect(state.override).toMatchObject({ action: 'force-secondary', by: OPERATOR.id, reason: 'DC fire drill' });
      expect(state.override!.until).toBeGreaterThan(pair.clock.now() + 29 * 60_000);
      const audit = await c.coordinator.audit({ service: SERVICE });
      expect(audit.find((e) => e.kind === 'override')).toMatchObject({ by: OPERATOR.id, at: pair.clock.now(), data: { action: 'force-secondary', reason: 'DC fire drill' } });
    }
    // Exactly one of the two wrote DNS; the other found it done.
    const outcomes = [pair.aws, pair.cloudflare].map((c) => out.split('\n').find((l) => l.includes(`${c.name} `))!);
    expect(outcomes.filter((l) => l.includes('embedded applied'))).toHaveLength(1);
  });

  it('expires at until: automation is back in control after the injected clock passes it', async () => {
    const command = makeOverrideCommand({ now: pair.clock.now });
    const io = fakeIo('/tmp', pair.env());
    expect(await command.run([SERVICE, '--to', 'freeze', '--for', '1h', '--reason', 'maintenance'], io)).toBe(0);
    expect((await pair.aws.store.get(SERVICE))!.value.override?.action).toBe('freeze');
    pair.clock.advance(59 * 60_000);
    await pair.aws.coordinator.tick();
    expect((await pair.aws.store.get(SERVICE))!.value.override?.action).toBe('freeze');
    pair.clock.advance(60_001);
    for (const c of [pair.aws, pair.cloudflare]) {
      await c.coordinator.tick();
      expect((await c.store.get(SERVICE))!.value.override).toBeNull();
      expect((await c.coordinator.audit({ service: SERVICE }))[0]).toMatchObject({ kind: 'override-expired' });
    }
    // And the CLI, signing with the same clock, can hand control back explicitly too.
    expect(await command.run([SERVICE, '--to', 'auto', '--reason', 'done'], fakeIo('/tmp', pair.env()))).toBe(0);
  });

  it('still succeeds when one coordinator is down, and says so loudly on stderr', async () => {
    const io = fakeIo('/tmp', pair.env({ LIFEBOAT_COORDINATORS: `aws=${pair.aws.served.url},cloudflare=${await deadUrl()}` }));
    expect(await main(['override', SERVICE, '--to', 'secondary', '--reason', 'primary DC on fire'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/cloudflare\s+FAILED\s+unreachable/);
    expect(io.stderr.join('\n')).toMatch(/WARNING: coordinator cloudflare did not accept the override: unreachable/);
    expect(servedAddress(pair.zone)).toBe(SECONDARY_IP);
  });

  it('fails (exit 1) when no coordinator accepts', async () => {
    const io = fakeIo('/tmp', pair.env({ LIFEBOAT_COORDINATORS: `aws=${await deadUrl()}` }));
    expect(await main(['override', SERVICE, '--to', 'secondary', '--reason', 'drill'], io)).toBe(1);
    expect(io.stderr.join('\n')).toContain('no coordinator accepted the override');
  });

  it('warns when the coordinators that accepted disagree', async () => {
    // The cloudflare coordinator has seen two more changes than aws (e.g. aws was restored from an old backup).
    await pair.cloudflare.store.put(initialServiceState(SERVICE, 'primary', 2), null);
    const io = fakeIo('/tmp', pair.env());
    expect(await main(['override', SERVICE, '--to', 'freeze', '--reason', 'look first'], io)).toBe(0);
    expect(io.stderr.join('\n')).toMatch(/WARNING: the coordinators DISAGREE: aws active primary epoch 0; cloudflare active primary epoch 2/);
  });

  it('reports the field at fault when a coordinator refuses the request', async () => {
    const io = fakeIo('/tmp', pair.env());
    expect(await main(['override', 'nope.example.com', '--to', 'secondary', '--reason', 'drill'], io)).toBe(1);
    expect(io.stdout.join('\n')).toMatch(/aws\s+FAILED\s+invalid_request: service: no service named nope.example.com/);
  });

  it('refuses bad usage with exit 2 before sending anything', async () => {
    for (const argv of [
      [SERVICE, '--to', 'sideways', '--reason', 'x'.repeat(5)],
      [SERVICE, '--to', 'secondary'],
      [SERVICE, '--to', 'secondary', '--reason', 'ok!', '--for', 'soon'],
      ['--to', 'secondary', '--reason', 'drill'],
      [SERVICE, '--to', 'secondary', '--reason', 'drill', '--secret', 'abc'],
    ]) {
      const io = fakeIo('/tmp', pair.env());
      expect(await main(['override', ...argv], io)).toBe(2);
    }
    expect(await pair.aws.store.get(SERVICE)).toBeNull();
  });

  it('has --help with the exit codes', async () => {
    const io = fakeIo('/tmp');
    expect(await main(['override', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('Exit codes: 0 at least one coordinator accepted');
  });
});
