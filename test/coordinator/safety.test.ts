/** Issue 11, through the coordinator's public methods: each case failed before its fix. */
import { describe, expect, it } from 'vitest';
import { Coordinator, type NotifyAction } from '#core/coordinator/coordinator.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { loadConfig } from '#core/config/validate.ts';
import { serviceDns } from '#core/dns/desired.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import { silentLogger } from '#core/ports.ts';
import { statusReport } from '#core/api/status.ts';
import { summarise } from '#core/api/status-summary.ts';

const SERVICE = 'app.example.com';
const AWS: VantagePoint[] = ['aws:us-east-1', 'aws:us-west-2', 'aws:eu-west-1', 'aws:ap-northeast-2', 'aws:sa-east-1'];
const CF: VantagePoint[] = ['cloudflare:wnam', 'cloudflare:weur'];

function setup(policy: Record<string, unknown> = {}, dnsFails: (now: number) => boolean = () => false) {
  const config = loadConfig({
    services: [{
      name: SERVICE,
      primary: { url: 'https://primary.example.net', a: ['203.0.113.10'] },
      secondary: { url: 'https://secondary.example.net', a: ['198.51.100.20'] },
      healthCheck: { type: 'http' },
      dns: [{ provider: 'embedded', ttl: 5 }],
      policy,
    }],
    vantagePoints: { aws: AWS.map((v) => v.slice(4)), cloudflare: CF.map((v) => v.slice(11)) },
    keys: [{ id: 'probe-key', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }],
  });
  let now = 1_800_000_000_000;
  const start = now;
  const zone = new MemoryZone('example.com');
  const spec = serviceDns(config.services[0]!, config.services[0]!.dns[0]!);
  zone.write(spec.targets.primary);
  const provider = new MemoryDnsProvider(zone, { name: 'embedded', beforeCall: () => { if (dnsFails(now - start)) throw new Error('DNS API 503'); } });
  const sent: NotifyAction[] = [];
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (m: string) => { warnings.push(m); } };
  const coordinator = new Coordinator({ name: 'aws', config, store: new MemoryStateStore(), clock: { now: () => now }, logger, dnsFor: () => [{ provider, dns: spec }], notifier: { send: async (n) => { sent.push(n); } } });
  const batch = (vp: VantagePoint, primary: 'healthy' | 'unhealthy', observedAt = now): ObservationBatch => ({
    vantagePoint: vp, round: 1, sentAt: now, controlOk: true,
    results: [
      { service: SERVICE, target: 'primary', verdict: primary, observedAt },
      { service: SERVICE, target: 'secondary', verdict: 'healthy', observedAt },
    ],
  });
  const served = () => zone.get(SERVICE, 'A')?.values[0];
  const state = async () => (await coordinator.states())[0]!.state;
  return { coordinator, batch, served, state, sent, warnings, advance: (ms: number) => { now += ms; }, elapsed: () => now - start, now: () => now };
}

