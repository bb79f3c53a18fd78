import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { jsonLogger } from '#core/log.ts';
import { requireConfig } from '../config-file.ts';
import { EXIT, UsageError, type Command } from '../io.ts';
import { startLocalRun } from '../local/run.ts';
import { startTimeline } from '../local/timeline.ts';

export const DEFAULT_DNS_PORT = 8053;

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the whole system on this machine (what npm start runs)',
  help: `Usage: lifeboat run [config] [--dns-port ${DEFAULT_DNS_PORT}] [--state-dir .lifeboat/run] [--verbose]

Starts, on 127.0.0.1: local vantage points named after the config's AWS regions and Cloudflare
locations (the deployed probe code), the AWS coordinator (the Lambda handler in Node, state in
dynalite), the Cloudflare coordinator (the Worker and its Durable Objects in workerd), the
embedded DNS server, and stand-in sites for loopback targets (the example config's primary and
secondary). Prints a live timeline of votes, decisions and DNS answers. Ctrl-C stops it all.

The state dir is wiped at start (a run begins on the primary). Operator credentials for
\`lifeboat override\` / \`lifeboat status\` are written there (mode 0600).

  --dns-port N    port of the embedded DNS server (udp and tcp), default ${DEFAULT_DNS_PORT}
  --state-dir D   working state (zones, Durable Object storage, Worker bundle)
  --verbose       JSON logs of every component on stderr`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { 'dns-port': { type: 'string', default: String(DEFAULT_DNS_PORT) }, 'state-dir': { type: 'string', default: '.lifeboat/run' }, verbose: { type: 'boolean', default: false } },
    });
    const dnsPort = Number(values['dns-port']);
    if (!Number.isInteger(dnsPort) || dnsPort < 0 || dnsPort > 65535) throw new UsageError(`--dns-port: ${values['dns-port']} is not a port number`);
    const { path, config, warnings } = await requireConfig(positionals[0], io.cwd, io.env);
    for (const w of warnings) io.err(`warning: ${w.path}: ${w.message}`);
    const t0 = Date.now();
    const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
    const logger = jsonLogger((line) => io.err(line), { component: 'local-run' }, values.verbose ? 'debug' : 'error');
    io.out(`Lifeboat: starting the whole system on this machine (${path})`);
    const run = await startLocalRun({
      config, configPath: path, stateDir: resolve(io.cwd, values['state-dir']), dnsPort, logger,
      progress: (line) => io.out(`${stamp()} ${line}`),
    });
    const services = config.services.map((s) => s.name);
    const timeline = startTimeline({ coordinators: run.coordinators, operatorKey: run.operatorKey, services, dnsPort: run.dnsPort, intervalMs: config.probing.intervalSeconds * 1000, print: io.out, startedAt: t0 });
    io.out(`
${stamp()} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s. Try, in another terminal:
  dig @127.0.0.1 -p ${run.dnsPort} ${services[0]} +short
  LIFEBOAT_CREDENTIALS=${run.credentialsFile} npm run -s lifeboat -- status
${run.sites.length ? `  (stop the primary to see a failover: npm run demo does it for you)\n` : ''}Press Ctrl-C to stop.
`);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.out(`\n${stamp()} stopping...`);
    timeline.stop();
    await run.stop();
    io.out(`${stamp()} stopped cleanly.`);
    return EXIT.ok;
  },
};
