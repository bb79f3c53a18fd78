/**
 * One region's vantage point: the probe Lambda and its schedule. It reads its signing key from
 * SSM in its OWN region, and learns the coordinator URLs from the embedded config, so a region
 * never depends on another region (or on the control stack) to keep probing.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { alarmTopic } from '../constructs/alerting.ts';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { DEFAULT_POST_TIMEOUT_MS } from '#core/probe/post.ts';
import { roundBudgetMs } from '../../functions/probe.ts';
import { LifeboatFunction } from '../constructs/lifeboat-function.ts';
import { parameterArn, type ParameterNames } from '../parameters.ts';

export interface ProbeStackProps extends StackProps {
  readonly config: LifeboatConfig;
  readonly probeKeyId: string;
  readonly parameters: ParameterNames;
}

export class ProbeFleetStack extends Stack {
  readonly probe: LifeboatFunction;

  constructor(scope: Construct, id: string, props: ProbeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const intervalS = config.probing.intervalSeconds;
    // One invocation covers a minute of rounds (or one round when the interval is longer).
    const period = Duration.minutes(Math.max(1, Math.round(intervalS / 60)));
    const budgetS = Math.ceil(roundBudgetMs(config, DEFAULT_POST_TIMEOUT_MS) / 1000);
    this.probe = new LifeboatFunction(this, 'Probe', {
      entry: 'functions/probe.ts',
      config,
      description: `Lifeboat probe aws:${this.region}`,
      timeout: Duration.seconds(Math.min(900, 60 + budgetS + 5)),
      memorySize: 256,
      retryAttempts: 0,
      environment: {
        LIFEBOAT_PROBE_KEY_ID: props.probeKeyId,
        LIFEBOAT_KEY_PARAMETER_PREFIX: props.parameters.keyPrefix,
      },
    });
    this.probe.role.addToPolicy(new PolicyStatement({
      actions: ['ssm:GetParameter'],
      resources: [parameterArn(this, `${props.parameters.keyPrefix}${props.probeKeyId}`)],
    }));
    new Rule(this, 'Schedule', {
      description: `Lifeboat probe rounds (every ${intervalS} s, one invocation per ${period.toHumanString()})`,
      schedule: Schedule.rate(period),
      targets: [new LambdaFunction(this.probe.fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
    const alarms = alarmTopic(this, 'Alarms', `Lifeboat alarms (probe ${this.region})`, props.config);
    this.probe.errorsAlarm.addAlarmAction(new SnsAction(alarms));
  }
}
