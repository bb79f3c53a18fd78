/**
 * `npm run bench`: every benchmark, printed as it finishes. Numbers go to docs/benchmarks.md
 * by hand, with the machine they were measured on; nothing here asserts a time.
 */
import { cpus } from 'node:os';
import { benchEngine } from './engine.ts';

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);

console.log(`Lifeboat benchmarks — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)\n`);

if (want('engine')) {
  const r = benchEngine();
  console.log(`engine: one evaluation of ${r.services.toLocaleString()} services x ${r.vantagePoints} vantage points`);
  console.log(`  evaluate (votes held, scheduled tick):  median ${r.evaluateMs.median} ms, worst ${r.evaluateMs.max} ms`);
  console.log(`  merge one full round + evaluate:        median ${r.ingestAndEvaluateMs.median} ms, worst ${r.ingestAndEvaluateMs.max} ms`);
  console.log(`  heap used: ${r.heapUsedMb} MB (target: < 50 ms, < 200 MB)\n`);
}
