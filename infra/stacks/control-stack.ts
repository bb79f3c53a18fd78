/**
 * The AWS control plane in the home region: the coordinator Lambda behind a function URL (auth
 * NONE: every route but /healthz checks LB1 signatures itself), its one-minute tick, the state
 * table, least-privilege IAM, and alarms on errors and on silence from the vantage points.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, Table, type CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { COORDINATOR_DIMENSION, METRIC_NAMESPACE, METRICS } from '../../functions/emf.ts';
import { keyAlgorithm } from '#core/signing/keys.ts';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../../functions/dynamo/table.ts';
import { LifeboatFunction } from '../constructs/lifeboat-function.ts';
import { oneMinuteSchedule } from '../constructs/one-minute-schedule.ts';
import { TICK_EVENT } from '../../functions/coordinator.ts';
import { alarmTopic, CoordinatorAlerting } from '../constructs/alerting.ts';
import { DataPlane, dataPlaneCoordinators } from '../constructs/data-plane.ts';
import { DATA_PLANE_SECRET_ENV, parseDataPlaneSecret } from '#core/dns/data-plane.ts';
import { parameterArn, type ParameterNames } from '../parameters.ts';

/** Never change: CloudFormation would replace the table (the retained old one keeps the data, orphaned). */
export const TABLE_LOGICAL_ID = 'LifeboatStateTable';
/** Silence for this many one-minute periods raises the alarm (CloudWatch's finest standard period). */
export const SILENT_MINUTES = 3;
export const COORDINATOR_TIMEOUT_S = 30;

export interface ControlStackProps extends StackProps {
  readonly config: LifeboatConfig;
  readonly parameters: ParameterNames;
  /** Data-plane mode's deploy secret, hex; default the LIFEBOAT_DATA_PLANE_SECRET variable at synth. */
  readonly dataPlaneSecret?: string;
}

