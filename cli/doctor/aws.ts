/**
 * The AWS half: every signing key in SSM where a Lambda reads it (all HMAC keys in the home
 * region for the coordinator; the probe keys in each probe region), CloudWatch alarms not firing
 * nor without data for long (the EventBridge Scheduler schedules: schedules.ts). Real SDK clients:
 * AWS_ENDPOINT_URL_SSM / _CLOUDWATCH point them elsewhere (the SDK reads those).
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { fail, ok, reason, warn, type CheckResult } from './checks.ts';

export interface AwsCheckOptions {
  readonly homeRegion: string;
  /** SSM root, as `-c parameterRoot` in the CDK app (default /lifeboat). */
  readonly parameterRoot: string;
  /** Alarms and EventBridge Scheduler schedules whose name starts with this are Lifeboat's. */
  readonly namePrefix: string;
  readonly now: number;
  /** How long an alarm may sit in INSUFFICIENT_DATA before it is reported. */
  readonly insufficientDataMs?: number;
}

const hmacKeys = (config: LifeboatConfig) => config.keys.filter((k) => k.publicKey === undefined && (k.algorithm ?? 'hmac-sha256') === 'hmac-sha256');

export async function checkSsmKeys(config: LifeboatConfig, o: AwsCheckOptions): Promise<CheckResult[]> {
  const prefix = `${o.parameterRoot.replace(/\/+$/, '')}/keys/`;
  const wanted: { region: string; keyId: string; who: string }[] = hmacKeys(config).map((k) => ({ region: o.homeRegion, keyId: k.id, who: 'the coordinator' }));
  for (const region of config.vantagePoints.aws ?? []) {
    for (const k of config.keys.filter((k) => k.scope === 'probe' && (!k.speaksFor || k.speaksFor.some((s) => s === 'aws' || s === `aws:${region}`)))) {
      wanted.push({ region, keyId: k.id, who: `the probe in ${region}` });
    }
  }
  const clients = new Map<string, SSMClient>();
  try {
    return await Promise.all(wanted.map(async ({ region, keyId, who }) => {
      const name = `${prefix}${keyId}`;
      const check = `ssm ${region} ${name}`;
      let client = clients.get(region);
      if (!client) clients.set(region, (client = new SSMClient({ region, maxAttempts: 2 })));
      try {
        // Not decrypted: whether it is there is the question, and the value never leaves AWS.
        const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: false }));
        return out.Parameter?.Type === 'SecureString' ? ok(check, `present (read by ${who})`) : warn(check, `present but ${out.Parameter?.Type ?? 'of unknown type'}`, `store it as a SecureString: aws ssm put-parameter --overwrite --type SecureString --region ${region} --name ${name} --value "$(cat key.hex)"`);
      } catch (err) {
        const missing = (err as Error).name === 'ParameterNotFound';
        return fail(check, missing ? `missing (${who} needs it)` : `cannot read: ${reason(err)}`,
          missing ? `aws ssm put-parameter --type SecureString --region ${region} --name ${name} --value "$(cat key.hex)"` : 'check your AWS credentials can ssm:GetParameter there');
      }
    }));
  } finally {
    for (const c of clients.values()) c.destroy();
  }
}

export async function checkAlarms(o: AwsCheckOptions): Promise<CheckResult[]> {
  const client = new CloudWatchClient({ region: o.homeRegion, maxAttempts: 2 });
  const stuckMs = o.insufficientDataMs ?? 86_400_000;
  try {
    const out = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: o.namePrefix }));
    const alarms = out.MetricAlarms ?? [];
    if (alarms.length === 0) return [warn(`alarms ${o.homeRegion}`, `no alarm named ${o.namePrefix}*`, 'deploy the stacks, or pass --name-prefix with your alarms\' prefix')];
    return alarms.map((a) => {
      const since = a.StateUpdatedTimestamp?.getTime() ?? o.now;
      if (a.StateValue === 'ALARM') return fail(`alarm ${a.AlarmName}`, `in ALARM since ${new Date(since).toISOString()}: ${a.StateReason ?? ''}`, 'see the runbook for this alarm (docs/doctor.md) and the coordinator\'s logs');
      if (a.StateValue === 'INSUFFICIENT_DATA' && o.now - since > stuckMs) {
        return warn(`alarm ${a.AlarmName}`, `INSUFFICIENT_DATA since ${new Date(since).toISOString()}: its metric is not being published`, 'check the schedules above are ENABLED and the function that publishes it runs');
      }
      return ok(`alarm ${a.AlarmName}`, a.StateValue ?? 'state unknown');
    });
  } catch (err) {
    return [fail(`alarms ${o.homeRegion}`, `cannot describe alarms: ${reason(err)}`, 'check your AWS credentials can cloudwatch:DescribeAlarms')];
  } finally {
    client.destroy();
  }
}
