/**
 * A coordinator that died after its DNS write landed, before it could record the outcome, and came
 * back when every vote had gone stale: it finishes the flip (the compare-and-swap finds DNS
 * already serving it) instead of abandoning what DNS serves. Found by the simulator's
 * `coordinator-crashes-after-dns-write` with a 30 s restart.
 */
import { describe, expect, it } from 'vitest';
import { Coordinator, type NotifyAction } from '#core/coordinator/coordinator.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { MemoryDnsProvider } from '#core/dns/memory.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import { silentLogger } from '#core/ports.ts';
import { oneService, SERVICE } from './one-service.ts';
const VPS: VantagePoint[] = ['aws:us-east-1', 'aws:eu-west-1', 'cloudflare:apac', 'cloudflare:weur'];

describe('a coordinator that crashed after writing DNS', () => {
  it('finishes the flip on restart, even with every vote stale, and never announces an abandon', async () => {
    const { config, zone, spec } = oneService({ aws: ['us-east-1', 'eu-west-1'], cloudflare: ['apac', 'weur'], policy: { failAfter: 1 } });
    let now = 1_800_000_000_000;
    const store = new MemoryStateStore();
    let crash = false;
    const provider = new MemoryDnsProvider(zone, { name: 'embedded' });
    const dns = { name: provider.name, zone: provider.zone, read: (d: typeof spec) => provider.read(d), apply: async (plan: Parameters<typeof provider.apply>[0]) => {
      const result = await provider.apply(plan);
      if (crash) throw new Error('process killed after the write landed');
      return result;
    } };
    const sent: NotifyAction[] = [];
    const make = () => new Coordinator({ name: 'aws', config, store, clock: { now: () => now }, logger: silentLogger, dnsFor: () => [{ provider: dns, dns: spec }], notifier: { send: async (n) => { sent.push(n); } } });
    const down = (vp: VantagePoint): ObservationBatch => ({ vantagePoint: vp, round: 1, sentAt: now, controlOk: true, results: [
      { service: SERVICE, target: 'primary', verdict: 'unhealthy', observedAt: now, failure: 'timeout' },
      { service: SERVICE, target: 'secondary', verdict: 'healthy', observedAt: now },
    ] });

    const first = make();
    for (const step of [0, 1]) {
      if (step) { now += config.probing.intervalSeconds * 1000; crash = true; }
      for (const vp of VPS) await first.ingest(down(vp), 'probe').catch(() => undefined);
    }
    expect(zone.get(SERVICE, 'A')?.values).toEqual(['198.51.100.20']);
    expect((await store.get(SERVICE))!.value.pendingFlip).not.toBeNull();

    // Back a few minutes later: every vote is stale, DNS already serves the secondary.
    crash = false;
    now += 10 * 60_000;
    await make().tick();
    const state = (await store.get(SERVICE))!.value;
    expect(state).toMatchObject({ active: 'secondary', pendingFlip: null });
    expect(zone.get(SERVICE, 'A')?.values).toEqual(['198.51.100.20']);
    expect(sent.map((n) => n.event)).not.toContain('flip-abandoned');
  });
});
