/**
 * Benchmark: the coordinator handling one round's batches at 1,000 services x 24 vantage points
 * (issue 13 target: under 1 s), in process over the in-memory store: each vantage point posts its
 * round as 4 batches of 250 services (a round of 1,000 does not fit one 64 KiB batch), one after
 * another, through Coordinator.ingest: ledger record, snapshot, index, votes and gray buckets per
 * service, evaluation, state write. 1 service in 50 has its primary down every other round.
 */
import { Coordinator } from '#core/coordinator/coordinator.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { loadConfig } from '#core/config/validate.ts';
import { serviceDns } from '#core/dns/desired.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import { silentLogger } from '#core/ports.ts';

export interface CoordinatorBenchResult {
  readonly services: number;
  readonly vantagePoints: number;
  readonly batchesPerRound: number;
  /** One round: every vantage point's batches, wall and CPU time, median and worst. */
  readonly ms: { median: number; max: number };
  readonly cpuMs: { median: number; max: number };
}

const SERVICES = 1_000;
const PER_BATCH = 250;
const AWS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1', 'eu-west-1', 'eu-west-2', 'eu-central-1', 'eu-north-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-south-1'];
const CF = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'];
const VPS: VantagePoint[] = [...AWS.map((r) => `aws:${r}` as const), ...CF.map((h) => `cloudflare:${h}` as const)];
const WARM_ROUNDS = 5;
const RUNS = 5;

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { median: r(sorted[Math.floor(sorted.length / 2)]!), max: r(sorted.at(-1)!) };
};

export async function benchCoordinatorRound(): Promise<CoordinatorBenchResult> {
  const names = Array.from({ length: SERVICES }, (_, i) => `svc-${String(i).padStart(4, '0')}.example.com`);
  const config = loadConfig({
    services: names.map((name) => ({
      name, primary: { url: 'https://primary.example.net', a: ['203.0.113.10'] }, secondary: { url: 'https://secondary.example.net', a: ['198.51.100.20'] },
      healthCheck: { type: 'http' }, dns: [{ provider: 'embedded', ttl: 5 }],
    })),
    vantagePoints: { aws: AWS, cloudflare: CF },
    keys: [{ id: 'probe-key', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }],
  });
  const zone = new MemoryZone('example.com');
  for (const s of config.services) zone.write(serviceDns(s, s.dns[0]!).targets.primary);
  const provider = new MemoryDnsProvider(zone, { name: 'embedded' });
  let now = 1_800_000_000_000;
  const coordinator = new Coordinator({
    name: 'bench', config, store: new MemoryStateStore(), clock: { now: () => now }, logger: silentLogger,
    dnsFor: (s) => [{ provider, dns: serviceDns(s, s.dns[0]!) }],
  });
  // The probes' batches are built before the clock starts: what is timed is the coordinator's work.
  const batchesOf = (r: number): ObservationBatch[] => VPS.flatMap((vp) => {
    const out: ObservationBatch[] = [];
    for (let start = 0; start < SERVICES; start += PER_BATCH) {
      out.push({
        vantagePoint: vp, round: r, sentAt: now, controlOk: true,
        results: names.slice(start, start + PER_BATCH).flatMap((service, k) => {
          const down = (start + k) % 50 === 0 && r % 2 === 0;
          return [
            { service, target: 'primary' as const, verdict: down ? 'unhealthy' as const : 'healthy' as const, observedAt: now - 200, ...(down ? { failure: 'timeout' as const } : {}) },
            { service, target: 'secondary' as const, verdict: 'healthy' as const, observedAt: now - 200 },
          ];
        }),
      });
    }
    return out;
  });
  const round = async (batches: readonly ObservationBatch[]) => {
    for (const batch of batches) await coordinator.ingest(batch, 'probe-key');
  };
  for (let r = 1; r <= WARM_ROUNDS; r++) { await round(batchesOf(r)); now += 10_000; }
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = WARM_ROUNDS + 1; r <= WARM_ROUNDS + RUNS; r++) {
    const batches = batchesOf(r);
    (globalThis as { gc?: () => void }).gc?.();
    const c = process.cpuUsage();
    const t = performance.now();
    await round(batches);
    wall.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
    now += 10_000;
  }
  return { services: SERVICES, vantagePoints: VPS.length, batchesPerRound: VPS.length * SERVICES / PER_BATCH, ms: stats(wall), cpuMs: stats(cpu) };
}
