import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { planFlip } from '#core/dns/flip.ts';
import { isNoop } from '#core/dns/plan.ts';
import type { CurrentRecords, DnsPlan } from '#core/dns/types.ts';
import { normaliseName, type TargetRole } from '#core/model.ts';
import { requireConfig } from '../config-file.ts';
import { dnsTargets, type DnsTarget } from '../dns-providers.ts';
import {
  errorJson, heading, planJson, planLines, recordLines, resultJson, serving, stateText,
} from '../dns-format.ts';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../io.ts';
import { startDnsServer } from '../local/dns-server.ts';
import { DEFAULT_ZONE_DIR } from '../local/file-zone.ts';
import { resolveZoneDir } from '../local/embedded-zones.ts';
import { readVerdictPages, type VerdictPageState } from '../verdict-pages.ts';

const COMMON_HELP = `  --config FILE    config file; default $LIFEBOAT_CONFIG, else ./lifeboat.config.ts or .json
  --zone-dir DIR   where the embedded provider keeps its zone files (default ${DEFAULT_ZONE_DIR})`;

const PROVIDERS_HELP = `Providers come from each service's "dns" list:
  embedded    the zone file <zone-dir>/<apex>.json, apex = the service name's parent domain
              (app.example.com -> example.com). A zone with no file yet serves every
              service's primary records; the first write creates the file.
  route53     AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), AWS_REGION (default
              us-east-1), AWS_ENDPOINT_URL_ROUTE_53 for another endpoint
  cloudflare  CLOUDFLARE_API_TOKEN (Zone DNS Edit), LIFEBOAT_CLOUDFLARE_API_URL for another API base
  data-plane  (a service with mode: 'data-plane') show reads each coordinator's verdict page
              instead of records: LIFEBOAT_DATA_PLANE_SECRET (the deploy secret, hex) and the
              config's coordinators or LIFEBOAT_COORDINATORS=aws=https://..,cloudflare=https://..;
              plan and apply write nothing for it (the CDK stack owns its failover records;
              apply exits 1): move it with lifeboat override <service> --to primary|secondary`;

const HELP = `Usage: lifeboat dns <show|plan|apply|serve> [options]

Reads, plans and flips a service's DNS records at every provider the config names, and serves
the embedded zone for local runs. Every change carries the TXT state record
_lifeboat.<name> ("lifeboat=1 active=secondary epoch=N at=MS") and is made only if that record
still holds what the plan was computed against (compare-and-swap).

  lifeboat dns show  [service...] [--json]
  lifeboat dns plan  --to primary|secondary [service...] [--json]
  lifeboat dns apply --to primary|secondary [service...] [--yes] [--json]
  lifeboat dns serve [--port 5353] [--host 127.0.0.1] [--zone-dir DIR]
  lifeboat dns help <show|plan|apply|serve>     (details of one subcommand)

  show    current records and state record, per service and provider
  plan    the changes a flip would make (Create/Update, before -> after); writes nothing.
          A plan that would delete a record or empty a name is refused (safety rails).
  apply   prints the plan, asks for confirmation (--yes skips it; required when not on a
          terminal, else exit 2), then applies it at each provider on its own: one failing
          does not stop the others. Applying twice sends nothing the second time.
  serve   runs the embedded authoritative DNS server (UDP and TCP) for the config's embedded
          zones until Ctrl-C; it answers from the zone files as they are at each query, so a
          flip made by "lifeboat dns apply" or "lifeboat run" shows at once.

${COMMON_HELP}
  --json           machine-readable output

${PROVIDERS_HELP}

Exit codes: 0 ok; 1 a provider failed, refused the plan, or lost the compare-and-swap, or the
confirmation was declined; 2 bad usage, invalid config, or apply without --yes off a terminal.`;

