import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { policyFor, toleranceOf, vantagePointsOf } from '#core/config/validate.ts';
import { findConfigFile, loadConfigFile } from '../config-file.ts';
import { EXIT, type Command } from '../io.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check a config file and print a summary of it',
  help: `Usage: lifeboat validate [file] [--json]

Checks a Lifeboat config (.ts with defineConfig, or .json). Prints every problem with its path,
e.g. "services[0].healthCheck.expectStatus[1]: ...", and exits 2; a valid file prints a summary
(and any warnings) and exits 0.

  file     config file; default $LIFEBOAT_CONFIG, else ./lifeboat.config.ts or .json
  --json   print {valid, problems, warnings, tolerance} as JSON; tolerance says, per service,
           which failures the config tolerates and which provider can act alone, and when`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
    const path = findConfigFile(positionals[0], io.cwd, io.env);
    const result = await loadConfigFile(path);
    const shown = relative(io.cwd, path) || path;
    if (values.json) {
      io.out(JSON.stringify(result.ok ? { valid: true, file: shown, problems: [], warnings: result.warnings, tolerance: result.config.services.map((s) => toleranceOf(result.config, s)) } : { valid: false, file: shown, problems: result.problems, warnings: [] }, null, 2));
      return result.ok ? EXIT.ok : EXIT.usage;
    }
    if (!result.ok) {
      io.err(`${shown}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`);
      for (const p of result.problems) io.err(`  ${p.path}: ${p.message}`);
      return EXIT.usage;
    }
    io.out(`${shown}: valid\n`);
    io.out(summarise(result.config));
    if (result.warnings.length) {
      io.out(`\nwarnings (${result.warnings.length}):`);
      for (const w of result.warnings) io.out(`  ${w.path}: ${w.message}`);
    }
    return EXIT.ok;
  },
};

export function summarise(config: LifeboatConfig): string {
  const lines: string[] = [];
  const vps = vantagePointsOf(config);
  lines.push(`services (${config.services.length}):`);
  for (const s of config.services) {
    const p = policyFor(config, s);
    const records = (t: typeof s.primary) => t.cname ? `CNAME ${t.cname}` : t.alias ? `alias ${t.alias.dnsName}` : [...(t.a ?? []), ...(t.aaaa ?? [])].join(', ');
    lines.push(`  ${s.name}`);
    lines.push(`    primary    ${s.primary.url}  -> ${records(s.primary)}`);
    lines.push(`    secondary  ${s.secondary.url}  -> ${records(s.secondary)}`);
    lines.push(`    check      ${s.healthCheck.type === 'http' ? `${s.healthCheck.method} ${s.healthCheck.path} expect ${s.healthCheck.expectStatus.join(',')}` : `tcp :${s.healthCheck.port}`}, timeout ${s.healthCheck.timeoutMs} ms`);
    lines.push(`    dns        ${s.dns.map((d) => `${d.provider}${d.provider === 'route53' ? ` ${d.hostedZoneId}` : d.provider === 'cloudflare' ? ` ${d.zoneId.slice(0, 8)}…${d.proxied ? ' proxied' : ''}` : ''} ttl ${d.ttl}`).join('; ')}`);
    lines.push(`    policy     minVotes ${p.minVotes} (${p.providerMinVotes} per provider to judge), >${Math.round(p.quorumFraction * 100)}% of fresh votes, failAfter ${p.failAfter}, fresh ${p.freshForMs / 1000} s, failback ${p.failback}${p.failback === 'auto' ? ` after ${p.recoverAfterMs / 1000} s` : ''}, minDwell ${p.minDwellMs / 1000} s`);
    lines.push('    tolerance');
    for (const line of toleranceOf(config, s).statements) lines.push(`      - ${line}`);
  }
  lines.push(`vantage points (${vps.length}): ${vps.join(', ')}`);
  lines.push(`probing: every ${config.probing.intervalSeconds} s, recheck after ${config.probing.recheckDelayMs} ms, ${config.probing.controlUrls.length} control URL(s)`);
  const coords = Object.entries(config.coordinators).filter(([, c]) => c).map(([name, c]) => `${name} ${c!.url}`);
  lines.push(`coordinators: ${coords.length ? coords.join('; ') : 'none configured (local run only)'}`);
  lines.push(`keys: ${config.keys.map((k) => `${k.id} (${k.scope})`).join(', ')}`);
  return lines.join('\n');
}
