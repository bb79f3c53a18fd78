/**
 * The config the AWS half is deployed from: the same file the CLI validates, read once in the
 * CDK app entry (path from `-c config=...`, default examples/production.config.ts; the root
 * lifeboat.config.ts is the local run's and uses the embedded DNS server, which cannot deploy).
 * The Worker build (`lifeboat deploy cloudflare`) applies the same checks but the probe key.
 */
import { resolve } from 'node:path';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { ConfigError, parseConfig, type ConfigProblem } from '#core/config/validate.ts';
import { readConfigFile } from '../node/config-file.ts';
import { ConfigurationError } from '#core/errors.ts';

export const DEFAULT_DEPLOY_CONFIG = 'examples/production.config.ts';

/** Valid as a config, but not deployable; names the field at fault. */
export class DeployConfigError extends ConfigurationError {
  override readonly name: string = 'DeployConfigError';
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

/** 127.0.0.0/8, ::1 (any spelling) and localhost names: reachable only from the machine itself. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  if (h.includes(':')) {
    // ::1 however written (0:0:0:0:0:0:0:1, ::0001) and its IPv4-mapped forms (::ffff:127.x).
    if (/^::ffff:127\./.test(h)) return true;
    const [head = '', tail = ''] = h.split('::');
    const groups = [...head.split(':'), ...tail.split(':')].filter((g) => g !== '');
    return groups.length > 0 && groups.slice(0, -1).every((g) => /^0+$/.test(g)) && /^0*1$/.test(groups.at(-1)!);
  }
  return false;
}

const urlHost = (url: string) => new URL(url).hostname;

/**
 * Fields that point a deployed probe or coordinator at the machine it runs on: a test or
 * local-run leftover that would probe (or post to) nothing real. Each as [path, value].
 */
export function loopbackTargets(config: LifeboatConfig): [string, string][] {
  const found: [string, string][] = [];
  config.services.forEach((s, i) => {
    for (const side of ['primary', 'secondary'] as const) {
      const t = s[side];
      const at = `services[${i}].${side}`;
      if (isLoopbackHost(urlHost(t.url))) found.push([`${at}.url`, t.url]);
      t.a?.forEach((ip, k) => { if (isLoopbackHost(ip)) found.push([`${at}.a[${k}]`, ip]); });
      t.aaaa?.forEach((ip, k) => { if (isLoopbackHost(ip)) found.push([`${at}.aaaa[${k}]`, ip]); });
      if (t.cname && isLoopbackHost(t.cname)) found.push([`${at}.cname`, t.cname]);
    }
  });
  config.probing.controlUrls.forEach((u, k) => { if (isLoopbackHost(urlHost(u))) found.push([`probing.controlUrls[${k}]`, u]); });
  for (const name of ['aws', 'cloudflare'] as const) {
    const url = config.coordinators[name]?.url;
    if (url && isLoopbackHost(urlHost(url))) found.push([`coordinators.${name}.url`, url]);
  }
  return found;
}

/** What neither cloud can deploy: the embedded DNS server and loopback targets. */
function checkRuntimeNeutral(config: LifeboatConfig): void {
  config.services.forEach((s, i) => s.dns.forEach((d, j) => {
    if (d.provider === 'embedded') {
      throw new DeployConfigError(`services[${i}].dns[${j}].provider`, 'the embedded DNS server exists only in the local run; deploy with route53 or cloudflare records');
    }
  }));
  const [first] = loopbackTargets(config);
  if (first) throw new DeployConfigError(first[0], `${first[1]} is a loopback address: a deployed probe would reach only itself (is this the local run's config? deploy your own, e.g. examples/production.config.ts)`);
}

/** Checks what only an AWS deployment needs; returns the config unchanged. */
export function checkDeployable(config: LifeboatConfig): LifeboatConfig {
  checkRuntimeNeutral(config);
  if (!config.keys.some((k) => k.scope === 'probe')) throw new DeployConfigError('keys', 'the probe fleet needs a key with scope "probe"');
  return config;
}

/** Checks what the Cloudflare Worker build needs; returns the config unchanged. */
export function checkWorkerDeployable(config: LifeboatConfig): LifeboatConfig {
  checkRuntimeNeutral(config);
  return config;
}

export interface DeployConfig {
  readonly path: string;
  readonly config: LifeboatConfig;
  /** Valid but worth a look (e.g. an interval the schedule cannot honour): print them. */
  readonly warnings: readonly ConfigProblem[];
}

/** Reads, validates and checks a config file; `check` is the target cloud's. */
export async function loadDeployConfig(path: string, cwd = process.cwd(), check: (c: LifeboatConfig) => LifeboatConfig = checkDeployable): Promise<DeployConfig> {
  const full = resolve(cwd, path);
  const result = parseConfig(await readConfigFile(full));
  if (!result.ok) throw new ConfigurationError(`${full} is invalid:\n${new ConfigError(result.problems).message}`);
  return { path: full, config: check(result.config), warnings: result.warnings };
}
