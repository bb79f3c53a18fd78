/**
 * `npm run bench`: every benchmark, printed as it finishes. The numbers are recorded by hand in
 * docs/benchmarks.md with the machine they came from; nothing here asserts a time.
 *   npm run bench                 all of them
 *   npm run bench -- engine ...   only the named ones: engine, bundles, worker, failover, simulate, cost, coordinator-round
 *   npm run bench -- stress-suite [--runs N]   npm test N times under stress-ng (named only, never in "all")
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { benchEngine, type EngineBenchResult } from './engine.ts';
import type { LedgerBenchResult } from './engine-ledger.ts';
import { benchLambdaBundles, formatBundles } from './lambda-bundles.ts';
import { benchWorkerCpu, printWorkerCpu } from './worker-cpu.ts';
import { benchFailover } from './failover.ts';
import { benchSimulate } from './simulate.ts';
import { SEED_CONCURRENCY } from '#core/simulate/seeds.ts';
import { benchProbeCost, formatProbeCost } from './cost-probe.ts';
import { estimateScale } from '#core/cost/estimate.ts';
import { loadConfig } from '#core/config/validate.ts';
import { formatScale } from '../cli/commands/cost.ts';
import production from '../examples/production.config.ts';
import { benchRoundScale } from './round-scale.ts';
import { benchMassFailover } from './mass-failover.ts';
import { stressSuiteCli } from './stress-suite.ts';

const only = process.argv.slice(2);
// The stress suite takes its own arguments (--runs N, -- <command>) and runs alone.
const stressSuite = only.includes('stress-suite');
if (stressSuite) process.exitCode = await stressSuiteCli(only.slice(only.indexOf('stress-suite')));
const want = (name: string) => !stressSuite && (only.length === 0 || only.includes(name));

if (!stressSuite) console.log(`Lifeboat benchmarks — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)\n`);

/**
 * The engine as it ships: bundled by esbuild (as the Lambda and the Worker are) and run by plain
 * node. Under tsx the same code is about twice as slow (its transform keeps names and maps).
 */
async function bundledEngineBench(): Promise<EngineBenchResult> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'lifeboat-bench-')), 'engine.mjs');
  await build({ entryPoints: [fileURLToPath(new URL('./engine-main.ts', import.meta.url))], outfile, bundle: true, platform: 'node', format: 'esm', minify: true, logLevel: 'silent' });
  const r = JSON.parse(execFileSync(process.execPath, ['--expose-gc', outfile], { encoding: 'utf8' })) as EngineBenchResult & { ledger: LedgerBenchResult };
  console.log(`ledger (bundled): index the vote ledger of ${r.ledger.services.toLocaleString()} services x ${r.ledger.vantagePoints} VPs and build every vote book and gray bucket list: median ${r.ledger.ms.median} ms (CPU ${r.ledger.cpuMs.median} ms), worst ${r.ledger.ms.max} ms`);
  return r;
}

function printEngine(label: string, r: EngineBenchResult): void {
  console.log(`engine (${label}): one evaluation of ${r.services.toLocaleString()} services x ${r.vantagePoints} vantage points`);
  console.log(`  evaluate every service (votes held; the coordinator's tick): median ${r.evaluateMs.median} ms, worst ${r.evaluateMs.max} ms`);
  console.log(`  merge a whole round (${(r.services * r.vantagePoints * 2).toLocaleString()} observations) + evaluate: median ${r.ingestAndEvaluateMs.median} ms, worst ${r.ingestAndEvaluateMs.max} ms`);
  console.log(`  merge a whole round alone (columnar vote books): median ${r.mergeMs.median} ms, CPU median ${r.mergeCpuMs.median} ms (target < 100 ms)`);
  console.log(`  CPU time of the same (what it costs, whatever the machine's load): evaluate median ${r.evaluateCpuMs.median} ms, merge + evaluate median ${r.ingestAndEvaluateCpuMs.median} ms`);
  console.log(`  heap used: ${r.heapUsedMb} MB   (target: evaluate < 50 ms, merge + evaluate < 100 ms, heap < 200 MB)`);
}

