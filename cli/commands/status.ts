import { parseArgs } from 'node:util';
import { ageText, summarise, type ServiceSummary } from '#core/api/status-summary.ts';
import { CALLER_FLAGS, CREDENTIALS_HELP, callerFrom, fetchStatus, type CallOptions } from '../coordinator-client.ts';
import { EXIT, UsageError, type CliIo, type Command } from '../io.ts';
import { startStatusServer } from '../status-server.ts';

const HELP = `Usage: lifeboat status [--json] [--serve [--port N]]

Reads GET /v1/status from every coordinator in parallel and prints, per service: its state,
active target and epoch on each coordinator, whether the coordinators agree, the override in
force, each vantage point's latest vote on each target with its age, and the last decision with
the votes behind it.

  --json           print {coordinators, agree, services, reports} as JSON
  --serve          serve the status page on http://127.0.0.1:PORT/ until Ctrl-C; it refreshes
                   itself every few seconds and shows only status data (no secret reaches it)
  --port N         port for --serve (default 8090; 0 picks a free one)
  --config FILE    config file (for "coordinators"); default $LIFEBOAT_CONFIG, else ./lifeboat.config.ts
  --credentials F  operator credentials file
  --timeout MS     per-coordinator timeout (default 10000)

${CREDENTIALS_HELP}

Exit codes: 0 every coordinator answered and they agree; 1 a coordinator is unreachable or they
disagree (the table is still printed); 2 bad usage or invalid input.`;

function serviceLines(s: ServiceSummary, now: number): string[] {
  const lines = [`${s.service}  [${s.state}]  active ${s.active}, epoch ${s.epoch}  ${s.agree ? 'coordinators agree' : '!! coordinators DISAGREE'}`];
  for (const c of s.perCoordinator) lines.push(`  ${c.coordinator.padEnd(11)} active ${c.active}, epoch ${c.epoch}${c.override ? `, override ${c.override}` : ''}`);
  if (s.override) lines.push(`  override   ${s.override.action} by ${s.override.by}${s.override.until ? ` until ${new Date(s.override.until).toISOString()}` : ' (until cleared)'}: ${s.override.reason}`);
  if (s.hold) lines.push(`  hold       ${s.hold.reason} since ${ageText(Math.round((now - s.hold.since) / 1000))} ago`);
  for (const p of s.propagation) lines.push(`  dns        ${p}`);
  const vps = Object.entries(s.votes);
  if (vps.length) {
    const width = Math.max(14, ...vps.map(([vp]) => vp.length));
    lines.push(`  ${'vantage point'.padEnd(width)}  ${'primary'.padEnd(18)} secondary`);
    const cell = (v: (typeof vps)[number][1]['primary']) => (v ? `${v.fresh ? v.verdict : `(${v.verdict})`} ${ageText(v.ageSeconds)}${v.failure ? ` ${v.failure}` : ''}` : '-');
    for (const [vp, t] of vps) lines.push(`  ${vp.padEnd(width)}  ${cell(t.primary).padEnd(18)} ${cell(t.secondary)}`);
  } else lines.push('  no votes yet');
  lines.push(`  votes      ${s.evidence}`);
  const d = s.lastDecision;
  lines.push(d ? `  decision   ${new Date(d.at).toISOString()} ${d.from} -> ${d.to} (${d.cause}): ${d.summary}` : '  decision   none yet');
  return lines;
}

export function makeStatusCommand(deps: CallOptions & { waitForStop?: () => Promise<void> } = {}): Command {
  return {
    name: 'status',
    summary: 'Show every service, vote and decision; --serve for the status page',
    help: HELP,
    async run(argv, io: CliIo) {
      const { values, positionals } = parseArgs({
        args: argv, allowPositionals: true,
        options: {
          json: { type: 'boolean', default: false }, serve: { type: 'boolean', default: false }, port: { type: 'string' },
          ...CALLER_FLAGS,
        },
      });
      if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
      const port = values.port === undefined ? 8090 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0-65535');
      const { endpoints, credentials, options } = await callerFrom(values, io, { ...deps, timeoutMs: 10_000 });

      if (values.serve) {
        // The server holds the credentials; the browser only ever gets the rendered status.
        const server = await startStatusServer({ load: () => fetchStatus(endpoints, credentials, options), port, host: '127.0.0.1', ...(deps.now ? { now: deps.now } : {}) });
        io.out(`status page on ${server.url} (Ctrl-C to stop)`);
        await (deps.waitForStop ?? waitForSignal)();
        await server.close();
        return EXIT.ok;
      }

      const { reports, unreachable } = await fetchStatus(endpoints, credentials, options);
      const services = summarise(reports);
      const agree = unreachable.length === 0 && services.every((s) => s.agree);
      const now = (deps.now ?? Date.now)();
      if (values.json) {
        io.out(JSON.stringify({ coordinators: [...reports.map((r) => ({ name: r.coordinator, ok: true })), ...unreachable.map((u) => ({ name: u.coordinator, ok: false, error: u.error }))], agree, services, reports }, null, 2));
      } else {
        io.out(`coordinators: ${[...reports.map((r) => `${r.coordinator} ok`), ...unreachable.map((u) => `${u.coordinator} UNREACHABLE`)].join(', ')}`);
        for (const s of services) io.out(`\n${serviceLines(s, now).join('\n')}`);
      }
      for (const u of unreachable) io.err(`WARNING: coordinator ${u.coordinator}: ${u.error}`);
      for (const s of services) if (!s.agree) io.err(`WARNING: coordinators DISAGREE on ${s.service}: ${s.perCoordinator.map((c) => `${c.coordinator} ${c.active}/epoch ${c.epoch}`).join(', ')}`);
      if (reports.length === 0) return EXIT.failed;
      return agree ? EXIT.ok : EXIT.failed;
    },
  };
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export const statusCommand = makeStatusCommand();
