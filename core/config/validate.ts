import type { z } from 'zod';
import { configSchema, keyWarnings, type LifeboatConfig, type ServiceConfig } from './schema.ts';
import { resolvePolicy, decisionDeadlineMs, type Policy } from '../engine/policy.ts';
import type { VantagePoint } from '../model.ts';

/** One thing wrong (or worth a look) in a config, located by its path. */
export interface ConfigProblem {
  /** e.g. `services[0].healthCheck.expectStatus[1]` */
  readonly path: string;
  readonly message: string;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: LifeboatConfig; readonly warnings: readonly ConfigProblem[] }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** Formats a zod path the way people write it in code: `services[0].dns[1].ttl`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function problemsOf(error: z.ZodError): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field (check the spelling)' }));
    }
    return [{ path: formatPath(issue.path), message: issue.message }];
  });
}

/** Validates a parsed config file. Every problem is reported, not only the first. */
export function parseConfig(input: unknown): ConfigResult {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error) };
  return { ok: true, config: parsed.data, warnings: configWarnings(parsed.data) };
}

/** Parses or throws a ConfigError listing every problem. */
export function loadConfig(input: unknown): LifeboatConfig {
  const result = parseConfig(input);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid config:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

/** Every vantage point the config declares, in a stable order. */
export function vantagePointsOf(config: LifeboatConfig): VantagePoint[] {
  return [
    ...config.vantagePoints.aws.map((r) => `aws:${r}` as const),
    ...config.vantagePoints.cloudflare.map((h) => `cloudflare:${h}` as const),
  ];
}

/** The resolved policy of one service: service fields over global fields over defaults. */
export function policyFor(config: LifeboatConfig, service: ServiceConfig): Policy {
  return resolvePolicy({ ...config.policy, ...service.policy }, config.probing.intervalSeconds);
}

/** Things that are valid but probably not what the operator wants. */
export function configWarnings(config: LifeboatConfig): ConfigProblem[] {
  const warnings: ConfigProblem[] = [...keyWarnings(config)];
  const perProvider = { aws: config.vantagePoints.aws.length, cloudflare: config.vantagePoints.cloudflare.length };
  const total = perProvider.aws + perProvider.cloudflare;
  config.services.forEach((service, i) => {
    const policy = policyFor(config, service);
    if (policy.minVotes > total) {
      warnings.push({ path: `services[${i}].policy.minVotes`, message: `needs ${policy.minVotes} votes but only ${total} vantage points exist: this service can never fail over` });
    } else {
      for (const [provider, count] of Object.entries(perProvider)) {
        if (count > 0 && count < policy.minVotes) {
          warnings.push({ path: `vantagePoints.${provider}`, message: `${count} vantage point(s) < minVotes ${policy.minVotes} for ${service.name}: if the other provider is down, ${provider} alone cannot fail over` });
        }
      }
    }
    const deadlineS = decisionDeadlineMs(policy) / 1000;
    service.dns.forEach((record, j) => {
      if (record.provider === 'cloudflare') {
        if (record.proxied) return; // the edge follows the origin change at once; the TTL does not matter
        if (record.ttl !== 1 && record.ttl < 60) {
          warnings.push({ path: `services[${i}].dns[${j}].ttl`, message: `Cloudflare's minimum TTL is 60 s (30 s on Enterprise); ${record.ttl} may be refused` });
        }
      }
      const effectiveTtl = record.provider === 'cloudflare' && record.ttl === 1 ? 300 : record.ttl;
      if (effectiveTtl > deadlineS) {
        warnings.push({ path: `services[${i}].dns[${j}].ttl`, message: `resolvers may cache the old answer for ${effectiveTtl} s, longer than the ${deadlineS} s decision: failover is slower than it needs to be${record.provider === 'cloudflare' ? ' (consider proxied: true)' : ''}` });
      }
    });
  });
  return dedupe(warnings);
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
