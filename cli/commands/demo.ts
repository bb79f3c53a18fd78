import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { StatusReport } from '#core/api/status.ts';
import { ConfigurationError, LifeboatError } from '#core/errors.ts';
import { jsonLogger } from '#core/log.ts';
import { realSleep } from '#core/ports.ts';
import { requireConfig } from '../config-file.ts';
import { EXIT, UsageError, type Command } from '../io.ts';
import { startLocalRun, type LocalRun } from '../local/run.ts';
import { resolveService, startTimeline } from '../local/timeline.ts';
import { fetchStatus } from '../coordinator-client.ts';

export interface DemoResult {
  readonly service: string;
  readonly primaryAnswer: string[];
  readonly secondaryAnswer: string[];
  /** From stopping the primary to the first coordinator's failover decision. */
  readonly faultToDecisionSeconds: number;
  /** From stopping the primary to the embedded DNS server answering with the secondary. */
  readonly faultToDnsSeconds: number;
  readonly decidedBy: string;
  readonly startupSeconds: number;
  readonly totalSeconds: number;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Start everything, kill the primary, and time the failover as DNS sees it',
  help: `Usage: lifeboat demo [config] [--json] [--timeout 90] [--dns-port 0] [--state-dir .lifeboat/demo]

Runs the local system (as \`lifeboat run\`), waits for a healthy steady state, stops the primary
site, and exits 0 once a real DNS query to the embedded server returns the secondary. Prints the
timeline and the measured seconds from fault to decision and from fault to DNS answer.

  --json         print the result as JSON (the timeline goes to stderr)
  --timeout S    give up (exit 1) after S seconds in all, default 90
  --dns-port N   embedded DNS port, default 0 (any free port)
  --state-dir D  working state, wiped at start (default .lifeboat/demo)`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, timeout: { type: 'string', default: '90' }, 'dns-port': { type: 'string', default: '0' }, 'state-dir': { type: 'string', default: '.lifeboat/demo' } },
    });
    const timeoutMs = Number(values.timeout) * 1000;
    if (!(timeoutMs > 0)) throw new UsageError(`--timeout: ${values.timeout} is not a number of seconds`);
    const { path, config } = await requireConfig(positionals[0], io.cwd, io.env);
    const print = values.json ? io.err : io.out;
    const t0 = Date.now();
    const deadline = t0 + timeoutMs;
    const logger = jsonLogger((line) => io.err(line), { component: 'demo' }, 'error');
    const run = await startLocalRun({ config, configPath: path, stateDir: resolve(io.cwd, values['state-dir']), dnsPort: Number(values['dns-port']), logger, progress: (l) => print(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${l}`) });
    const timeline = startTimeline({ coordinators: run.coordinators, operator: run.operator, services: config.services.map((s) => s.name), dnsPort: run.dnsPort, intervalMs: config.probing.intervalSeconds * 1000, print, startedAt: t0 });
    try {
      const result = await failover(run, timeline.latest, deadline, print, t0);
      if (values.json) io.out(JSON.stringify(result, null, 2));
      else {
        print(`\nFailover of ${result.service}: DNS answered ${result.primaryAnswer.join(', ')} before, ${result.secondaryAnswer.join(', ')} after.`);
        print(`  fault -> decision (${result.decidedBy}): ${result.faultToDecisionSeconds} s`);
        print(`  fault -> DNS answer:   ${result.faultToDnsSeconds} s`);
        print(`  (system up in ${result.startupSeconds} s; demo took ${result.totalSeconds} s)`);
      }
      return EXIT.ok;
    } catch (err) {
      io.err(`demo failed: ${(err as Error).message}`);
      return EXIT.failed;
    } finally {
      timeline.stop();
      await run.stop();
    }
  },
};

async function failover(run: LocalRun, latest: () => Map<string, StatusReport>, deadline: number, print: (l: string) => void, t0: number): Promise<DemoResult> {
  const service = run.config.services.find((s) => run.sites.some((site) => site.name === `${s.name} primary`));
  if (!service) throw new ConfigurationError('the demo needs a service whose primary is on loopback (as in lifeboat.config.ts)');
  const primarySite = run.sites.find((s) => s.name === `${service.name} primary`)!;
  const want = (role: 'primary' | 'secondary') => [...(service[role].a ?? [])].sort().join(',');
  const startupSeconds = round1((Date.now() - t0) / 1000);

  print('waiting for a healthy steady state (every coordinator has a quorum of fresh healthy votes)...');
  let primaryAnswer: string[] = [];
  await until(deadline, async () => {
    const reports = [...latest().values()];
    const everyVp = run.vantagePoints.length;
    const steady = reports.length === 2 && reports.every((r) => r.services.some((s) => s.service === service.name && s.active === 'primary' && s.tally.primary.healthy === everyVp && s.tally.secondary.healthy === everyVp));
    primaryAnswer = await resolveService(service.name, run.dnsPort);
    return steady && primaryAnswer.join(',') === want('primary');
  }, 'a steady state');

  print(`stopping the primary site (${primarySite.url})...`);
  const faultAt = Date.now();
  await primarySite.stop();
  let secondaryAnswer: string[] = [];
  await until(deadline, async () => {
    secondaryAnswer = await resolveService(service.name, run.dnsPort);
    return secondaryAnswer.join(',') === want('secondary');
  }, 'DNS to answer with the secondary', 100);
  const dnsAt = Date.now();
  print(`[${((dnsAt - t0) / 1000).toFixed(1).padStart(6)} s] dns        ${service.name} answers ${secondaryAnswer.join(', ')}: ${round1((dnsAt - faultAt) / 1000)} s after the fault`);
  // The decision time is each coordinator's own record of when it decided.
  const { reports } = await fetchStatus(run.coordinators(), run.operator, { timeoutMs: 2000 });
  const decisions = reports.flatMap((r) => r.services.filter((s) => s.service === service.name && s.lastDecision?.to === 'secondary').map((s) => ({ by: r.coordinator, at: s.lastDecision!.at })));
  const first = decisions.sort((a, b) => a.at - b.at)[0];
  return {
    service: service.name,
    primaryAnswer,
    secondaryAnswer,
    faultToDecisionSeconds: round1(((first?.at ?? dnsAt) - faultAt) / 1000),
    faultToDnsSeconds: round1((dnsAt - faultAt) / 1000),
    decidedBy: first?.by ?? 'unknown',
    startupSeconds,
    totalSeconds: round1((Date.now() - t0) / 1000),
  };
}

async function until(deadline: number, check: () => Promise<boolean>, what: string, everyMs = 250): Promise<void> {
  while (Date.now() < deadline) {
    if (await check()) return;
    await realSleep(everyMs);
  }
  throw new LifeboatError(`timed out waiting for ${what}`);
}

const round1 = (x: number) => Math.round(x * 10) / 10;
