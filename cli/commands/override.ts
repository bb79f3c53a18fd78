import { parseArgs } from 'node:util';
import type { ActiveOverride, OverrideAction, TargetRole } from '#core/model.ts';
import { CALLER_FLAGS, CREDENTIALS_HELP, callAll, callerFrom, type CallOptions } from '../coordinator-client.ts';
import { parseDuration } from '../duration.ts';
import { EXIT, UsageError, type Command } from '../io.ts';

const ACTIONS: Record<string, OverrideAction> = {
  secondary: 'force-secondary', primary: 'force-primary', freeze: 'freeze', auto: 'auto',
};

const HELP = `Usage: lifeboat override <service> --to secondary|primary|freeze|auto [--for 1h] --reason "..."

Sends a signed override (POST /v1/override) to every coordinator in parallel and prints each
one's answer: the active target, the epoch, and the DNS outcome per provider. It takes effect at
once: a change of target is written to DNS within the same request.

  --to secondary   force the secondary (failover now)
  --to primary     force the primary (failback now)
  --to freeze      no automatic change while it holds (a maintenance window opened by hand)
  --to auto        clear any override; automation decides again
  --for DURATION   expiry, e.g. 30m, 2h, 1d, 1h30m; without it the override holds until cleared.
                   When it runs out, automation takes over again (it does not flip back by itself;
                   failback follows the service's policy).
  --reason TEXT    why (required, at least 3 characters): it goes into the audit log
  --config FILE    config file (for "coordinators"); default $LIFEBOAT_CONFIG, else ./lifeboat.config.ts
  --credentials F  operator credentials file (see below)
  --timeout MS     per-coordinator timeout (default 15000)
  --json           print the answers as JSON

${CREDENTIALS_HELP}

Loud warnings (stderr) when a coordinator is unreachable or refuses, and when the coordinators
that accepted disagree (different active target or epoch).

Exit codes: 0 at least one coordinator accepted; 1 none accepted; 2 bad usage or invalid input.`;

interface OverrideAnswer {
  coordinator: string;
  service: string;
  active: TargetRole;
  epoch: number;
  override: ActiveOverride | null;
  dns: { provider: string; zone: string; outcome: string; error?: string }[];
}

export function makeOverrideCommand(deps: CallOptions = {}): Command {
  return {
    name: 'override',
    summary: 'Force, freeze or release a service on every coordinator (signed)',
    help: HELP,
    async run(argv, io) {
      const { values, positionals } = parseArgs({
        args: argv, allowPositionals: true,
        options: {
          to: { type: 'string' }, for: { type: 'string' }, reason: { type: 'string' },
          ...CALLER_FLAGS, json: { type: 'boolean', default: false },
        },
      });
      const [service, ...extra] = positionals;
      if (!service) throw new UsageError('give the service, e.g. lifeboat override app.example.com --to secondary --reason "..."');
      if (extra.length) throw new UsageError(`one service at a time (got ${positionals.join(', ')})`);
      const action = ACTIONS[values.to ?? ''];
      if (!action) throw new UsageError('--to must be secondary, primary, freeze or auto');
      const reason = values.reason?.trim() ?? '';
      if (reason.length < 3) throw new UsageError('--reason is required (at least 3 characters): it goes into the audit log');
      if (values.for && action === 'auto') throw new UsageError('--for makes no sense with --to auto (it clears overrides)');
      const now = deps.now ?? Date.now;
      const until = values.for ? new Date(now() + parseDuration(values.for, '--for')).toISOString() : undefined;
      const { endpoints, credentials, options } = await callerFrom(values, io, { ...deps, timeoutMs: 15_000 });
      const body = { service, action, reason, ...(until ? { until } : {}) };
      const results = await callAll<OverrideAnswer>(endpoints, { method: 'POST', path: '/v1/override', body }, credentials, options);

      const accepted = results.filter((r) => r.ok);
      if (values.json) io.out(JSON.stringify({ request: body, results }, null, 2));
      else {
        io.out(`override ${service}: ${action}${until ? ` until ${until}` : ''} (key ${credentials.keyId})`);
        for (const r of results) {
          if (!r.ok) { io.out(`  ${r.coordinator.padEnd(11)} FAILED    ${r.error}`); continue; }
          const b = r.body;
          const dns = b.dns.length ? b.dns.map((d) => `${d.provider} ${d.outcome}${d.error ? ` (${d.error})` : ''}`).join(', ') : 'no change needed';
          const ov = b.override ? `${b.override.action}${b.override.until ? ` until ${new Date(b.override.until).toISOString()}` : ''}` : 'none (automation)';
          io.out(`  ${r.coordinator.padEnd(11)} accepted  active ${b.active}, epoch ${b.epoch}, override ${ov}; DNS: ${dns}`);
        }
      }
      for (const r of results) {
        if (!r.ok) io.err(`WARNING: coordinator ${r.coordinator} did not accept the override: ${r.error}`);
      }
      const views = new Set(accepted.map((r) => (r.ok ? `${r.body.active}|${r.body.epoch}` : '')));
      if (views.size > 1) {
        io.err(`WARNING: the coordinators DISAGREE: ${accepted.map((r) => (r.ok ? `${r.coordinator} active ${r.body.active} epoch ${r.body.epoch}` : '')).join('; ')}. Check "lifeboat status" and DNS.`);
      }
      if (accepted.length === 0) {
        io.err('no coordinator accepted the override: nothing changed');
        return EXIT.failed;
      }
      return EXIT.ok;
    },
  };
}

export const overrideCommand = makeOverrideCommand();
