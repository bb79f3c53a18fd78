/**
 * Benchmark: one full evaluation of 10,000 services x 24 vantage points, through the real
 * engine (core/engine/decide.ts). Prints milliseconds (median and worst of several runs after a
 * warm-up) and heap used. Target (issue 2): under 50 ms and under 200 MB on one core.
 */
import { evaluate } from '#core/engine/decide.ts';
import type { VoteColumns } from '#core/engine/columns.ts';
import { columnsOf } from '#core/engine/state-columns.ts';
import { mergeColumns } from '#core/engine/votes.ts';
import { resolvePolicy } from '#core/engine/policy.ts';
import { initialServiceState, type ServiceState } from '#core/engine/state.ts';
import type { Observation, VantagePoint } from '#core/model.ts';

export interface EngineBenchResult {
  readonly services: number;
  readonly vantagePoints: number;
  /** Evaluating every service on the votes it holds (the coordinator's scheduled tick). */
  readonly evaluateMs: { median: number; max: number };
  /** Merging a whole round (every VP, both targets, every service) and evaluating. */
  readonly ingestAndEvaluateMs: { median: number; max: number };
  /**
   * The same two, in CPU time of this process (user + system): on a loaded machine wall time
   * mostly measures the wait for a core, CPU time what the engine costs.
   */
  readonly evaluateCpuMs: { median: number; max: number };
  readonly ingestAndEvaluateCpuMs: { median: number; max: number };
  /** Merging a whole round into every service's columnar vote book alone (issue 13 target: < 100 ms CPU). */
  readonly mergeMs: { median: number; max: number };
  readonly mergeCpuMs: { median: number; max: number };
  readonly heapUsedMb: number;
}

const SERVICES = 10_000;
const AWS = ['us-east-1', 'us-east-2', 'us-west-2', 'ca-central-1', 'sa-east-1', 'eu-west-1', 'eu-central-1', 'eu-north-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-south-1'];
const CF = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me', 'apac-2', 'weur-2', 'enam-2'];
const VPS: VantagePoint[] = [...AWS.map((r) => `aws:${r}` as const), ...CF.map((h) => `cloudflare:${h}` as const)];
const RUNS = 9;

function roundOf(services: readonly string[], now: number, unhealthyEvery: number): Map<string, Observation[]> {
  const out = new Map<string, Observation[]>();
  services.forEach((service, s) => {
    const list: Observation[] = [];
    for (const vp of VPS) {
      const down = s % unhealthyEvery === 0;
      list.push({ service, target: 'primary', vantagePoint: vp, verdict: down ? 'unhealthy' : 'healthy', observedAt: now - 500, receivedAt: now, ...(down ? { failure: 'timeout' as const } : {}) });
      list.push({ service, target: 'secondary', vantagePoint: vp, verdict: 'healthy', observedAt: now - 500, receivedAt: now });
    }
    out.set(service, list);
  });
  return out;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: round2(sorted[Math.floor(sorted.length / 2)]!), max: round2(sorted.at(-1)!) };
}
const round2 = (x: number) => Math.round(x * 100) / 100;

export function benchEngine(): EngineBenchResult {
  const policy = resolvePolicy({}, 10);
  const names = Array.from({ length: SERVICES }, (_, i) => `svc-${i}.example.com`);
  let states: ServiceState[] = names.map((n) => initialServiceState(n));
  let now = 1_800_000_000_000;

  let lastCpuMs = 0;
  const step = (observations: Map<string, Observation[]> | null) => {
    const cpu = process.cpuUsage();
    const t = performance.now();
    const next = new Array<ServiceState>(states.length);
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!;
      next[i] = evaluate({ state, observations: observations?.get(state.service) ?? [], overrides: [], now, policy }).state;
    }
    states = next;
    const wall = performance.now() - t;
    const used = process.cpuUsage(cpu);
    lastCpuMs = (used.user + used.system) / 1000;
    return wall;
  };

  // Warm up (and fill every service with 24 VPs' votes); 1 in 50 services has its primary down.
  for (let i = 0; i < 3; i++) { now += policy.intervalMs; step(roundOf(names, now, 50)); }

  // Each phase starts from a collected heap, so neither pays for the other's garbage.
  const gc = () => (globalThis as { gc?: () => void }).gc?.();
  gc();
  const tick: number[] = [];
  const tickCpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    now += 1000;
    tick.push(step(null));
    tickCpu.push(lastCpuMs);
  }
  gc();
  const ingest: number[] = [];
  const ingestCpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    now += policy.intervalMs;
    const round = roundOf(names, now, 50);
    ingest.push(step(round));
    ingestCpu.push(lastCpuMs);
  }
  gc();
  // The merge alone: every service's book (as the evaluations left it) takes a whole round.
  let books: VoteColumns[] = states.map((s) => columnsOf(s));
  const merge: number[] = [];
  const mergeCpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    now += policy.intervalMs;
    const round = roundOf(names, now, 50);
    const cpu = process.cpuUsage();
    const t = performance.now();
    const next = new Array<VoteColumns>(books.length);
    for (let j = 0; j < books.length; j++) next[j] = mergeColumns(books[j]!, round.get(names[j]!)!, policy);
    books = next;
    merge.push(performance.now() - t);
    const used = process.cpuUsage(cpu);
    mergeCpu.push((used.user + used.system) / 1000);
  }
  gc();
  return {
    services: SERVICES,
    vantagePoints: VPS.length,
    evaluateMs: stats(tick),
    ingestAndEvaluateMs: stats(ingest),
    evaluateCpuMs: stats(tickCpu),
    ingestAndEvaluateCpuMs: stats(ingestCpu),
    mergeMs: stats(merge),
    mergeCpuMs: stats(mergeCpu),
    heapUsedMb: round2(process.memoryUsage().heapUsed / 1024 / 1024),
  };
}