const SUB_HELP: Record<string, string> = {
  show: `Usage: lifeboat dns show [service...] [--json]

Prints, per service and provider, the current records of the service name, the parsed state
record _lifeboat.<name>, and which target the records match (primary, secondary or neither).

${COMMON_HELP}
  --json           print {providers: [{service, provider, zone, ok, records, state, serving}]}

${PROVIDERS_HELP}`,
  plan: `Usage: lifeboat dns plan --to primary|secondary [service...] [--json]

Shows what flipping to the target would change at each provider, octoDNS style:
  * Update  app.example.com A  203.0.113.10 -> 198.51.100.20  (ttl 60)
Nothing is written. A plan that would delete a record or leave a name empty is refused.

  --to ROLE        primary or secondary (required)
${COMMON_HELP}
  --json           print {to, ok, providers: [{service, provider, zone, ok, noop, changes, state}]}

${PROVIDERS_HELP}`,
  apply: `Usage: lifeboat dns apply --to primary|secondary [service...] [--yes] [--json]

Prints the plan, asks for confirmation, then applies exactly that plan at each provider. Each
provider's result is reported separately: applied, unchanged (nothing sent), conflict (the
state record changed since the plan: someone else flipped first), or failed.

  --to ROLE        primary or secondary (required)
  --yes, -y        do not ask; required when stdin/stdout is not a terminal
${COMMON_HELP}
  --json           print {to, ok, results: [{service, provider, zone, ok, outcome, state, plan}]}

${PROVIDERS_HELP}`,
  serve: `Usage: lifeboat dns serve [--port 5353] [--host 127.0.0.1] [--zone-dir DIR]

Runs the embedded authoritative DNS server for every zone of the config's embedded services,
on UDP and TCP, until Ctrl-C (SIGINT or SIGTERM). Answers A, AAAA, CNAME, TXT, SOA and NS from
the zone files, re-read when they change; NXDOMAIN for unknown names in a zone, REFUSED for
names outside. Creates a zone file from the seed (primary records) if there is none yet.

  --port N         UDP and TCP port (default 5353; 0 picks a free one)
  --host ADDR      address to listen on (default 127.0.0.1)
  --zone-dir DIR   where the zone files are (default ${DEFAULT_ZONE_DIR})
  --config FILE    config file; default $LIFEBOAT_CONFIG, else ./lifeboat.config.ts or .json`,
};

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  'zone-dir': { type: 'string' },
  json: { type: 'boolean' },
  to: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  port: { type: 'string' },
  host: { type: 'string' },
} as const;

type Values = { config?: string | undefined; 'zone-dir'?: string | undefined; json?: boolean | undefined; to?: string | undefined; yes?: boolean | undefined; port?: string | undefined; host?: string | undefined };

interface Context {
  readonly io: CliIo;
  readonly values: Values;
  readonly services: string[];
  readonly config: LifeboatConfig;
  readonly zoneDir: string;
}

function only(sub: string, values: Values, allowed: readonly (keyof Values)[]): void {
  for (const key of Object.keys(values) as (keyof Values)[]) {
    if (!allowed.includes(key) && values[key] !== undefined) throw new UsageError(`--${key} is not an option of "dns ${sub}"`);
  }
}

function role(to: string | undefined): TargetRole {
  if (to === 'primary' || to === 'secondary') return to;
  throw new UsageError(to === undefined ? '--to primary|secondary is required' : `--to must be primary or secondary, not "${to}"`);
}

const zoneOf = (t: DnsTarget) => t.provider?.zone ?? t.where.split(' ')[1] ?? '';
const base = (t: DnsTarget) => ({ service: t.service, provider: t.record.provider, zone: zoneOf(t) });

type Planned = { target: DnsTarget; plan: DnsPlan; error?: undefined } | { target: DnsTarget; plan?: undefined; error: Error };

async function planAll(targets: readonly DnsTarget[], to: TargetRole): Promise<Planned[]> {
  const at = Date.now();
  return Promise.all(targets.map(async (target): Promise<Planned> => {
    if (!target.provider) return { target, error: target.error ?? new Error('provider unavailable') };
    try {
      return { target, plan: await planFlip({ provider: target.provider, dns: target.dns }, to, at) };
    } catch (err) {
      return { target, error: err instanceof Error ? err : new Error(String(err)) };
    }
  }));
}

function printPlans(io: CliIo, planned: readonly Planned[]): void {
  for (const p of planned) {
    io.out(heading(p.target));
    if (p.plan) for (const line of planLines(p.plan)) io.out(line);
    else io.out(`  ! ${p.error.name === 'UnsafePlanError' ? 'refused' : 'failed'}: ${p.error.message}`);
  }
}

