/**
 * The EventBridge Scheduler schedules that drive the AWS side: the coordinator's tick in the home
 * region and the probe chain's watchdog in each probe region. Listed per region by name prefix with
 * the real Scheduler client (AWS_ENDPOINT_URL_SCHEDULER points it elsewhere).
 */
import { ListSchedulesCommand, SchedulerClient, type ScheduleSummary } from '@aws-sdk/client-scheduler';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { AwsCheckOptions } from './aws.ts';
import { fail, ok, reason, warn, type CheckResult } from './checks.ts';

/** What a schedule does, told from its name: infra names them `<stack>-Tick` and `<stack>-Watchdog`. */
interface ScheduleRole {
  readonly word: 'Tick' | 'Watchdog';
  /** Its name in messages, without article. */
  readonly what: string;
  /** What stops when the schedule does not run. */
  readonly stops: string;
  /** The stack that owns it in a region, for the redeploy fix. */
  readonly stack: (region: string) => string;
}

const TICK: ScheduleRole = {
  word: 'Tick', what: 'coordinator tick', stack: () => 'LifeboatControl',
  stops: 'silence goes unnoticed, overrides do not expire, pending flips are not retried',
};
const WATCHDOG: ScheduleRole = {
  word: 'Watchdog', what: 'probe chain watchdog', stack: (region) => `LifeboatProbe-${region}`,
  stops: 'a stopped probe chain is not restarted',
};

const roleOf = (name: string): ScheduleRole | undefined => [TICK, WATCHDOG].find((r) => name.endsWith(`-${r.word}`));

/** A bound on pages, against an endpoint that keeps answering with a token. */
const MAX_PAGES = 50;

async function listSchedules(client: SchedulerClient, namePrefix: string): Promise<ScheduleSummary[]> {
  const schedules: ScheduleSummary[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await client.send(new ListSchedulesCommand({ NamePrefix: namePrefix, ...(token ? { NextToken: token } : {}) }));
    schedules.push(...(out.Schedules ?? []));
    token = out.NextToken;
    if (!token) break;
  }
  return schedules;
}

/** The function a schedule invokes, by name: `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`. */
const targetName = (arn: string | undefined): string | undefined => (arn?.startsWith('arn:') ? arn.split(':')[6] : arn);

function scheduleCheck(region: string, s: ScheduleSummary): CheckResult {
  const name = s.Name ?? '(unnamed)';
  const group = s.GroupName ?? 'default';
  const role = roleOf(name);
  const check = `schedule ${region} ${name}`;
  if (s.State === 'ENABLED') {
    const target = targetName(s.Target?.Arn);
    return ok(check, `ENABLED${target ? `, invokes ${target}` : ''}${group !== 'default' ? ` (group ${group})` : ''}${role ? ` (the ${role.what})` : ''}`);
  }
  const state = s.State ?? 'state unknown';
  // update-schedule replaces the whole definition, so --state alone would fail or drop the target: redeploying is the one-step fix.
  return fail(check,
    role ? `${state}: the ${role.what} in ${region} does not run (${role.stops})` : `${state}: it does not run`,
    `npx cdk deploy ${role ? role.stack(region) : '--all'} (redeploying enables it as defined), or aws scheduler update-schedule --region ${region} --group-name ${group} --name ${name} --state ENABLED with its other settings as aws scheduler get-schedule shows them (update-schedule replaces the whole schedule)`);
}

export async function checkSchedules(config: LifeboatConfig, o: AwsCheckOptions): Promise<CheckResult[]> {
  // What each region must run; the home region may be a probe region too.
  const expected = new Map<string, ScheduleRole[]>([[o.homeRegion, [TICK]]]);
  for (const region of config.vantagePoints.aws ?? []) expected.set(region, [...(expected.get(region) ?? []), WATCHDOG]);
  return (await Promise.all([...expected].map(async ([region, roles]) => {
    const client = new SchedulerClient({ region, maxAttempts: 2 });
    try {
      const schedules = await listSchedules(client, o.namePrefix);
      if (schedules.length === 0) {
        return [warn(`schedules ${region}`, `no EventBridge Scheduler schedule named ${o.namePrefix}* in ${region}: ${roles.map((r) => `the ${r.what}`).join(' and ')} ${roles.length > 1 ? 'are' : 'is'} not deployed there`,
          'deploy the stacks (npx cdk deploy --all), or pass --name-prefix with your schedules\' prefix')];
      }
      const missing = roles.filter((role) => !schedules.some((s) => roleOf(s.Name ?? '') === role));
      return [
        ...schedules.map((s) => scheduleCheck(region, s)),
        ...missing.map((role) => warn(`schedules ${region}`, `no ${role.what} schedule named ${o.namePrefix}* in ${region}`, `deploy it (npx cdk deploy ${role.stack(region)}), or pass --name-prefix with your schedules' prefix`)),
      ];
    } catch (err) {
      return [fail(`schedules ${region}`, `cannot list EventBridge Scheduler schedules: ${reason(err)}`, `check your AWS credentials can scheduler:ListSchedules in ${region}`)];
    } finally {
      client.destroy();
    }
  }))).flat();
}
