/**
 * Benchmark: CPU time of the Cloudflare Worker's two hot paths for 10 services, through the same
 * core code the Durable Objects run: one prober round (20 probes, batch, LB1 signing, posting to
 * two coordinators) and one coordinator request (LB1 verification, nonce claim, ingest and
 * evaluation of 10 services), plus the coordinator's scheduled tick.
 *
 * Measured in Node, not workerd: workerd exposes no CPU clock to JS (timers are frozen between
 * I/O, by design), while V8 is the same engine, so Node's process.cpuUsage() over a warm loop is
 * a fair estimate. Network and storage are stubbed in memory (their wait is not CPU time in a
 * Worker); DO SQLite calls would add a little. Compare with the Free plan's 10 ms per invocation.
 */
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfigInput } from '#core/config/schema.ts';
import { createCoordinatorApp } from '#core/coordinator/compose.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import { realSleep, silentLogger, systemClock, type Fetch } from '#core/ports.ts';
import { postObservations } from '#core/probe/post.ts';
import { hmacSigner } from '#core/signing/signer.ts';
import { runRound } from '#core/probe/round.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { signRequest } from '#core/signing/lb1.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';

export interface WorkerCpuResult {
  readonly services: number;
  readonly proberRoundMs: Stats;
  readonly coordinatorPostMs: Stats;
  readonly coordinatorTickMs: Stats;
}
export interface Stats { readonly first: number; readonly median: number; readonly p99: number }

const SERVICES = 10;
const RUNS = 200;
const HINTS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'] as const;
const secret = new Uint8Array(32).fill(7);

function benchConfig(): LifeboatConfigInput {
  return {
    services: Array.from({ length: SERVICES }, (_, i) => ({
      name: `svc${i}.example.com`,
      primary: { url: `https://p${i}.example.com`, a: [`203.0.113.${i + 1}`] },
      secondary: { url: `https://s${i}.example.com`, a: [`198.51.100.${i + 1}`] },
      healthCheck: { type: 'http' as const, path: '/healthz', expectStatus: ['200-299'], bodyContains: 'ok' },
      dns: [{ provider: 'embedded' as const }],
    })),
    vantagePoints: { aws: ['us-east-1', 'eu-west-1', 'ap-northeast-2'], cloudflare: [...HINTS] },
    coordinators: { aws: { url: 'https://aws.example.com' }, cloudflare: { url: 'https://cf.example.com' } },
    keys: [{ id: 'probe-bench', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: 'ops-bench', scope: 'operator' }],
  };
}

/** CPU milliseconds (user + system) of `fn`, the way a Worker's CPU limit counts them. */
async function cpuMs(fn: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function measure(fn: (i: number) => Promise<unknown>): Promise<Stats> {
  const first = await cpuMs(() => fn(0));
  const samples: number[] = [];
  for (let i = 1; i <= RUNS; i++) samples.push(await cpuMs(() => fn(i)));
  samples.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return { first: round(first), median: round(samples[Math.floor(RUNS / 2)]!), p99: round(samples[Math.floor(RUNS * 0.99)]!) };
}

export async function benchWorkerCpu(): Promise<WorkerCpuResult> {
  const config = loadConfig(benchConfig());
  // Every target answers at once with a healthy body: only CPU is left to measure.
  const targets: Fetch = async () => new Response('ok', { status: 200 });
  const coordinatorOk: Fetch = async () => new Response('{"accepted":20}', { status: 200 });

  const proberRoundMs = await measure(async (i) => {
    const batch = await runRound({ config, vantagePoint: 'cloudflare:weur', round: i }, { fetch: targets, sleep: realSleep, clock: systemClock });
    await postObservations(batch, [{ name: 'cloudflare', url: 'https://cf.example.com' }, { name: 'aws', url: 'https://aws.example.com' }],
      { fetch: coordinatorOk, clock: systemClock, signer: hmacSigner('probe-bench', secret) });
  });

  const { app, coordinator } = createCoordinatorApp({
    name: 'bench', config, store: new MemoryStateStore(), nonces: new MemoryNonceStore(),
    keys: staticKeyResolver([{ id: 'probe-bench', scope: 'probe', secret }]),
    clock: systemClock, logger: silentLogger,
    dnsProvider: () => { throw new Error('the bench keeps every target healthy: it never flips DNS'); },
  });
  const vps: VantagePoint[] = HINTS.map((h) => `cloudflare:${h}` as const);
  // Requests are signed outside the measured part: the prober pays for signing, not the coordinator.
  const requests = await Promise.all(Array.from({ length: RUNS + 1 }, async (_, i) => {
    const now = Date.now();
    const batch: ObservationBatch = {
      vantagePoint: vps[i % vps.length]!, round: i, sentAt: now, controlOk: true,
      results: config.services.flatMap((s) => (['primary', 'secondary'] as const).map((target) => ({ service: s.name, target, verdict: 'healthy' as const, observedAt: now, latencyMs: 40 }))),
    };
    const body = JSON.stringify(batch);
    const headers = await signRequest({ method: 'POST', path: '/v1/observations', body, keyId: 'probe-bench', secret, now });
    return new Request('https://cf.example.com/v1/observations', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  }));
  const coordinatorPostMs = await measure(async (i) => {
    const res = await app.fetch(requests[i]!);
    if (res.status !== 200) throw new Error(`coordinator refused the bench batch: ${res.status} ${await res.text()}`);
  });
  const coordinatorTickMs = await measure(() => coordinator.tick());
  return { services: SERVICES, proberRoundMs, coordinatorPostMs, coordinatorTickMs };
}

export function printWorkerCpu(r: WorkerCpuResult): void {
  const line = (name: string, s: Stats) => `  ${name.padEnd(44)} first ${s.first} ms, median ${s.median} ms, p99 ${s.p99} ms`;
  console.log(`worker-cpu: CPU time per invocation, ${r.services} services (Free plan limit: 10 ms)`);
  console.log(line('prober round + sign + post to 2 coordinators:', r.proberRoundMs));
  console.log(line('coordinator: verify + ingest + evaluate:', r.coordinatorPostMs));
  console.log(line('coordinator tick (evaluate all):', r.coordinatorTickMs));
}

if (import.meta.url === `file://${process.argv[1]}`) printWorkerCpu(await benchWorkerCpu());
