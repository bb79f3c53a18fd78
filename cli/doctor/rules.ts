/**
 * The EventBridge rules that drive the AWS side: the coordinator's tick in the home region and the
 * probe chain's watchdog in each probe region. Listed per region by name prefix with the real
 * EventBridge client (AWS_ENDPOINT_URL_EVENTBRIDGE points it elsewhere).
 */
import { EventBridgeClient, ListRulesCommand, type Rule } from '@aws-sdk/client-eventbridge';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { AwsCheckOptions } from './aws.ts';
import { fail, ok, reason, warn, type CheckResult } from './checks.ts';

/** What a rule does, told from its name: infra names them `<stack>-Tick` and `<stack>-Watchdog`. */
interface RuleRole {
  readonly word: 'Tick' | 'Watchdog';
  /** Its name in messages, without article. */
  readonly what: string;
  /** What stops when the rule does not run. */
  readonly stops: string;
  /** The stack that owns it in a region, for the redeploy fix. */
  readonly stack: (region: string) => string;
}

const TICK: RuleRole = {
  word: 'Tick', what: 'coordinator tick', stack: () => 'LifeboatControl',
  stops: 'silence goes unnoticed, overrides do not expire, pending flips are not retried',
};
const WATCHDOG: RuleRole = {
  word: 'Watchdog', what: 'probe chain watchdog', stack: (region) => `LifeboatProbe-${region}`,
  stops: 'a stopped probe chain is not restarted',
};

// Also matches the names CloudFormation generated before the rules were named (`LifeboatControl-TickC0FFEE-…`).
const roleOf = (name: string): RuleRole | undefined => [TICK, WATCHDOG].find((r) => name.includes(r.word));

/** A bound on pages, against an endpoint that keeps answering with a token. */
const MAX_PAGES = 50;

async function listRules(client: EventBridgeClient, namePrefix: string): Promise<Rule[]> {
  const rules: Rule[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await client.send(new ListRulesCommand({ NamePrefix: namePrefix, ...(token ? { NextToken: token } : {}) }));
    rules.push(...(out.Rules ?? []));
    token = out.NextToken;
    if (!token) break;
  }
  return rules;
}

function ruleCheck(region: string, rule: Rule): CheckResult {
  const name = rule.Name ?? '(unnamed)';
  const role = roleOf(name);
  const check = `rule ${region} ${name}`;
  // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is enabled too (it only widens what an event pattern sees).
  if (rule.State?.startsWith('ENABLED')) {
    return ok(check, `${rule.State}${rule.ScheduleExpression ? `, ${rule.ScheduleExpression}` : ''}${role ? ` (the ${role.what})` : ''}`);
  }
  const state = rule.State ?? 'state unknown';
  return fail(check,
    role ? `${state}: the ${role.what} in ${region} does not run (${role.stops})` : `${state}: it does not run`,
    `aws events enable-rule --name ${name} --region ${region} (or redeploy: ${role ? `npx cdk deploy ${role.stack(region)}` : 'npx cdk deploy --all'})`);
}

export async function checkRules(config: LifeboatConfig, o: AwsCheckOptions): Promise<CheckResult[]> {
  // What each region must run; the home region may be a probe region too.
  const expected = new Map<string, RuleRole[]>([[o.homeRegion, [TICK]]]);
  for (const region of config.vantagePoints.aws ?? []) expected.set(region, [...(expected.get(region) ?? []), WATCHDOG]);
  return (await Promise.all([...expected].map(async ([region, roles]) => {
    const client = new EventBridgeClient({ region, maxAttempts: 2 });
    try {
      const rules = await listRules(client, o.namePrefix);
      const redeploy = 'deploy the stacks (npx cdk deploy --all), or pass --name-prefix with your rules\' prefix';
      if (rules.length === 0) {
        return [warn(`rules ${region}`, `no EventBridge rule named ${o.namePrefix}* in ${region}: ${roles.map((r) => `the ${r.what}`).join(' and ')} ${roles.length > 1 ? 'are' : 'is'} not deployed there`, redeploy)];
      }
      const missing = roles.filter((role) => !rules.some((r) => roleOf(r.Name ?? '') === role));
      return [
        ...rules.map((r) => ruleCheck(region, r)),
        ...missing.map((role) => warn(`rules ${region}`, `no ${role.what} rule named ${o.namePrefix}* in ${region}`, `deploy it (npx cdk deploy ${role.stack(region)}), or pass --name-prefix with your rules' prefix`)),
      ];
    } catch (err) {
      return [fail(`rules ${region}`, `cannot list EventBridge rules: ${reason(err)}`, `check your AWS credentials can events:ListRules in ${region}`)];
    } finally {
      client.destroy();
    }
  }))).flat();
}