if (want('engine')) {
  printEngine('bundled, as deployed', await bundledEngineBench());
  printEngine('under tsx', benchEngine());
  console.log('');
}

if (want('bundles')) {
  console.log('Lambda bundles (esbuild as NodejsFunction bundles them, minified, AWS SDK external):');
  console.log(formatBundles(await benchLambdaBundles()));
  console.log('');
}

if (want('worker')) {
  printWorkerCpu(await benchWorkerCpu());
  console.log('');
}

if (want('failover')) {
  console.log('failover: the whole local system, primary stopped, timed until DNS answers the secondary');
  const r = await benchFailover(10, (line) => console.log(line));
  console.log(`  fault -> decision:   median ${r.faultToDecision.median} s, p95 ${r.faultToDecision.p95} s`);
  console.log(`  fault -> DNS answer: median ${r.faultToDns.median} s, p95 ${r.faultToDns.p95} s`);
  console.log(`  physical floor (one ${r.intervalSeconds} s interval + one DNS write): ${r.floorSeconds} s; with the policy's failAfter streak and recheck: ${r.policySeconds} s\n`);
}

if (want('simulate')) {
  const seeds = Number(process.env.LIFEBOAT_BENCH_SEEDS ?? 20);
  console.log(`simulate: every built-in scenario under ${seeds} seeds (${SEED_CONCURRENCY} runs at a time), worst run of each`);
  const r = await benchSimulate(seeds, (line) => console.log(line));
  console.log(`  ${r.passed}/${r.scenarios} scenarios passed under every seed; ${r.falseFailovers} false failovers in ${r.scenarios * r.seeds} runs; ${r.wallSeconds} s wall\n`);
}

if (want('cost')) {
  console.log('cost: the probe chain invocation, bundled in its own process; targets and coordinators answer after 100 ms');
  console.log(formatProbeCost(await benchProbeCost()));
  console.log('');
  console.log(formatScale(estimateScale(loadConfig(production)), 'lifeboat cost --scale examples/production.config.ts (list prices, no free tier)'));
  console.log('');
}

if (want('coordinator-round')) {
  const { benchCoordinatorRound } = await import('./engine-coordinator.ts');
  const r = await benchCoordinatorRound();
  console.log(`coordinator-round (under tsx): ${r.services.toLocaleString()} services x ${r.vantagePoints} VPs, one round = ${r.batchesPerRound} batches through ingest: median ${r.ms.median} ms (CPU ${r.cpuMs.median} ms), worst ${r.ms.max} ms (target < 1 s)`);
}

if (want('round-scale')) {
  console.log('round-scale: one vantage point, 1,000 services (2,000 loopback targets, 200 ms each)');
  for (const cap of [512, 6]) {
    const rounds = await benchRoundScale(1_000, 200, cap, 3);
    for (const [i, r] of rounds.entries()) console.log(`  cap ${cap}, round ${i + 1}${i === 0 ? ' (new connections)' : ''}: ${r.results} results in ${r.wallMs} ms wall, ${r.cpuMs} ms CPU, at most ${r.peak} requests held by the server (load ${r.load})`);
  }
  console.log('');
}

if (want('mass-failover')) {
  console.log('mass-failover: 1,000 services of one Route 53 zone flipped at once (fixture: 5 req/s, PriorRequestNotComplete)');
  const r = await benchMassFailover(1_000);
  console.log(`  ${r.secondary}/${r.services} answer the secondary; ${r.virtualMs} ms virtual (rate-limited) time, ${r.wallMs} ms wall`);
  console.log(`  requests: ${r.requests.list} list, ${r.requests.change} change (${r.requests.priorRequestNotComplete} PriorRequestNotComplete retried, ${r.requests.throttled} throttled)\n`);
}
