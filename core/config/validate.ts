import type * as z from 'zod';
import { configSchema, keyWarnings, type LifeboatConfig, type ServiceConfig } from './schema.ts';
import { decisionDeadlineMs } from '../engine/policy.ts';
import { policyFor } from './access.ts';
import { formatPath } from './path.ts';
import { ConfigurationError } from '../errors.ts';
import { keyEnvVar } from '../signing/keys.ts';
import { MAX_DELAY_SECONDS } from '../probe/chain.ts';

// Re-exported for existing callers; runtime code imports them from the zod-free modules.
export { policyFor, vantagePointsOf } from './access.ts';
export { formatPath } from './path.ts';

/** One thing wrong (or worth a look) in a config, located by its path. */
export interface ConfigProblem {
  /** e.g. `services[0].healthCheck.expectStatus[1]` */
  readonly path: string;
  readonly message: string;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: LifeboatConfig; readonly warnings: readonly ConfigProblem[] }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

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
  const collisions = [...secretNameCollisions(parsed.data), ...dataPlaneProblems(parsed.data)];
  if (collisions.length > 0) return { ok: false, problems: collisions };
  return { ok: true, config: parsed.data, warnings: configWarnings(parsed.data) };
}

/** Parses or throws a ConfigError listing every problem. */
export function loadConfig(input: unknown): LifeboatConfig {
  const result = parseConfig(input);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

export class ConfigError extends ConfigurationError {
  override readonly name: string = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid config:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

/** What one provider's vantage points can do on their own under a service's policy. */
export interface ProviderTolerance {
  readonly provider: 'aws' | 'cloudflare';
  readonly vantagePoints: number;
  /** At least providerMinVotes VPs: it gives a verdict of its own, and can veto the other. */
  readonly canJudge: boolean;
  /** At least minVotes VPs: it can fail over with the other provider silent. */
  readonly canActAlone: boolean;
  /** One sentence for people. */
  readonly summary: string;
}

export interface ServiceTolerance {
  readonly service: string;
  readonly providers: readonly ProviderTolerance[];
  /** Sentences: which failures this config tolerates, and who can act alone when. */
  readonly statements: readonly string[];
}

/** For one service, under the cross-provider quorum (core/engine/votes.ts judge): who can act alone, and when. */
export function toleranceOf(config: LifeboatConfig, service: ServiceConfig): ServiceTolerance {
  const p = policyFor(config, service);
  const counts = { aws: config.vantagePoints.aws.length, cloudflare: config.vantagePoints.cloudflare.length };
  const total = counts.aws + counts.cloudflare;
  const names = ['aws', 'cloudflare'] as const;
  const vp = (n: number) => `${n} VP${n === 1 ? '' : 's'}`;
  const providers = names.map((provider): ProviderTolerance => {
    const other = provider === 'aws' ? 'cloudflare' : 'aws';
    const n = counts[provider];
    const canJudge = n >= p.providerMinVotes;
    const canActAlone = n >= p.minVotes;
    const otherJudges = counts[other] >= p.providerMinVotes;
    let summary: string;
    if (n === 0) summary = `${provider} has no vantage points`;
    else if (!canActAlone && !canJudge) summary = `${provider} (${vp(n)}) can never judge: it never blocks ${other}, and cannot fail over alone (minVotes ${p.minVotes})`;
    else if (!canActAlone) summary = `${provider} (${vp(n)}) can veto ${other} but cannot fail over alone (minVotes ${p.minVotes})`;
    else if (!otherJudges) summary = `${provider} (${vp(n)}) alone can fail over at any time: ${other} has fewer than ${p.providerMinVotes} vantage points and never judges`;
    else summary = `${provider} (${vp(n)}) alone can fail over when ${other} has fewer than ${p.providerMinVotes} fresh votes (e.g. ${other} is down)`;
    return { provider, vantagePoints: n, canJudge, canActAlone, summary };
  });
  const statements = providers.filter((t) => t.vantagePoints > 0).map((t) => t.summary);
  const judges = providers.filter((t) => t.canJudge);
  if (judges.length === 2) statements.push(`a provider whose probes all lie (or whose probe key is stolen) cannot move DNS while the other has ${p.providerMinVotes} or more fresh votes`);
  else if (judges.length === 1 && providers.every((t) => t.vantagePoints > 0)) statements.push(`only ${judges[0]!.provider} judges: a fault or a stolen probe key at ${judges[0]!.provider} alone can move DNS`);
  const down = providers.filter((t) => t.vantagePoints > 0 && providers.some((o) => o !== t && o.canActAlone));
  if (down.length) statements.push(`tolerates the loss of ${down.map((t) => `all of ${t.provider}`).join(' or ')}`);
  if (total >= p.minVotes) statements.push(`tolerates up to ${total - p.minVotes} silent vantage point(s) of ${total} and still fails over a dead primary (when the rest agree)`);
  return { service: service.name, providers, statements };
}

/** Things that are valid but probably not what the operator wants. */
export function configWarnings(config: LifeboatConfig): ConfigProblem[] {
  const warnings: ConfigProblem[] = [...keyWarnings(config), ...intervalWarnings(config)];
  const perProvider = { aws: config.vantagePoints.aws.length, cloudflare: config.vantagePoints.cloudflare.length };
  const total = perProvider.aws + perProvider.cloudflare;
  config.services.forEach((service, i) => {
    const policy = policyFor(config, service);
    if (policy.minVotes > total) {
      warnings.push({ path: `services[${i}].policy.minVotes`, message: `needs ${policy.minVotes} votes but only ${total} vantage points exist: this service can never fail over` });
    } else {
      for (const [provider, count] of Object.entries(perProvider)) {
        const other = provider === 'aws' ? 'cloudflare' : 'aws';
        if (count > 0 && count < policy.minVotes) {
          warnings.push({ path: `vantagePoints.${provider}`, message: `${count} vantage point(s) < minVotes ${policy.minVotes} for ${service.name}: if ${other} is silent, ${provider} alone cannot fail over` });
        }
        // The old warning said only who could NOT act; the risk is the other way round too.
        if (count > 0 && count < policy.providerMinVotes && perProvider[other as 'aws' | 'cloudflare'] > 0) {
          warnings.push({ path: `vantagePoints.${provider}`, message: `${count} vantage point(s) < providerMinVotes ${policy.providerMinVotes} for ${service.name}: ${provider} can never judge, so ${other} alone decides (a fault or a stolen probe key there can move DNS)` });
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

/**
 * The interval the AWS probe chain really keeps (core/probe/chain.ts): rounds start on slots of the
 * interval and each hop is an SQS message delayed by whole seconds, so any interval is kept on
 * average up to SQS's DelaySeconds ceiling (900 s); a longer one runs every 900 s.
 */
export function honouredIntervalSeconds(intervalSeconds: number): number {
  return Math.min(intervalSeconds, MAX_DELAY_SECONDS);
}

/** What the probe chain cannot keep of an interval, or null. Exported for its tests (the schema already refuses both today). */
export function chainIntervalProblem(intervalSeconds: number): string | null {
  if (intervalSeconds > MAX_DELAY_SECONDS) {
    return `${intervalSeconds} s is above SQS's longest message delay (${MAX_DELAY_SECONDS} s): the AWS probe chain really runs one round every ${MAX_DELAY_SECONDS} s; use at most ${MAX_DELAY_SECONDS} s`;
  }
  if (!Number.isInteger(intervalSeconds)) {
    return `${intervalSeconds} s is not whole seconds: the AWS probe chain delays each hop by whole seconds (SQS DelaySeconds), so rounds start up to half a second off their slot; use whole seconds`;
  }
  return null;
}

/** An interval the AWS probe chain cannot keep: say what will really run. */
function intervalWarnings(config: LifeboatConfig): ConfigProblem[] {
  if (config.vantagePoints.aws.length === 0) return [];
  const problem = chainIntervalProblem(config.probing.intervalSeconds);
  return problem === null ? [] : [{ path: 'probing.intervalSeconds', message: problem }];
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

/**
 * Two key ids whose secrets would live in one variable (`ops-alice` and `ops.alice` both read
 * LIFEBOAT_KEY_OPS_ALICE): on Cloudflare and in the local run one key would silently sign with
 * the other's secret. Refused here, once, for every runtime.
 */
function secretNameCollisions(config: LifeboatConfig): ConfigProblem[] {
  const owner = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  config.keys.forEach((k, i) => {
    const name = keyEnvVar(k.id);
    const other = owner.get(name);
    if (other !== undefined) problems.push({ path: `keys[${i}].id`, message: `keys "${other}" and "${k.id}" would both read ${name}; rename one` });
    else owner.set(name, k.id);
  });
  return problems;
}

/**
 * Data-plane mode works through Route 53 failover records and health checks (docs/data-plane.md):
 * every zone of such a service must be a Route 53 hosted zone.
 */
function dataPlaneProblems(config: LifeboatConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.services.forEach((s, i) => {
    if (s.mode !== 'data-plane') return;
    s.dns.forEach((record, j) => {
      if (record.provider !== 'route53') {
        problems.push({ path: `services[${i}].dns[${j}].provider`, message: `mode "data-plane" works through Route 53 health checks only; ${record.provider} zones need mode "control-plane" (or remove this entry)` });
      }
    });
  });
  return problems;
}
