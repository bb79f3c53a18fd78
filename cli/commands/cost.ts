import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { estimateCost, estimateScale, type ScaleRow } from '#core/cost/estimate.ts';
import { dataPlaneCost } from '#core/cost/data-plane.ts';
import { AWS_PRICES, CLOUDFLARE_PRICES } from '#core/cost/prices.ts';
import { requireConfig } from '../config-file.ts';
import { EXIT, UsageError, type Command } from '../io.ts';

const HELP = `Usage: lifeboat cost [config] [--json] [--prices] [--scale]

Estimates the monthly AWS and Cloudflare bill of a config: Lambda requests and duration, DynamoDB
on-demand reads and writes, the probe chain's SQS requests and watchdog schedule, Worker requests
and CPU, Durable Object requests
(alarms included), duration and SQLite rows, per protected endpoint, beside what the same checks
would cost as Route 53 health checks (non-AWS endpoint, 10 s interval, HTTPS, string match:
$6.75 a month each). Prices are list prices from core/cost/prices.ts, each with its source URL
and the date it was read; usage assumptions are in core/cost/estimate.ts.

  config     config file; default $LIFEBOAT_CONFIG, else ./lifeboat.config.ts or .json
  --json     print the estimate as JSON
  --prices   also list every price constant with its source
  --scale    cost per endpoint at 1, 10, 100 and 1,000 services (copies of the config's first
             service, same vantage points and interval), beside Route 53's

Exit codes: 0 ok; 2 bad usage or invalid config.`;

const usd = (n: number) => `$${n.toFixed(2)}`;
const qty = (n: number) => n.toLocaleString('en-US');

export const costCommand: Command = {
  name: 'cost',
  summary: 'Estimate the monthly AWS + Cloudflare bill, beside Route 53 health checks',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false }, prices: { type: 'boolean', default: false }, scale: { type: 'boolean', default: false } } });
    if (positionals.length > 1) throw new UsageError('give at most one config file');
    const { path, config } = await requireConfig(positionals[0], io.cwd, io.env);
    if (values.scale) {
      const rows = estimateScale(config);
      if (values.json) { io.out(JSON.stringify({ file: relative(io.cwd, path) || path, scale: rows }, null, 2)); return EXIT.ok; }
      io.out(formatScale(rows, `${relative(io.cwd, path) || path}: every ${config.probing.intervalSeconds} s, ${config.vantagePoints.aws.length + config.vantagePoints.cloudflare.length} vantage points`));
      return EXIT.ok;
    }
    const est = estimateCost(config);
    const dataPlane = dataPlaneCost(config);
    if (values.json) {
      io.out(JSON.stringify({ file: relative(io.cwd, path) || path, ...est, ...(dataPlane.services ? { dataPlane } : {}), ...(values.prices ? { prices: { aws: AWS_PRICES, cloudflare: CLOUDFLARE_PRICES } } : {}) }, null, 2));
      return EXIT.ok;
    }
    const out: string[] = [`${relative(io.cwd, path) || path}: ${est.services} service(s), ${est.endpoints} endpoints, every ${config.probing.intervalSeconds} s`, ''];
    for (const provider of ['aws', 'cloudflare'] as const) {
      const lines = est.lines.filter((l) => l.provider === provider);
      if (!lines.length) continue;
      out.push(provider === 'aws' ? 'AWS (per month)' : 'Cloudflare (per month)');
      for (const l of lines) out.push(`  ${`${l.item}${l.monitoring ? ' [monitoring]' : ''}`.padEnd(54)} ${`${qty(l.quantity)} ${l.unit}`.padStart(24)}  ${usd(l.usd).padStart(9)}`);
      out.push(`  ${'subtotal'.padEnd(54)} ${''.padStart(24)}  ${usd(provider === 'aws' ? est.awsUsd : est.cloudflareUsd).padStart(9)}`, '');
    }
    out.push(`Lifeboat total              ${usd(est.totalUsd)} / month  (${usd(est.perEndpointUsd)} per endpoint)`);
    out.push(`  without monitoring        ${usd(est.totalExcludingMonitoringUsd)} / month  (monitoring lines: ${usd(est.monitoringUsd)})`);
    out.push(`Route 53 health checks      ${usd(est.route53.totalUsd)} / month  (${est.route53.checks} x ${usd(est.route53.perCheckUsd)})`);
    if (dataPlane.services) out.push(`Data-plane mode           + ${usd(dataPlane.totalUsd)} / month  (${dataPlane.endpointChecks} verdict checks + ${dataPlane.calculatedChecks} calculated = ${usd(dataPlane.healthChecksUsd)}; memory ${usd(dataPlane.memory.usd)}: ${dataPlane.memory.alarms} alarms on EMF metrics, ${dataPlane.memory.delaySeconds.min}-${dataPlane.memory.delaySeconds.max} s behind the pages; checkers send ${dataPlane.requestsPerSecondPerCoordinator.toFixed(1)} requests/s to each coordinator)`);
    out.push(`Cloudflare side fits Workers Free: ${est.fitsWorkersFree ? 'yes' : 'no (Workers Paid needed)'}`);
    out.push('', ...est.notes.map((n) => `note: ${n}`));
    if (values.prices) {
      out.push('', 'Prices:');
      for (const [name, p] of [...Object.entries(AWS_PRICES), ...Object.entries(CLOUDFLARE_PRICES)]) out.push(`  ${name.padEnd(32)} $${p.usd} ${p.unit}  (${p.source}, read ${p.read})`);
    }
    io.out(out.join('\n'));
    return EXIT.ok;
  },
};

/** The --scale table; bench/run.ts prints the same into docs/benchmarks.md. */
export function formatScale(rows: readonly ScaleRow[], title: string): string {
  const out = [title, '', '  services  endpoints   total/month   per endpoint   w/o monitoring   Route 53 per endpoint'];
  for (const r of rows) {
    out.push(`  ${qty(r.services).padStart(8)}  ${qty(r.endpoints).padStart(9)}   ${usd(r.totalUsd).padStart(11)}   ${usd(r.perEndpointUsd).padStart(12)}   ${usd(r.perEndpointExcludingMonitoringUsd).padStart(14)}   ${usd(r.route53PerEndpointUsd).padStart(21)}`);
  }
  return out.join('\n');
}
