/**
 * Alerting on the AWS side (issue 14): every SNS topic refuses anything but TLS and delivers to
 * the config's `alerts` (email, https); the coordinator's metrics (core/notify/metrics.ts, written
 * as EMF by functions/emf.ts) get alarms for a failing DNS write, a silent vantage point and an
 * unhealthy peer coordinator; and the function URL gets reserved concurrency sized so honest
 * traffic always fits (reservedConcurrency below argues the number).
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { vantagePointsOf } from '#core/config/validate.ts';
import { COORDINATOR_DIMENSION, METRIC_NAMESPACE, METRICS } from '../../functions/emf.ts';
import type { LifeboatFunction } from './lifeboat-function.ts';

/** A topic that denies every non-TLS publish or subscribe, subscribed to the config's `alerts`. */
export function alarmTopic(scope: Construct, id: string, displayName: string, config: LifeboatConfig): Topic {
  const topic = new Topic(scope, id, { displayName, enforceSSL: false });
  topic.addToResourcePolicy(new PolicyStatement({
    sid: 'DenyInsecureTransport', effect: Effect.DENY, principals: [new AnyPrincipal()],
    actions: ['sns:Publish', 'sns:Subscribe', 'sns:Receive'], resources: [topic.topicArn],
    conditions: { Bool: { 'aws:SecureTransport': 'false' } },
  }));
  for (const email of config.alerts?.email ?? []) topic.addSubscription(new EmailSubscription(email));
  for (const url of config.alerts?.https ?? []) topic.addSubscription(new UrlSubscription(url));
  return topic;
}

/** Operators making calls at the same moment that the budget keeps room for. */
export const OPERATOR_CALLS = 4;

/**
 * Reserved concurrency for the coordinator: the honest peak doubled, at least 10. The honest peak
 * is every vantage point posting in the same slot (rounds are slot-aligned), each request lasting
 * up to the function timeout (a DNS flip with its retries), so posts of ceil(timeout / interval)
 * rounds can overlap; plus the tick, the Cloudflare coordinator's peer check and a few operators.
 * A refusal costs milliseconds and no I/O, so a flood has to be hundreds of requests a second to
 * fill the other half; the cap is what bounds the bill when it does.
 */
export function reservedConcurrency(config: LifeboatConfig, timeoutSeconds: number): number {
  const overlap = Math.ceil(timeoutSeconds / config.probing.intervalSeconds);
  const honest = vantagePointsOf(config).length * overlap + 1 /* tick */ + 1 /* peer check */ + OPERATOR_CALLS;
  return Math.max(10, 2 * honest);
}

export interface CoordinatorAlertingProps {
  readonly config: LifeboatConfig;
  readonly coordinator: LifeboatFunction;
  readonly timeoutSeconds: number;
  readonly topic: Topic;
  /** Minutes of silence before a vantage point's alarm. */
  readonly silentMinutes: number;
}

export class CoordinatorAlerting extends Construct {
  readonly flipFailures: Alarm;
  readonly peerUnhealthy: Alarm;
  readonly silentVantagePoints: Alarm[];
  readonly reservedConcurrency: number;

  constructor(scope: Construct, id: string, props: CoordinatorAlertingProps) {
    super(scope, id);
    const { config, topic } = props;
    const metric = (name: string, dims: Record<string, string> = {}) => new Metric({
      namespace: METRIC_NAMESPACE, metricName: name, dimensionsMap: { [COORDINATOR_DIMENSION]: 'aws', ...dims }, statistic: 'Sum', period: Duration.minutes(1),
    });
    const action = new SnsAction(topic);

    this.flipFailures = new Alarm(this, 'FlipFailures', {
      alarmDescription: 'A DNS write of a decided failover failed (wrong hosted zone, IAM denial, expired token): DNS may still point at the dead target. See /v1/status alerts ("DNS write failing since ...").',
      metric: metric(METRICS.flipsFailed), threshold: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1, treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.peerUnhealthy = new Alarm(this, 'PeerUnhealthy', {
      alarmDescription: 'The Cloudflare coordinator was unreachable, stale or disagreed at two peer checks in a row.',
      metric: metric(METRICS.peerUnhealthy), threshold: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 2, datapointsToAlarm: 2, treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // One alarm per vantage point: a single region going silent shows, not only all of them.
    this.silentVantagePoints = vantagePointsOf(config).map((vp) => new Alarm(this, `Silent-${vp.replace(/[^A-Za-z0-9]/g, '-')}`, {
      alarmDescription: `Vantage point ${vp} has posted no observations to the AWS coordinator for ${props.silentMinutes} minutes`,
      metric: metric(METRICS.observationBatches, { VantagePoint: vp }), threshold: 1, comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: props.silentMinutes, datapointsToAlarm: props.silentMinutes, treatMissingData: TreatMissingData.BREACHING,
    }));
    for (const a of [this.flipFailures, this.peerUnhealthy, ...this.silentVantagePoints]) a.addAlarmAction(action);

    this.reservedConcurrency = reservedConcurrency(config, props.timeoutSeconds);
    (props.coordinator.fn.node.defaultChild as CfnFunction).reservedConcurrentExecutions = this.reservedConcurrency;
  }
}
