/**
 * Benchmark: fault-to-DNS time of the whole local system (issue 7), over several demo runs with
 * a 2 s interval: start everything, wait for a steady state, stop the primary, and time until a
 * real DNS query to the embedded server returns the secondary. Prints median and p95 next to the
 * physical floor, one interval (a probe must come round to see the fault) plus one DNS write, and
 * next to what the policy adds on purpose: the failAfter streak ((failAfter - 1) x interval) and
 * the rapid recheck.
 */
import { fileURLToPath } from 'node:url';
import { main } from '../cli/main.ts';
import { loadConfig } from '#core/config/validate.ts';
import config from '../lifeboat.config.ts';

export interface FailoverBenchResult {
  readonly runs: number;
  readonly faultToDecision: { median: number; p95: number };
  readonly faultToDns: { median: number; p95: number };
  /** One interval; the local DNS write (a file rename) adds milliseconds. */
  readonly floorSeconds: number;
  /** The floor plus the streak and recheck the policy adds against false alarms. */
  readonly policySeconds: number;
  readonly intervalSeconds: number;
}

const repo = fileURLToPath(new URL('../', import.meta.url));

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

export async function benchFailover(runs = 10, progress: (line: string) => void = () => undefined): Promise<FailoverBenchResult> {
  const cfg = loadConfig(config);
  const decision: number[] = [];
  const dns: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const out: string[] = [];
    const code = await main(['demo', '--json', '--state-dir', '.lifeboat/bench'], {
      out: (t) => out.push(t), err: () => undefined, env: process.env, cwd: repo, interactive: false, confirm: async () => false,
    });
    if (code !== 0) throw new Error(`demo run ${i} failed (exit ${code})`);
    const r = JSON.parse(out.join('\n')) as { faultToDecisionSeconds: number; faultToDnsSeconds: number };
    decision.push(r.faultToDecisionSeconds);
    dns.push(r.faultToDnsSeconds);
    progress(`  run ${i}/${runs}: decision ${r.faultToDecisionSeconds} s, DNS ${r.faultToDnsSeconds} s`);
  }
  const policyFailAfter = cfg.policy.failAfter ?? 2;
  const interval = cfg.probing.intervalSeconds;
  return {
    runs,
    faultToDecision: { median: quantile(decision, 0.5), p95: quantile(decision, 0.95) },
    faultToDns: { median: quantile(dns, 0.5), p95: quantile(dns, 0.95) },
    floorSeconds: interval,
    policySeconds: interval + (policyFailAfter - 1) * interval + cfg.probing.recheckDelayMs / 1000,
    intervalSeconds: interval,
  };
}
