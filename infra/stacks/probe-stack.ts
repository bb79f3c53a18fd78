/**
 * One region's vantage point: the probe Lambda, its chain queue, its slot-claim table and its
 * watchdog schedule (core/probe/chain.ts). Each invocation probes one round and enqueues the next
 * with SQS DelaySeconds, so nothing is billed between rounds; an EventBridge Scheduler schedule
 * (AWS's successor to scheduled rules for new schedules) invokes the probe once a minute as the
 * watchdog that restarts a broken chain; a duplicate delivery never doubles a chain (the slot
 * claim). It reads its signing key from
 * SSM in its OWN region, uses only its own queue and table, and learns the coordinator URLs from
 * the embedded config, so a region never depends on another region (or on the control stack).
 */
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { oneMinuteSchedule } from '../constructs/one-minute-schedule.ts';
import { alarmTopic } from '../constructs/alerting.ts';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { probeMemoryMb } from '#core/cost/probe-sizing.ts';
import { DEFAULT_POST_TIMEOUT_MS } from '#core/probe/post.ts';
import { roundBudgetMs, WATCHDOG_EVENT } from '../../functions/probe.ts';
import { LifeboatFunction } from '../constructs/lifeboat-function.ts';
import { parameterArn, type ParameterNames } from '../parameters.ts';

export interface ProbeStackProps extends StackProps {
  readonly config: LifeboatConfig;
  readonly probeKeyId: string;
  readonly parameters: ParameterNames;
}

export class ProbeFleetStack extends Stack {
  readonly probe: LifeboatFunction;
  readonly chainQueue: Queue;
  readonly claims: Table;

  constructor(scope: Construct, id: string, props: ProbeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const intervalS = config.probing.intervalSeconds;
    // One round: probes, recheck, posts; plus slack for the claim and the next hop's SendMessage.
    const timeout = Duration.seconds(Math.ceil(roundBudgetMs(config, DEFAULT_POST_TIMEOUT_MS) / 1000) + 5);
    this.chainQueue = new Queue(this, 'ChainQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      // Lambda requires at least the function's timeout; a redelivered hop is dropped by its claim.
      visibilityTimeout: timeout,
      // Longer than the longest delay (one interval, at most 300 s): an undelivered hop is stale anyway.
      retentionPeriod: Duration.hours(1),
      enforceSSL: true,
    });
    this.claims = new Table(this, 'ChainClaims', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      // One item (the newest claimed slot): nothing worth keeping when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.probe = new LifeboatFunction(this, 'Probe', {
      entry: 'functions/probe.ts',
      config,
      description: `Lifeboat probe aws:${this.region}`,
      timeout,
      // Sized from the probe's measured peak RSS for this many services (core/cost/probe-sizing.ts),
      // the same figure the cost model bills.
      memorySize: probeMemoryMb(config.services.length),
      retryAttempts: 0,
      environment: {
        LIFEBOAT_PROBE_KEY_ID: props.probeKeyId,
        LIFEBOAT_KEY_PARAMETER_PREFIX: props.parameters.keyPrefix,
        LIFEBOAT_CHAIN_QUEUE_URL: this.chainQueue.queueUrl,
        LIFEBOAT_CHAIN_TABLE: this.claims.tableName,
      },
    });
    this.probe.role.addToPolicy(new PolicyStatement({
      actions: ['ssm:GetParameter'],
      resources: [parameterArn(this, `${props.parameters.keyPrefix}${props.probeKeyId}`)],
    }));
    this.probe.role.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.chainQueue.queueArn] }));
    this.probe.role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], resources: [this.claims.tableArn] }));
    // One message per invocation: each is one round slot.
    this.probe.fn.addEventSource(new SqsEventSource(this.chainQueue, { batchSize: 1 }));
    // Not the id 'Watchdog' nor 'Schedule': earlier releases' EventBridge rules hold those logical ids, and
    // CloudFormation refuses a type change under a logical id.
    oneMinuteSchedule(this, 'WatchdogSchedule', {
      // Named after the stack so `lifeboat doctor` finds it by the Lifeboat prefix (ListSchedules).
      name: `${this.stackName}-Watchdog`,
      description: `Lifeboat probe chain watchdog (rounds every ${intervalS} s; restarts a stopped chain)`,
      fn: this.probe.fn,
      input: WATCHDOG_EVENT,
    });
    const alarms = alarmTopic(this, 'Alarms', `Lifeboat alarms (probe ${this.region})`, props.config);
    this.probe.errorsAlarm.addAlarmAction(new SnsAction(alarms));
  }
}
