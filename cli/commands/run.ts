import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { jsonLogger } from '#core/log.ts';
import { requireConfig } from '../config-file.ts';
import { EXIT, UsageError, type Command } from '../io.ts';
import { LOCAL_DNS_SERVERS, startLocalRun, type LocalDnsServer } from '../local/run.ts';
import { startTimeline } from '../local/timeline.ts';
import { fetchStatus } from '../coordinator-client.ts';
import { startStatusServer } from '../status-server.ts';
import { webhookNotifierFromConfig } from '#core/notify/webhook.ts';
import { systemClock } from '#core/ports.ts';

export const DEFAULT_DNS_PORT = 8053;
export const DEFAULT_STATUS_PORT = 8787;

const notifierOption = <T>(notifier: T | undefined) => (notifier ? { notifier } : {});

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the whole system on this machine (what npm start runs)',
  help: `Usage: lifeboat run [config] [--dns embedded|bind] [--dns-port ${DEFAULT_DNS_PORT}] [--status-port ${DEFAULT_STATUS_PORT}] [--state-dir .lifeboat/run] [--verbose]

Starts, on 127.0.0.1: local vantage points named after the config's AWS regions and Cloudflare
locations (the deployed probe code), the AWS coordinator (the Lambda handler in Node, state in
dynalite), the Cloudflare coordinator (the Worker and its Durable Objects in workerd), the
embedded DNS server, and stand-in sites for loopback targets (the example config's primary and
secondary). Prints a live timeline of votes, decisions and DNS answers. Ctrl-C stops it all.

The state dir is wiped at start (a run begins on the primary). Operator credentials for
\`lifeboat override\` / \`lifeboat status\` are written there (mode 0600).

  --dns S         the DNS server: embedded (default, built in) or bind: BIND 9 (named on PATH)
                  with a generated zone and TSIG key, flipped by the coordinators through
                  RFC 2136 dynamic updates (docs/rfc2136.md); named is stopped on exit
  --dns-port N    port of the DNS server (udp and tcp), default ${DEFAULT_DNS_PORT}
  --status-port N port of the status page (http://127.0.0.1:N/), default ${DEFAULT_STATUS_PORT}
  --state-dir D   working state (zones, Durable Object storage, Worker bundle)
  --verbose       JSON logs of every component on stderr`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { dns: { type: 'string', default: 'embedded' }, 'dns-port': { type: 'string', default: String(DEFAULT_DNS_PORT) }, 'status-port': { type: 'string', default: String(DEFAULT_STATUS_PORT) }, 'state-dir': { type: 'string', default: '.lifeboat/run' }, verbose: { type: 'boolean', default: false } },
    });
    const dnsPort = Number(values['dns-port']);
    const statusPort = Number(values['status-port']);
    for (const [flag, port] of [['--dns-port', dnsPort], ['--status-port', statusPort]] as const) {
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag}: ${values[flag.slice(2) as 'dns-port']} is not a port number`);
    }
    const dnsServer = values.dns as LocalDnsServer;
    if (!LOCAL_DNS_SERVERS.includes(dnsServer)) throw new UsageError(`--dns: ${values.dns} is not one of ${LOCAL_DNS_SERVERS.join(', ')}`);
    const { path, config, warnings } = await requireConfig(positionals[0], io.cwd, io.env);
    for (const w of warnings) io.err(`warning: ${w.path}: ${w.message}`);
    const t0 = Date.now();
    const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
    const logger = jsonLogger((line) => io.err(line), { component: 'local-run' }, values.verbose ? 'debug' : 'error');
    io.out(`Lifeboat: starting the whole system on this machine (${path})`);
    const run = await startLocalRun({
      config, configPath: path, stateDir: resolve(io.cwd, values['state-dir']), dnsPort, dnsServer, logger,
      progress: (line) => io.out(`${stamp()} ${line}`),
      // Webhook URLs named by urlFromEnv come from this process's environment.
      ...notifierOption(webhookNotifierFromConfig(config, io.env, { coordinator: 'local', fetch, clock: systemClock, logger })),
    });
    const statusPage = await startStatusServer({
      port: statusPort, host: '127.0.0.1',
      load: () => fetchStatus(run.coordinators(), run.operator, { timeoutMs: 2000 }),
    }).catch(async (err: Error) => {
      await run.stop();
      throw new UsageError(`status page: ${err.message} (choose another --status-port)`);
    });
    const services = config.services.map((s) => s.name);
    const timeline = startTimeline({ coordinators: run.coordinators, operator: run.operator, services, dnsPort: run.dnsPort, intervalMs: config.probing.intervalSeconds * 1000, print: io.out, startedAt: t0 });
    io.out(`
${stamp()} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s. Status page: ${statusPage.url}
Try, in another terminal:
  dig @127.0.0.1 -p ${run.dnsPort} ${services[0]} +short
  export LIFEBOAT_COORDINATORS=${run.coordinators().map((c) => `${c.name}=${c.url}`).join(',')}
  npm run -s lifeboat -- status --credentials ${relative(io.cwd, run.credentialsFile)}
  npm run -s lifeboat -- override ${services[0]} --to secondary --for 10m --reason "drill" --credentials ${relative(io.cwd, run.credentialsFile)}
${run.sites.length ? '  (npm run demo stops the primary and times the failover)\n' : ''}Press Ctrl-C to stop.
`);
    await new Promise<void>((done) => {
      // Miniflare installs an exit hook that calls process.exit() on SIGINT, which would cut our
      // shutdown short; this command stops Miniflare itself, in order, so it takes the signals over.
      process.removeAllListeners('SIGINT');
      process.removeAllListeners('SIGTERM');
      const stop = () => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.out(`\n${stamp()} stopping...`);
    timeline.stop();
    await statusPage.close();
    await run.stop();
    io.out(`${stamp()} stopped cleanly.`);
    return EXIT.ok;
  },
};
