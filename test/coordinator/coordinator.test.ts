import { describe, expect, it } from 'vitest';
import { Coordinator, flipRetryDelayMs } from '#core/coordinator/coordinator.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { loadConfig } from '#core/config/validate.ts';
import { serviceDns } from '#core/dns/desired.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import { silentLogger, type Logger } from '#core/ports.ts';
import { encodeStateRecord, stateRecordName } from '#core/dns/state-record.ts';

const config = loadConfig({
  services: [{
    name: 'app.example.com',
    primary: { url: 'https://primary.example.net', a: ['203.0.113.10'] },
    secondary: { url: 'https://secondary.example.net', a: ['198.51.100.20'] },
    healthCheck: { type: 'http' },
    dns: [{ provider: 'embedded', ttl: 5 }],
    policy: { failAfter: 1 },
  }],
  vantagePoints: { aws: ['us-east-1', 'eu-west-1', 'ap-northeast-2'], cloudflare: [] },
  keys: [{ id: 'probe-key', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }],
});

function setup(failing: () => boolean) {
  let now = 1_800_000_000_000;
  const zone = new MemoryZone('example.com');
  const spec = serviceDns(config.services[0]!, config.services[0]!.dns[0]!);
  zone.write(spec.targets.primary);
  let calls = 0;
  const provider = new MemoryDnsProvider(zone, {
    name: 'embedded',
    beforeCall: () => { calls++; if (failing()) throw new Error('DNS API 503'); },
  });
  const coordinator = new Coordinator({ name: 'test', config, store: new MemoryStateStore(), clock: { now: () => now }, logger: silentLogger, dnsFor: () => [{ provider, dns: spec }] });
  const batch = (vp: VantagePoint, verdict: 'healthy' | 'unhealthy'): ObservationBatch => ({
    vantagePoint: vp, round: 1, sentAt: now, controlOk: true,
    results: [
      { service: 'app.example.com', target: 'primary', verdict, observedAt: now },
      { service: 'app.example.com', target: 'secondary', verdict: 'healthy', observedAt: now },
    ],
  });
  return { zone, coordinator, batch, advance: (ms: number) => { now += ms; }, calls: () => calls };
}

describe('Coordinator', () => {
  it('backs off between retries of a pending flip: 1 s, 2 s, 4 s ... at most 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(flipRetryDelayMs)).toEqual([0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('while DNS keeps failing, retries are spaced out instead of one per batch; then it lands once', async () => {
    let failing = true;
    const t = setup(() => failing);
    const vps: VantagePoint[] = ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2'];
    for (const vp of vps) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key');
    // Cold start: nothing is decided before one interval of observing, whatever failAfter is.
    expect(t.calls()).toBe(0);
    t.advance(10_000);
    for (const vp of vps) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key');
    const afterDecision = t.calls();
    expect(afterDecision).toBeGreaterThan(0);
    // 15 s of batches, three a second: 45 evaluations.
    for (let s = 0; s < 15; s++) {
      t.advance(1_000);
      for (const vp of vps) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key');
    }
    // Attempts at ~1, 3, 7 and 15 s: four more reads, not 45.
    expect(t.calls() - afterDecision).toBeLessThanOrEqual(5);
    expect(t.zone.get('app.example.com', 'A')?.values).toEqual(['203.0.113.10']);
    failing = false;
    t.advance(30_000);
    // The primary is still down (fresh votes say so), so the re-checked flip still holds.
    for (const vp of vps) await t.coordinator.ingest(t.batch(vp, 'unhealthy'), 'probe-key');
    expect(t.zone.get('app.example.com', 'A')?.values).toEqual(['198.51.100.20']);
    expect((await t.coordinator.states())[0]!.state.pendingFlip).toBeNull();
  });

  it('refuses observations from a vantage point that is not configured, naming the field', async () => {
    const t = setup(() => false);
    await expect(t.coordinator.ingest(t.batch('aws:mars-north-1', 'unhealthy'), 'probe-key')).rejects.toMatchObject({ status: 403, field: 'vantagePoint' });
  });

  it('logs giving up when a rival keeps changing DNS under every re-planned write', async () => {
    let now = 1_800_000_000_000;
    const zone = new MemoryZone('example.com');
    const spec = serviceDns(config.services[0]!, config.services[0]!.dns[0]!);
    zone.write(spec.targets.primary);
    let rivalEpoch = 100;
    // A rival writer bumps the state record just before each of our writes: every one conflicts.
    const provider = new MemoryDnsProvider(zone, {
      name: 'embedded',
      beforeCall: (call) => {
        if (call === 'apply') zone.write([{ name: stateRecordName('app.example.com'), type: 'TXT', ttl: 5, values: [encodeStateRecord({ active: 'primary', epoch: rivalEpoch++, at: now })] }]);
      },
    });
    const logs: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    const record = (level: string) => (message: string, fields?: Record<string, unknown>) => { logs.push({ level, message, ...(fields ? { fields } : {}) }); };
    const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    const coordinator = new Coordinator({ name: 'test', config, store: new MemoryStateStore(), clock: { now: () => now }, logger, dnsFor: () => [{ provider, dns: spec }] });
    const vps: VantagePoint[] = ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2'];
    const batch = (vp: VantagePoint): ObservationBatch => ({
      vantagePoint: vp, round: 1, sentAt: now, controlOk: true,
      results: [
        { service: 'app.example.com', target: 'primary', verdict: 'unhealthy', observedAt: now },
        { service: 'app.example.com', target: 'secondary', verdict: 'healthy', observedAt: now },
      ],
    });
    for (const vp of vps) await coordinator.ingest(batch(vp), 'probe-key');
    now += 10_000;
    for (const vp of vps) await coordinator.ingest(batch(vp), 'probe-key');
    expect(rivalEpoch).toBeGreaterThan(100); // a flip was attempted and re-planned
    expect(zone.get('app.example.com', 'A')?.values).toEqual(['203.0.113.10']);
    const gaveUp = logs.filter((l) => l.message === 'gave up a DNS write: the state record kept changing under every re-plan');
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toMatchObject({ level: 'warn', fields: { coordinator: 'test', service: 'app.example.com', provider: 'embedded', attempts: 4 } });
  });
});