function planSummary(planned: readonly Planned[]): string {
  const changing = planned.filter((p) => p.plan && !isNoop(p.plan)).length;
  const same = planned.filter((p) => p.plan && isNoop(p.plan)).length;
  const failed = planned.filter((p) => p.error).length;
  return `${changing} provider${changing === 1 ? '' : 's'} to change, ${same} already serving the target${failed ? `, ${failed} failed` : ''}`;
}

/** Data-plane services' Route 53 entries: no record moves, the coordinators' verdict pages are the state. */
const isDataPlane = (config: LifeboatConfig, t: DnsTarget) => t.record.provider === 'route53'
  && config.services.some((s) => s.mode === 'data-plane' && normaliseName(s.name) === t.service);

/**
 * plan/apply leave data-plane services alone: their PRIMARY/SECONDARY failover records belong to
 * the CDK stack and move with the coordinators' verdicts; a plain record written beside them would
 * be refused by Route 53 or fight the stack.
 */
const DATA_PLANE_SKIP = 'data-plane mode: its failover records belong to the CDK stack; nothing is planned or written here';
const dataPlaneHint = (t: DnsTarget, to: TargetRole) => `to move it, make the coordinators decide: lifeboat override ${t.service} --to ${to} --reason "..."`;
const skippedJson = (t: DnsTarget, ok: boolean) => ({ ...base(t), mode: 'data-plane', ok, skipped: true, reason: `${DATA_PLANE_SKIP}; ${dataPlaneHint(t, 'secondary').replace(' --to secondary', ' --to <primary|secondary>')}` });
function splitDataPlane(config: LifeboatConfig, targets: readonly DnsTarget[]): { dataPlane: DnsTarget[]; records: DnsTarget[] } {
  return { dataPlane: targets.filter((t) => isDataPlane(config, t)), records: targets.filter((t) => !isDataPlane(config, t)) };
}
function printSkipped(io: CliIo, dataPlane: readonly DnsTarget[], to: TargetRole): void {
  for (const t of dataPlane) io.out(`${heading(t)}
    ${DATA_PLANE_SKIP}
    ${dataPlaneHint(t, to)}`);
}

type ShowRow = { t: DnsTarget; current?: CurrentRecords; verdicts?: VerdictPageState[]; error?: Error };

