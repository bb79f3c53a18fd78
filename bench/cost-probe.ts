/**
 * What one probe invocation costs, measured: its wall time (Lambda bills duration) and its peak
 * RSS (what the memory setting must hold), for the production example's services and for 500 and
 * 1,000 services (1,000 and 2,000 targets), against loopback targets and coordinators that each
 * answer after `latencyMs`. The probe runs bundled in its own node process, as on Lambda.
 * `npx tsx bench/cost-probe.ts` alone, or from bench/run.ts (section `cost`).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { LifeboatConfig, LifeboatConfigInput } from '#core/config/schema.ts';
import { loadConfig } from '#core/config/validate.ts';
import { BUNDLING } from '../infra/constructs/lifeboat-function.ts';
import { probeMemoryMb } from '#core/cost/probe-sizing.ts';
import production from '../examples/production.config.ts';

export interface ProbeCostSample {
  readonly label: string;
  readonly services: number;
  readonly latencyMs: number;
  readonly invocationMs: { readonly median: number; readonly max: number };
  /** CPU time (user + system) of the invocation: what it costs whatever the machine's load. */
  readonly cpuMs: { readonly median: number; readonly max: number };
  readonly maxRssMb: number;
  /** The memory size the probe ran with (core/cost/probe-sizing.ts, as the stack configures it). */
  readonly memoryMb: number;
  /** Invocations per round: the shards that memory size plans (each its own invocation). */
  readonly shards: number;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const KEY = { id: 'probe-bench', hex: '42'.repeat(32) };
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function serve(latencyMs: number): Promise<{ url: string; port: number; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"ok","db":"db=ok"}'); }, latencyMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, server };
}

/** The production example with every target and coordinator on loopback and an HMAC bench key. */
function productionOnLoopback(url: string, port: number): LifeboatConfig {
  return loadConfig({
    ...production,
    services: production.services.map((s) => ({
      ...s,
      primary: { ...s.primary, url: `${url}/${s.name}/primary` },
      secondary: { ...s.secondary, url: `${url}/${s.name}/secondary` },
      healthCheck: s.healthCheck.type === 'tcp' ? { ...s.healthCheck, port } : s.healthCheck,
    })),
    probing: { ...production.probing, controlUrls: [url] },
    coordinators: { aws: { url }, cloudflare: { url } },
    keys: [{ id: KEY.id, scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: 'ops-bench', scope: 'operator' }],
  } as LifeboatConfigInput);
}

function manyOnLoopback(url: string, services: number): LifeboatConfig {
  return loadConfig({
    ...productionOnLoopbackInput(url),
    services: Array.from({ length: services }, (_, i) => ({
      name: `svc${i}.example.com`,
      primary: { url: `${url}/svc${i}/primary`, a: ['203.0.113.10'] },
      secondary: { url: `${url}/svc${i}/secondary`, a: ['198.51.100.20'] },
      healthCheck: { type: 'http', path: '/healthz', timeoutMs: 5_000 },
      dns: [{ provider: 'route53', hostedZoneId: 'Z0EXAMPLE123456', ttl: 30 }],
    })),
  } as LifeboatConfigInput);
}

function productionOnLoopbackInput(url: string): Partial<LifeboatConfigInput> {
  return {
    vantagePoints: production.vantagePoints,
    probing: { ...production.probing, controlUrls: [url] },
    coordinators: { aws: { url }, cloudflare: { url } },
    keys: [{ id: KEY.id, scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: 'ops-bench', scope: 'operator' }],
  };
}

async function bundleChild(): Promise<string> {
  // Inside the repo (.lifeboat/ is git-ignored) so the bundle resolves the AWS SDK from node_modules.
  mkdirSync(join(ROOT, '.lifeboat'), { recursive: true });
  const outfile = join(mkdtempSync(join(ROOT, '.lifeboat', 'bench-probe-')), 'probe-child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./cost-probe-child.ts', import.meta.url))], outfile, bundle: true,
    platform: 'node', format: 'esm', target: BUNDLING.target, minify: true, logLevel: 'silent',
    // The SDK stays outside, as on Lambda (the runtime provides it); the chain's ports are stubbed here.
    external: [...BUNDLING.externalModules],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
}

export interface ProbeCostOptions {
  readonly rounds?: number;
  readonly latencyMs?: number;
  readonly sizes?: readonly number[];
  /** Extra node flags for the child (e.g. --cpu-prof to see where an invocation's CPU goes). */
  readonly nodeArgs?: readonly string[];
}

export async function benchProbeCost(opts: ProbeCostOptions = {}): Promise<ProbeCostSample[]> {
  const rounds = opts.rounds ?? 3;
  const latencyMs = opts.latencyMs ?? 100;
  const child = await bundleChild();
  const target = await serve(latencyMs);
  const run = async (label: string, config: LifeboatConfig): Promise<ProbeCostSample> => {
    const inputFile = join(child, '..', 'input.json');
    const memoryMb = probeMemoryMb(config.services.length);
    writeFileSync(inputFile, JSON.stringify({ config, keyId: KEY.id, secretHex: KEY.hex, rounds, memoryMb }));
    const { stdout } = await promisify(execFile)(process.execPath, [...(opts.nodeArgs ?? []), child, inputFile], { maxBuffer: 1 << 20 })
      .catch((error: { stderr?: string }) => { throw new Error(`probe child failed (${label}): ${error.stderr?.slice(-2_000) ?? String(error)}`); });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { invocationMs: number[]; cpuMs: number[]; shards: number; maxRssMb: number };
    const spread = (xs: number[]) => ({ median: median(xs), max: Math.max(...xs) });
    return { label, services: config.services.length, latencyMs, invocationMs: spread(r.invocationMs), cpuMs: spread(r.cpuMs), maxRssMb: r.maxRssMb, memoryMb, shards: r.shards };
  };
  try {
    const samples = [await run('production example', productionOnLoopback(target.url, target.port))];
    for (const n of opts.sizes ?? [500, 1_000]) samples.push(await run(`${n.toLocaleString('en-US')} services (${(2 * n).toLocaleString('en-US')} targets)`, manyOnLoopback(target.url, n)));
    return samples;
  } finally {
    rmSync(join(child, '..'), { recursive: true, force: true });
    target.server.closeAllConnections();
    await new Promise<void>((resolve) => target.server.close(() => resolve()));
  }
}

export function formatProbeCost(samples: readonly ProbeCostSample[]): string {
  return samples.map((s) => `  ${s.label.padEnd(32)} ${s.memoryMb} MB, ${s.shards} invocation${s.shards === 1 ? '' : 's'} a round; invocation median ${s.invocationMs.median} ms, worst ${s.invocationMs.max} ms (CPU median ${s.cpuMs.median} ms, worst ${s.cpuMs.max} ms); peak RSS ${s.maxRssMb} MB`).join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`probe invocation, targets and coordinators answering after 100 ms:`);
  console.log(formatProbeCost(await benchProbeCost()));
}
