import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialServiceState } from '#core/engine/state.ts';
import { main } from '../../../cli/main.ts';
import { makeStatusCommand } from '../../../cli/commands/status.ts';
import { deadUrl } from '../../support/serve-fetch.ts';
import { SERVICE, batch, startPair, type Pair } from '../../support/coordinators.ts';
import { fakeIo } from '../fake-io.ts';

let pair: Pair;
beforeEach(async () => { pair = await startPair(); });
afterEach(async () => { await pair.close(); });

async function feed(p: Pair, verdict: 'healthy' | 'unhealthy') {
  for (const vp of ['aws:us-east-1', 'aws:eu-west-1', 'cloudflare:apac'] as const) {
    for (const c of [p.aws, p.cloudflare]) await c.coordinator.ingest(batch(vp, p.clock.now(), verdict), 'probe-test');
  }
}

describe('lifeboat status', () => {
  it('prints state, each VP\'s vote and age, the last decision and agreement', async () => {
    // Two rounds one interval apart: a coordinator decides nothing in its first interval (cold start).
    await feed(pair, 'unhealthy');
    pair.clock.advance(pair.config.probing.intervalSeconds * 1000);
    await feed(pair, 'unhealthy');
    pair.clock.advance(4_000);
    const io = fakeIo('/tmp', pair.env());
    const code = await makeStatusCommand({ now: pair.clock.now }).run([], io);
    const out = io.stdout.join('\n');
    expect(code, io.text()).toBe(0);
    expect(out).toContain('coordinators: aws ok, cloudflare ok');
    expect(out).toMatch(/app\.example\.com\s+\[failed over\]\s+active secondary, epoch 1\s+coordinators agree/);
    expect(out).toMatch(/aws:us-east-1\s+unhealthy 4s timeout\s+healthy 4s/);
    expect(out).toMatch(/cloudflare:apac\s+unhealthy 4s/);
    expect(out).toMatch(/votes\s+primary 3\/3 unhealthy; secondary 0\/3 unhealthy/);
    expect(out).toMatch(/decision\s+\S+ primary -> secondary \(primary-unhealthy\)/);
  });

  it('prints JSON with --json', async () => {
    await feed(pair, 'healthy');
    const io = fakeIo('/tmp', pair.env());
    expect(await main(['status', '--json'], io)).toBe(0);
    const json = JSON.parse(io.stdout.join('\n'));
    expect(json.agree).toBe(true);
    expect(json.coordinators).toEqual([{ name: 'aws', ok: true }, { name: 'cloudflare', ok: true }]);
    expect(json.services[0]).toMatchObject({ service: SERVICE, state: 'healthy', active: 'primary', agree: true });
    expect(Object.keys(json.services[0].votes)).toEqual(['aws:eu-west-1', 'aws:us-east-1', 'cloudflare:apac']);
  });

  it('shows overrides in force', async () => {
    await pair.aws.coordinator.override({ service: SERVICE, action: 'freeze', reason: 'DB upgrade', by: 'ops-alice', at: pair.clock.now(), until: pair.clock.now() + 3_600_000 });
    await pair.cloudflare.coordinator.override({ service: SERVICE, action: 'freeze', reason: 'DB upgrade', by: 'ops-alice', at: pair.clock.now(), until: pair.clock.now() + 3_600_000 });
    const io = fakeIo('/tmp', pair.env());
    expect(await main(['status'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/\[override freeze\][\s\S]*override\s+freeze by ops-alice until \S+: DB upgrade/);
  });

  it('exits 1 with a warning when a coordinator is unreachable or they disagree', async () => {
    const down = fakeIo('/tmp', pair.env({ LIFEBOAT_COORDINATORS: `aws=${pair.aws.served.url},cloudflare=${await deadUrl()}` }));
    expect(await main(['status'], down)).toBe(1);
    expect(down.stdout.join('\n')).toContain('cloudflare UNREACHABLE');
    expect(down.stderr.join('\n')).toMatch(/WARNING: coordinator cloudflare: unreachable/);

    await pair.cloudflare.store.put(initialServiceState(SERVICE, 'secondary', 3), null);
    const split = fakeIo('/tmp', pair.env());
    expect(await main(['status'], split)).toBe(1);
    expect(split.stdout.join('\n')).toContain('!! coordinators DISAGREE');
    expect(split.stderr.join('\n')).toMatch(/WARNING: coordinators DISAGREE on app\.example\.com: aws primary\/epoch 0, cloudflare secondary\/epoch 3/);
  });

  it('serves the status page with --serve until stopped, without the credentials reaching it', async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((r) => { stop = r; });
    const io = fakeIo('/tmp', pair.env());
    const running = makeStatusCommand({ waitForStop: () => stopped }).run(['--serve', '--port', '0'], io);
    for (let i = 0; i < 100 && io.stdout.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const url = /on (http:\/\/\S+) /.exec(io.stdout[0] ?? '')![1]!;
    const html = await (await fetch(url)).text();
    expect(html).toContain('app.example.com');
    const json = await (await fetch(`${url}status.json`)).text();
    expect(json).toContain('"coordinator":"aws"');
    for (const text of [html, json]) {
      expect(text).not.toContain('22'.repeat(32));
      expect(text).not.toContain('X-Lifeboat');
    }
    stop();
    expect(await running).toBe(0);
  });
});
