import { parseArgs } from 'node:util';
import type { AuditEntry } from '#core/engine/actions.ts';
import { normaliseName } from '#core/model.ts';
import { CALLER_FLAGS, CREDENTIALS_HELP, callAll, callerFrom, type CallOptions } from '../coordinator-client.ts';
import { parseDuration } from '../duration.ts';
import { EXIT, UsageError, type Command } from '../io.ts';

const HELP = `Usage: lifeboat audit [service] [--since 1d] [--limit N] [--json]

Lists decisions, overrides, holds, DNS writes and refused requests from every coordinator's
audit log (GET /v1/audit), merged newest first; each line names the coordinator it came from.

  service          only this service (refused requests, which have no service, are left out)
  --since DURATION how far back, e.g. 30m, 12h, 1d (default 1d)
  --limit N        at most N entries per coordinator (default 200, at most 1000)
  --json           print [{coordinator, at, service, kind, message, by, data}] as JSON
  --config FILE    config file (for "coordinators")
  --credentials F  operator credentials file
  --timeout MS     per-coordinator timeout (default 10000)

${CREDENTIALS_HELP}

Exit codes: 0 every coordinator answered; 1 one or more did not (what the others said is still
printed); 2 bad usage or invalid input.`;

export interface MergedAuditEntry extends AuditEntry {
  readonly coordinator: string;
}

export function mergeAudit(perCoordinator: readonly { coordinator: string; entries: readonly AuditEntry[] }[]): MergedAuditEntry[] {
  return perCoordinator
    .flatMap(({ coordinator, entries }) => entries.map((e) => ({ ...e, coordinator })))
    .sort((a, b) => b.at - a.at || (a.coordinator < b.coordinator ? -1 : a.coordinator > b.coordinator ? 1 : 0));
}

export function makeAuditCommand(deps: CallOptions = {}): Command {
  return {
    name: 'audit',
    summary: 'List decisions and overrides from every coordinator, newest first',
    help: HELP,
    async run(argv, io) {
      const { values, positionals } = parseArgs({
        args: argv, allowPositionals: true,
        options: {
          since: { type: 'string', default: '1d' }, limit: { type: 'string', default: '200' }, json: { type: 'boolean', default: false },
          ...CALLER_FLAGS,
        },
      });
      if (positionals.length > 1) throw new UsageError('give at most one service');
      const service = positionals[0] === undefined ? undefined : normaliseName(positionals[0]);
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1-1000');
      const now = (deps.now ?? Date.now)();
      const since = now - parseDuration(values.since, '--since');
      const { endpoints, credentials, options } = await callerFrom(values, io, { ...deps, timeoutMs: 10_000 });
      const query = new URLSearchParams({ since: String(since), limit: String(limit), ...(service ? { service } : {}) });
      const results = await callAll<{ entries: AuditEntry[] }>(endpoints, { method: 'GET', path: `/v1/audit?${query}` }, credentials, options);
      const merged = mergeAudit(results.flatMap((r) => (r.ok ? [{ coordinator: r.coordinator, entries: r.body.entries }] : [])));
      if (values.json) io.out(JSON.stringify(merged, null, 2));
      else if (merged.length === 0) io.out(`no audit entries since ${new Date(since).toISOString()}`);
      else {
        const width = Math.max(...merged.map((e) => e.coordinator.length));
        for (const e of merged) {
          io.out(`${new Date(e.at).toISOString()}  ${e.coordinator.padEnd(width)}  ${e.kind.padEnd(16)} ${e.service ?? '-'}  ${e.message}${e.by && !e.message.includes(e.by) ? ` (key ${e.by})` : ''}`);
        }
      }
      for (const r of results) if (!r.ok) io.err(`WARNING: coordinator ${r.coordinator}: ${r.error}`);
      return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
    },
  };
}

export const auditCommand = makeAuditCommand();
