/**
 * Benchmark: what a coordinator does before evaluating (core/coordinator/coordinator.ts
 * withVotes): index the vote ledger of 10,000 services x 24 vantage points, then build every
 * service's vote book (as columns, votesOf) and gray-failure buckets from it. The ledger is filled by planRecord as
 * batches would fill it: 1,000 services a batch, several rounds, 1 service in 50 failing.
 */
import { grayBucketsOf, indexLedger, votesOf, planRecord, type Heartbeat, type LedgerItems, type VoteSheet } from '#core/coordinator/ledger.ts';
import { resolvePolicy } from '#core/engine/policy.ts';
import type { Observation, VantagePoint } from '#core/model.ts';

export interface LedgerBenchResult {
  readonly services: number;
  readonly vantagePoints: number;
  /** indexLedger + votesOf and grayBucketsOf for every service: wall and CPU time, median and worst. */
  readonly ms: { median: number; max: number };
  readonly cpuMs: { median: number; max: number };
}

const SERVICES = 10_000;
const PER_BATCH = 1_000;
const VPS: VantagePoint[] = Array.from({ length: 24 }, (_, i) => (i < 12 ? `aws:region-${i}` : `cloudflare:colo-${i}`) as VantagePoint);
const RUNS = 5;

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { median: r(sorted[Math.floor(sorted.length / 2)]!), max: r(sorted.at(-1)!) };
};

export function benchLedger(): LedgerBenchResult {
  const policy = resolvePolicy({}, 10);
  const names = Array.from({ length: SERVICES }, (_, i) => `svc-${String(i).padStart(5, '0')}.example.com`);
  const heartbeats = new Map<string, Heartbeat>();
  const sheets = new Map<string, VoteSheet>();
  let now = 1_800_000_000_000;
  // Enough rounds to fill the gray window's round list (300 s / 10 s), as a running coordinator has.
  const rounds = policy.degradedWindowMs / policy.intervalMs;
  for (let r = 0; r < rounds; r++) {
    now += policy.intervalMs;
    for (const vp of VPS) {
      for (let start = 0; start < SERVICES; start += PER_BATCH) {
        const observations: Observation[] = [];
        for (let s = start; s < start + PER_BATCH; s++) {
          const down = s % 50 === 0 && r % 2 === 0;
          observations.push({ service: names[s]!, target: 'primary', vantagePoint: vp, verdict: down ? 'unhealthy' : 'healthy', observedAt: now - 500, receivedAt: now });
          observations.push({ service: names[s]!, target: 'secondary', vantagePoint: vp, verdict: 'healthy', observedAt: now - 500, receivedAt: now });
        }
        const key = `${vp} ${names[start]}`;
        const write = planRecord({ heartbeat: heartbeats.get(key) ?? null, sheet: sheets.get(key) ?? null }, vp, names[start]!, observations, now, policy.degradedWindowMs);
        heartbeats.set(key, write.heartbeat);
        if (write.sheet) sheets.set(key, write.sheet);
      }
    }
  }
  const items: LedgerItems = { heartbeats: [...heartbeats.values()], sheets: [...sheets.values()] };
  const gc = () => (globalThis as { gc?: () => void }).gc?.();
  const wall: number[] = [];
  const cpu: number[] = [];
  let sink = 0;
  for (let i = 0; i < RUNS + 1; i++) {
    gc();
    const c = process.cpuUsage();
    const t = performance.now();
    const index = indexLedger(items);
    for (const service of names) {
      sink += votesOf(index, service).size;
      sink += grayBucketsOf(index, service, now, policy.intervalMs, policy.degradedWindowMs, null).length;
    }
    const w = performance.now() - t;
    const u = process.cpuUsage(c);
    if (i === 0) continue; // warm-up
    wall.push(w);
    cpu.push((u.user + u.system) / 1000);
  }
  if (sink === 0) throw new Error('the ledger bench built no votes');
  return { services: SERVICES, vantagePoints: VPS.length, ms: stats(wall), cpuMs: stats(cpu) };
}
