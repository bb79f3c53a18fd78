/**
 * One vantage point's round over N services (2N targets) against loopback targets that answer
 * after an injected latency, at a given connection cap; wall time is measured, never asserted.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '#core/config/validate.ts';
import { runRound } from '#core/probe/round.ts';

export async function benchRoundScale(services: number, latencyMs: number, concurrency: number): Promise<{ wallMs: number; results: number; peak: number }> {
  let held = 0;
  let peak = 0;
  const server = createServer((_req, res) => { held++; peak = Math.max(peak, held); setTimeout(() => { held--; res.end('ok'); }, latencyMs); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({
    services: Array.from({ length: services }, (_, i) => ({
      name: `s${i}.example.com`, primary: { url: `${base}/p${i}`, a: ['192.0.2.1'] }, secondary: { url: `${base}/s${i}`, a: ['192.0.2.2'] },
      healthCheck: { type: 'http' as const, path: '/health', timeoutMs: 5_000 }, dns: [{ provider: 'embedded' as const }],
    })),
    vantagePoints: { aws: ['ap-northeast-2'] },
    keys: [{ id: 'probe-key', scope: 'probe', speaksFor: ['aws'] }],
  });
  const start = performance.now();
  const batch = await runRound({ config, vantagePoint: 'aws:ap-northeast-2', round: 1 }, { fetch, sleep: async () => {}, clock: { now: () => Date.now() }, concurrency });
  const wallMs = Math.round(performance.now() - start);
  server.closeAllConnections();
  server.close();
  return { wallMs, results: batch.results.length, peak };
}
