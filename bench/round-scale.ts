/**
 * One vantage point's round over N services (2N targets) against loopback targets that answer
 * after an injected latency, at a given connection cap; wall time is measured, never asserted.
 * The targets run in their own node process, so the CPU time reported is the prober's alone
 * (what a Lambda's CPU share or a Worker's CPU limit has to hold), not the test server's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { loadConfig } from '#core/config/validate.ts';
import { runRound } from '#core/probe/round.ts';

export interface RoundScaleSample {
  readonly wallMs: number;
  /** The prober's CPU time (user + system) during the round. */
  readonly cpuMs: number;
  readonly results: number;
  /** Most requests the target server held at once. */
  readonly peak: number;
  /** One-minute load average when the round ended (the machine is shared). */
  readonly load: number;
}

/**
 * The targets: answer every request after `latency` ms; GET /peak reports (and resets) the most
 * held at once. With `close`, every answer closes its connection: each probe then opens its own,
 * as in production, where every target is its own origin and no connection outlives the interval.
 */
const TARGET_SERVER = `
const { createServer } = require('node:http');
const latency = Number(process.argv[1]);
const close = process.argv[2] === 'close';
let held = 0, peak = 0;
const server = createServer((req, res) => {
  if (req.url === '/peak') { res.end(String(peak)); peak = 0; return; }
  held++; peak = Math.max(peak, held);
  setTimeout(() => { held--; if (close) res.setHeader('connection', 'close'); res.end('ok'); }, latency);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

async function startTargets(latencyMs: number, connections: TargetConnections): Promise<{ base: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', TARGET_SERVER, String(latencyMs), connections === 'new' ? 'close' : 'keep'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(child.stdout!, 'data') as [Buffer];
  return { base: `http://127.0.0.1:${line.toString().trim()}`, child };
}

/** `new`: a connection per probe (production: distinct origins); `kept`: one origin, connections reused across rounds. */
export type TargetConnections = 'new' | 'kept';

export async function benchRoundScale(services: number, latencyMs: number, concurrency: number, rounds = 1, connections: TargetConnections = 'kept'): Promise<RoundScaleSample[]> {
  const { base, child } = await startTargets(latencyMs, connections);
  try {
    const config = loadConfig({
      services: Array.from({ length: services }, (_, i) => ({
        name: `s${i}.example.com`, primary: { url: `${base}/p${i}`, a: ['192.0.2.1'] }, secondary: { url: `${base}/s${i}`, a: ['192.0.2.2'] },
        healthCheck: { type: 'http' as const, path: '/health', timeoutMs: 5_000 }, dns: [{ provider: 'embedded' as const }],
      })),
      vantagePoints: { aws: ['ap-northeast-2'] },
      keys: [{ id: 'probe-key', scope: 'probe', speaksFor: ['aws'] }],
    });
    const samples: RoundScaleSample[] = [];
    for (let round = 1; round <= rounds; round++) {
      const start = performance.now();
      const cpu = process.cpuUsage();
      const batch = await runRound({ config, vantagePoint: 'aws:ap-northeast-2', round }, { fetch, sleep: async () => {}, clock: { now: () => Date.now() }, concurrency });
      const used = process.cpuUsage(cpu);
      const wallMs = Math.round(performance.now() - start);
      const peak = Number(await (await fetch(`${base}/peak`)).text());
      samples.push({ wallMs, cpuMs: Math.round((used.user + used.system) / 1000), results: batch.results.length, peak, load: Math.round(loadavg()[0]! * 10) / 10 });
    }
    return samples;
  } finally {
    child.kill();
  }
}