export class ControlStack extends Stack {
  readonly coordinator: LifeboatFunction;
  readonly table: Table;
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: ControlStackProps) {
    super(scope, id, props);
    const { config, parameters } = props;
    // Webhook URLs can hold secrets (Slack's do): those named by urlFromEnv live in SSM.
    const webhookSecrets = (config.notifications?.webhooks ?? []).flatMap((w) => (w.urlFromEnv ? [w.urlFromEnv] : []));
    const tsigSecrets = [...new Set(config.services.flatMap((s) => s.dns.flatMap((r) => (r.provider === 'rfc2136' ? [r.secretFrom] : []))))].sort();

    this.table = new Table(this, 'State', {
      partitionKey: { name: PARTITION_KEY, type: AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.table.node.defaultChild as CfnTable).overrideLogicalId(TABLE_LOGICAL_ID);

    const records = config.services.flatMap((s) => s.dns);
    const dataPlane = config.services.some((s) => s.mode === 'data-plane');
    const dataPlaneSecret = dataPlane ? (props.dataPlaneSecret ?? process.env[DATA_PLANE_SECRET_ENV]) : undefined;
    if (dataPlane) parseDataPlaneSecret(dataPlaneSecret); // a missing or short secret fails the synth, naming the variable
    const usesCloudflare = records.some((r) => r.provider === 'cloudflare');
    this.coordinator = new LifeboatFunction(this, 'Coordinator', {
      entry: 'functions/coordinator.ts',
      config,
      description: 'Lifeboat coordinator (aws)',
      // Covers a DNS flip with its bounded retries (at most 20 s per provider).
      timeout: Duration.seconds(COORDINATOR_TIMEOUT_S),
      memorySize: 512,
      retryAttempts: 0,
      environment: {
        LIFEBOAT_TABLE_NAME: this.table.tableName,
        LIFEBOAT_KEY_PARAMETER_PREFIX: parameters.keyPrefix,
        ...(usesCloudflare ? { LIFEBOAT_CLOUDFLARE_TOKEN_PARAMETER: parameters.cloudflareToken } : {}),
        ...(webhookSecrets.length ? { LIFEBOAT_WEBHOOK_PARAMETER_PREFIX: parameters.webhookPrefix } : {}),
        ...(tsigSecrets.length ? { LIFEBOAT_DNS_PARAMETER_PREFIX: parameters.dnsPrefix } : {}),
        // In memory from the first request: the verdict pages never wait on SSM (docs/data-plane.md).
        ...(dataPlaneSecret ? { [DATA_PLANE_SECRET_ENV]: dataPlaneSecret } : {}),
      },
    });
    const { role, fn } = this.coordinator;

    // Only what the stores call, on this table only.
    this.table.grant(role, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem');

    const zones = [...new Set(records.flatMap((r) => (r.provider === 'route53' ? [r.hostedZoneId] : [])))].sort();
    if (zones.length > 0) {
      role.addToPolicy(new PolicyStatement({
        actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
        resources: zones.map((id) => this.formatArn({ service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: id })),
      }));
      // Change ids are unknown in advance; `change/*` is the documented resource type of GetChange.
      role.addToPolicy(new PolicyStatement({
        actions: ['route53:GetChange'],
        resources: [this.formatArn({ service: 'route53', region: '', account: '', resource: 'change', resourceName: '*' })],
      }));
    }
    // SecureStrings under the AWS-managed key aws/ssm need no kms:Decrypt grant (its key policy allows use via SSM).
    role.addToPolicy(new PolicyStatement({
      actions: ['ssm:GetParameter'],
      resources: [
        // HMAC secrets only: an ECDSA probe key is verified with the public key in the bundled
        // config, so the coordinator can read no probe's private key.
        ...config.keys.filter((k) => keyAlgorithm(k) === 'hmac-sha256').map((k) => parameterArn(this, `${parameters.keyPrefix}${k.id}`)),
        ...(usesCloudflare ? [parameterArn(this, parameters.cloudflareToken)] : []),
        ...webhookSecrets.map((name) => parameterArn(this, `${parameters.webhookPrefix}${name}`)),
        ...tsigSecrets.map((name) => parameterArn(this, `${parameters.dnsPrefix}${name}`)),
      ],
    }));

    this.url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    if (dataPlaneSecret) new DataPlane(this, 'DataPlane', { config, secret: dataPlaneSecret, coordinators: dataPlaneCoordinators(config, this.url.url) });

    // Not the id 'Tick': earlier releases' EventBridge rule holds that logical id, and CloudFormation
    // refuses a type change under a logical id.
    oneMinuteSchedule(this, 'TickSchedule', {
      // Named after the stack so `lifeboat doctor` finds it by the Lifeboat prefix (ListSchedules).
      name: `${this.stackName}-Tick`,
      description: 'Lifeboat coordinator tick: notices silence, expires overrides, retries pending flips',
      fn,
      // Scheduler passes its input verbatim: this is how the handler tells a tick from a request.
      input: TICK_EVENT,
    });

    const alarms = alarmTopic(this, 'Alarms', 'Lifeboat alarms (control)', config);
    new CoordinatorAlerting(this, 'Alerting', { config, coordinator: this.coordinator, timeoutSeconds: COORDINATOR_TIMEOUT_S, topic: alarms, silentMinutes: SILENT_MINUTES });
    this.coordinator.errorsAlarm.addAlarmAction(new SnsAction(alarms));
    const silence = new Alarm(this, 'NoObservations', {
      alarmDescription: `No vantage point has posted observations to the AWS coordinator for ${SILENT_MINUTES} minutes: every probe region is down, or cannot sign or reach the function URL`,
      metric: new Metric({
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.observationBatches,
        dimensionsMap: { [COORDINATOR_DIMENSION]: 'aws' },
        statistic: 'Sum',
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: SILENT_MINUTES,
      datapointsToAlarm: SILENT_MINUTES,
      // No data IS the failure this alarm is for.
      treatMissingData: TreatMissingData.BREACHING,
    });
    silence.addAlarmAction(new SnsAction(alarms));

    new CfnOutput(this, 'CoordinatorUrl', { value: this.url.url, description: 'The AWS coordinator. Probe stacks read it from SSM in their own region (written at deploy time); lifeboat deploy cloudflare reads it from cdk-outputs.json' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topicArn, description: 'Subscribe the on-call here' });
  }
}