describe('decision safety (issue 11)', () => {
  it('refuses a vantage point the config does not name, local: prefix included (403 naming vantagePoint)', async () => {
    const t = setup();
    await expect(t.coordinator.ingest(t.batch('local:evil-1', 'unhealthy'), 'probe-key')).rejects.toMatchObject({ status: 403, field: 'vantagePoint' });
    expect((await t.state()).votes).toEqual([]);
  });

  it('refuses observedAt in the future or older than the freshness window, counts and logs it once per batch', async () => {
    const t = setup({ failAfter: 1 });
    const future = await t.coordinator.ingest(t.batch('aws:us-east-1', 'unhealthy', t.now() + 365 * 86_400_000), 'probe-key');
    expect(future).toMatchObject({ accepted: 0, refused: 2, refusedReasons: { 'observedAt in the future': 2 } });
    const old = await t.coordinator.ingest(t.batch('aws:us-east-1', 'unhealthy', t.now() - 290_000), 'probe-key');
    expect(old).toMatchObject({ accepted: 0, refused: 2, refusedReasons: { 'observedAt too old': 2 } });
    expect(t.warnings).toEqual(['observations refused for their time', 'observations refused for their time']);
    expect((await t.state()).votes).toEqual([]);
    // Within the skew is fine.
    expect(await t.coordinator.ingest(t.batch('aws:us-east-1', 'healthy', t.now() + 59_000), 'probe-key')).toMatchObject({ accepted: 2, refused: 0 });
  });

  it('a later honest vote outranks a vote whose observedAt lies ahead (order by receive time)', async () => {
    const t = setup();
    await t.coordinator.ingest(t.batch('aws:us-east-1', 'unhealthy', t.now() + 50_000), 'probe-key');
    t.advance(1_000);
    await t.coordinator.ingest(t.batch('aws:us-east-1', 'healthy'), 'probe-key');
    expect((await t.state()).votes[0]!.primary).toMatchObject({ verdict: 'healthy' });
  });

  it('5 AWS VPs all unhealthy do not fail over while both Cloudflare votes are fresh and healthy; the veto is announced once', async () => {
    const t = setup();
    for (let i = 0; i < 6; i++) {
      for (const vp of AWS) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key');
      for (const vp of CF) await t.coordinator.ingest(t.batch(vp, 'healthy'), 'probe-key');
      t.advance(10_000);
    }
    expect(t.served()).toBe('203.0.113.10');
    expect((await t.state()).active).toBe('primary');
    expect(t.sent.map((n) => [n.event, n.hold])).toEqual([['hold', 'providers-disagree']]);
  });

  it('with Cloudflare silent, AWS alone still fails over a dead primary', async () => {
    const t = setup();
    for (let i = 0; i < 3; i++) {
      for (const vp of AWS) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key');
      t.advance(10_000);
    }
    expect(t.served()).toBe('198.51.100.20');
    expect(t.sent.map((n) => n.event)).toEqual(['failover']);
  });

  it('cold start: failAfter 1 and three batches within 0.2 s decide nothing; one interval later it fails over', async () => {
    const t = setup({ failAfter: 1 });
    for (const vp of AWS.slice(0, 3)) { await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key'); t.advance(100); }
    expect(t.served()).toBe('203.0.113.10');
    t.advance(10_000);
    for (const vp of AWS.slice(0, 3)) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key');
    expect(t.served()).toBe('198.51.100.20');
  });

  it('until past the largest JS date does not crash', async () => {
    const t = setup();
    const { state } = await t.coordinator.override({ service: SERVICE, action: 'freeze', reason: 'far future', by: 'ops', at: t.now(), until: 8_640_000_000_000_001 });
    expect(state.override).toMatchObject({ action: 'freeze', until: 8_640_000_000_000_001 });
    expect(t.sent[0]!.text).toContain('8640000000000001 ms');
  });

  it('a failover whose DNS write keeps failing is abandoned when the primary recovers, not written at 422 s', async () => {
    // DNS fails until 400 s; the primary is down from 60 s to 180 s.
    const t = setup({}, (elapsed) => elapsed < 400_000);
    while (t.elapsed() < 600_000) {
      const down = t.elapsed() >= 60_000 && t.elapsed() < 180_000;
      for (const vp of [...AWS, ...CF]) await t.coordinator.ingest(t.batch(vp, down ? 'unhealthy' : 'healthy'), 'probe-key');
      t.advance(10_000);
    }
    expect(t.served()).toBe('203.0.113.10');
    const s = await t.state();
    expect(s).toMatchObject({ active: 'primary', epoch: 1, pendingFlip: null });
    const events = t.sent.map((n) => n.event);
    expect(events).toEqual(['flip-failing', 'flip-abandoned']);
    expect(t.sent[1]!.text).toContain('failover abandoned: the primary recovered before DNS could be changed');
    expect(t.sent.map((n) => n.key)).toEqual([`${SERVICE}#1#flip-failing`, `${SERVICE}#1#flip-abandoned`]);
  });

  it('a flip that keeps failing alerts once, then at most every 15 minutes, and announces the failover when it lands', async () => {
    const t = setup({}, (elapsed) => elapsed < 40 * 60_000);
    while (t.elapsed() < 45 * 60_000) {
      for (const vp of [...AWS, ...CF]) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key');
      t.advance(10_000);
    }
    expect(t.served()).toBe('198.51.100.20');
    const events = t.sent.map((n) => n.event);
    expect(events).toEqual(['flip-failing', 'flip-failing', 'flip-failing', 'failover']);
    expect(new Set(t.sent.map((n) => n.key)).size).toBe(4);
  });

  it('an override, and its expiry, reset minDwell: a dead primary fails over again after the normal streak', async () => {
    const t = setup();
    const round = async () => { for (const vp of [...AWS, ...CF]) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key'); t.advance(10_000); };
    for (let i = 0; i < 3; i++) await round();
    expect(t.served()).toBe('198.51.100.20');
    await t.coordinator.override({ service: SERVICE, action: 'force-primary', reason: 'try the primary', by: 'ops', at: t.now(), until: t.now() + 120_000 });
    expect(t.served()).toBe('203.0.113.10');
    for (let i = 0; i < 12; i++) await round(); // 120 s: the override expires
    expect(t.served()).toBe('203.0.113.10');
    for (let i = 0; i < 3; i++) await round(); // failAfter 2: the normal streak, not 13 more minutes
    expect(t.served()).toBe('198.51.100.20');
    expect((await t.state()).hold).toBeNull();
  });

  it('status shows per-provider verdicts, the providers-disagree hold, and a failing pending flip', async () => {
    const t = setup({}, () => true);
    for (let i = 0; i < 3; i++) {
      for (const vp of AWS) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key');
      for (const vp of CF) await t.coordinator.ingest(t.batch(vp, 'healthy'), 'probe-key');
      t.advance(10_000);
    }
    let [s] = summarise([await statusReport(t.coordinator, t.now())]);
    expect(s).toMatchObject({ state: 'hold: providers-disagree', providers: 'aws unhealthy 5/5, cloudflare healthy 0/2', hold: { reason: 'providers-disagree' } });
    for (let i = 0; i < 3; i++) {
      for (const vp of [...AWS, ...CF]) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key');
      t.advance(10_000);
    }
    [s] = summarise([await statusReport(t.coordinator, t.now())]);
    expect(s!.pendingFlip).toMatchObject({ to: 'secondary', applied: false });
    expect(s!.pendingFlip!.attempts).toBeGreaterThan(1);
    expect(s!.state).toMatch(/^flip to secondary pending \(\d+ attempts, failing since \d\d:\d\d:\d\dZ\)$/);
  });
});