async function showRow(ctx: Context, t: DnsTarget): Promise<ShowRow> {
  try {
    if (isDataPlane(ctx.config, t)) return { t, verdicts: await readVerdictPages(ctx.config, t.service, ctx.io.env) };
    if (!t.provider) return { t, error: t.error ?? new Error('provider unavailable') };
    return { t, current: await t.provider.read(t.dns) };
  } catch (err) {
    return { t, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** What Route 53 serves follows from the pages: any coordinator saying "fail over" moves it. */
const dataPlaneServing = (v: readonly VerdictPageState[]) => (v.some((p) => p.state === 'fail over') ? 'secondary' : 'primary');

async function show(ctx: Context): Promise<ExitCode> {
  const { targets } = dnsTargets(ctx.config, { env: ctx.io.env, zoneDir: ctx.zoneDir, services: ctx.services });
  const rows = await Promise.all(targets.map((t) => showRow(ctx, t)));
  const failed = rows.some((r) => r.error);
  if (ctx.values.json) {
    ctx.io.out(JSON.stringify({
      ok: !failed,
      providers: rows.map((r) => r.verdicts
        ? { ...base(r.t), mode: 'data-plane', ok: true, verdicts: r.verdicts, serving: dataPlaneServing(r.verdicts) }
        : r.current
          ? { ...base(r.t), ok: true, records: r.current.records, state: r.current.state, serving: serving(r.current, r.t.dns) }
          : { ...base(r.t), ...(isDataPlane(ctx.config, r.t) ? { mode: 'data-plane' } : {}), ok: false, error: errorJson(r.error!) }),
    }, null, 2));
    return failed ? EXIT.failed : EXIT.ok;
  }
  for (const r of rows) {
    ctx.io.out(heading(r.t));
    if (isDataPlane(ctx.config, r.t)) ctx.io.out('    data-plane mode: records are not flipped; Route 53 health checks read each coordinator\'s verdict page');
    if (r.verdicts) {
      for (const v of r.verdicts) ctx.io.out(`    ${v.coordinator.padEnd(12)} ${v.state.padEnd(10)} (${v.detail})`);
      ctx.io.out(`    serving ${dataPlaneServing(r.verdicts)} (as Route 53 reads these pages)`);
    } else if (r.current) {
      for (const line of recordLines(r.current)) ctx.io.out(line);
      ctx.io.out(`    serving ${serving(r.current, r.t.dns)}`);
    } else ctx.io.out(`  ! failed: ${r.error!.message}`);
  }
  return failed ? EXIT.failed : EXIT.ok;
}

async function plan(ctx: Context): Promise<ExitCode> {
  const to = role(ctx.values.to);
  const { dataPlane, records: targets } = splitDataPlane(ctx.config, dnsTargets(ctx.config, { env: ctx.io.env, zoneDir: ctx.zoneDir, services: ctx.services }).targets);
  const planned = await planAll(targets, to);
  const failed = planned.some((p) => p.error);
  if (ctx.values.json) {
    ctx.io.out(JSON.stringify({
      to, ok: !failed,
      providers: [
        ...planned.map((p) => p.plan ? { ...base(p.target), ok: true, ...planJson(p.plan) } : { ...base(p.target), ok: false, error: errorJson(p.error) }),
        ...dataPlane.map((t) => skippedJson(t, true)),
      ],
    }, null, 2));
    return failed ? EXIT.failed : EXIT.ok;
  }
  ctx.io.out(`Plan: serve ${to} (nothing is written)\n`);
  printPlans(ctx.io, planned);
  printSkipped(ctx.io, dataPlane, to);
  ctx.io.out(`\n${planSummary(planned)}`);
  return failed ? EXIT.failed : EXIT.ok;
}

async function apply(ctx: Context): Promise<ExitCode> {
  const to = role(ctx.values.to);
  const { io, values } = ctx;
  const { dataPlane, records: targets } = splitDataPlane(ctx.config, dnsTargets(ctx.config, { env: io.env, zoneDir: ctx.zoneDir, services: ctx.services }).targets);
  const planned = await planAll(targets, to);
  const changing = planned.filter((p) => p.plan && !isNoop(p.plan));
  if (!values.json) {
    io.out(`Plan: serve ${to}\n`);
    printPlans(io, planned);
    printSkipped(io, dataPlane, to);
    io.out(`\n${planSummary(planned)}`);
  }
  if (changing.length > 0 && !values.yes) {
    if (!io.interactive) {
      io.err('lifeboat dns apply: not on a terminal, so no confirmation can be asked: pass --yes to apply this plan');
      return EXIT.usage;
    }
    if (!(await io.confirm(`Apply these changes to ${changing.length} provider${changing.length === 1 ? '' : 's'}?`))) {
      io.err('Not applied: nothing was changed.');
      return EXIT.failed;
    }
  }
  // Apply exactly the plan that was shown: if DNS moved since, the state record no longer
  // matches and the provider reports a conflict instead of applying something else.
  const results = await Promise.all(planned.map(async (p) => {
    if (!p.plan || !p.target.provider) return { p, error: p.error ?? new Error('provider unavailable') };
    try {
      return { p, result: await p.target.provider.apply(p.plan) };
    } catch (err) {
      return { p, error: err instanceof Error ? err : new Error(String(err)) };
    }
  }));
  const okOf = (r: (typeof results)[number]) => r.result !== undefined && r.result.outcome !== 'conflict';
  // A data-plane service asked to flip was not flipped: the command did not do what was asked.
  const allOk = results.every(okOf) && dataPlane.length === 0;
  if (values.json) {
    io.out(JSON.stringify({
      to, ok: allOk,
      results: [
        ...results.map((r) => ({
          ...base(r.p.target), ok: okOf(r),
          ...(r.result ? resultJson(r.result) : {}),
          ...(r.p.plan ? { plan: planJson(r.p.plan) } : {}),
          ...(r.error ? { error: errorJson(r.error) } : {}),
        })),
        ...dataPlane.map((t) => skippedJson(t, false)),
      ],
    }, null, 2));
    return allOk ? EXIT.ok : EXIT.failed;
  }
  io.out('\nResults:');
  for (const r of results) {
    const what = r.result
      ? r.result.outcome === 'conflict'
        ? `conflict: the state record changed since the plan (now ${stateText(r.result.state)}); nothing written, run plan again`
        : `${r.result.outcome} (state ${stateText(r.result.state)})${r.result.changeId ? ` change ${r.result.changeId}` : ''}`
      : `failed: ${r.error!.message}`;
    io.out(`  ${heading(r.p.target)}: ${what}`);
  }
  for (const t of dataPlane) io.out(`  ${heading(t)}: not written (data-plane mode; ${dataPlaneHint(t, to)})`);
  return allOk ? EXIT.ok : EXIT.failed;
}

/** Runs the embedded server until `stop` settles; exported so tests can stop it without signals. */
export async function serveZones(ctx: Context, stop: Promise<unknown>): Promise<ExitCode> {
  const { io, values } = ctx;
  const port = Number(values.port ?? '5353');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, not "${values.port}"`);
  const { zones } = dnsTargets(ctx.config, { env: io.env, zoneDir: ctx.zoneDir });
  if (zones.size === 0) throw new UsageError('no service in the config uses the embedded DNS provider ({"provider": "embedded"} in its dns list)');
  for (const zone of zones.values()) await zone.materialise();
  const server = await startDnsServer({ zones: [...zones.values()], port, host: values.host ?? '127.0.0.1' });
  const at = server.host.includes(':') ? `[${server.host}]` : server.host;
  for (const zone of zones.values()) io.out(`Serving zone ${zone.apex} from ${relative(io.cwd, zone.path) || zone.path}`);
  io.out(`Listening on ${at}:${server.port} (UDP and TCP). Try:`);
  const first = ctx.config.services.find((s) => s.dns.some((d) => d.provider === 'embedded'));
  if (first) io.out(`  dig @${server.host} -p ${server.port} ${first.name} +norecurse`);
  io.out('Ctrl-C to stop.');
  try {
    await stop;
  } finally {
    await server.close();
  }
  io.out('DNS server stopped.');
  return EXIT.ok;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

const SUBCOMMANDS = {
  show: { run: show, options: ['config', 'zone-dir', 'json'] },
  plan: { run: plan, options: ['config', 'zone-dir', 'json', 'to'] },
  apply: { run: apply, options: ['config', 'zone-dir', 'json', 'to', 'yes'] },
  serve: { run: (ctx: Context) => serveZones(ctx, untilSignal()), options: ['config', 'zone-dir', 'port', 'host'] },
} as const satisfies Record<string, { run: (ctx: Context) => Promise<ExitCode>; options: readonly (keyof Values)[] }>;

export async function dnsContext(sub: string, argv: string[], io: CliIo): Promise<Context> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  only(sub, values, SUBCOMMANDS[sub as keyof typeof SUBCOMMANDS]?.options ?? []);
  if (sub === 'serve' && positionals.length > 0) throw new UsageError('"dns serve" serves every embedded zone and takes no service names');
  const { config } = await requireConfig(values.config, io.cwd, io.env);
  return { io, values, services: positionals, config, zoneDir: resolveZoneDir(io.cwd, values['zone-dir']) };
}

export const dnsCommand: Command = {
  name: 'dns',
  summary: 'Show, plan and apply DNS flips; serve the embedded zone',
  help: HELP,
  handlesHelp: true,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (argv.includes('--help') || argv.includes('-h')) {
      io.out(SUB_HELP[sub ?? ''] ?? HELP);
      return EXIT.ok;
    }
    if (sub === 'help') {
      io.out(SUB_HELP[rest[0] ?? ''] ?? HELP);
      return EXIT.ok;
    }
    if (!sub || !(sub in SUBCOMMANDS)) {
      throw new UsageError(sub ? `unknown subcommand "${sub}" (show, plan, apply or serve)` : 'give a subcommand: show, plan, apply or serve');
    }
    return SUBCOMMANDS[sub as keyof typeof SUBCOMMANDS].run(await dnsContext(sub, rest, io));
  },
};

