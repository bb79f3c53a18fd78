/**
 * Route 53 data-plane mode (docs/data-plane.md) as CloudFormation: per data-plane service, one
 * HTTPS string-match health check per coordinator on its verdict page (inverted: healthy while
 * the page does NOT say "fail over"), one calculated check needing ALL of them healthy, and
 * failover records: PRIMARY carrying the calculated check, SECONDARY with no check. During an
 * incident nothing here is called: Route 53's checkers read the coordinators' verdicts.
 */
import { createHmac } from 'node:crypto';
import { Fn, Stack, Token } from 'aws-cdk-lib';
import { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnHealthCheck, CfnRecordSet } from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { targetRecords } from '#core/dns/desired.ts';
import { parseDataPlaneSecret, VERDICT_PATH_PREFIX } from '#core/dns/data-plane.ts';
import { SERVICE_DIMENSION, VERDICT_METRIC } from '#core/dns/data-plane-memory.ts';
import { COORDINATOR_DIMENSION, METRIC_NAMESPACE } from '../../functions/emf.ts';
import { normaliseName } from '#core/model.ts';
import { DeployConfigError } from '../config.ts';

/** Route 53 allows 10 or 30 s; 10 s lets a verdict take effect in about 20-30 s. */
export const DATA_PLANE_REQUEST_INTERVAL = 10;
/** Two results in a row: one lost request does not move a child. */
export const DATA_PLANE_FAILURE_THRESHOLD = 2;
/** The AWS coordinator publishes each verdict once a tick (a minute): one period, one datapoint. */
export const VERDICT_ALARM_PERIOD_SECONDS = 60;

export interface DataPlaneProps {
  readonly config: LifeboatConfig;
  /** The deploy secret, hex (LIFEBOAT_DATA_PLANE_SECRET); the coordinators hold the same. */
  readonly secret: string;
  /** Base URL of each coordinator (the AWS one may be the function URL's token). */
  readonly coordinators: Readonly<Record<string, string>>;
}

/** Same derivation as core/dns/data-plane.ts verdictIds (held equal by test/dataplane/synth.test.ts). */
export function verdictIdsSync(secret: Uint8Array, service: string): { path: string; token: string } {
  const name = normaliseName(service);
  const mac = (label: string) => createHmac('sha256', secret).update(`lifeboat-data-plane/${label}\u0000${name}`).digest('hex');
  return { path: `${VERDICT_PATH_PREFIX}${mac('path')}`, token: `lifeboat-failover-${mac('token').slice(0, 32)}` };
}

/** `https://host[:port]/...` -> host and port; a token (the function URL) -> its host part. */
function endpointOf(url: string): { host: string; port: number } {
  if (Token.isUnresolved(url)) return { host: Fn.select(2, Fn.split('/', url)), port: 443 };
  const u = new URL(url);
  return { host: u.hostname, port: u.port ? Number(u.port) : 443 };
}

export class DataPlane extends Construct {
  constructor(scope: Construct, id: string, props: DataPlaneProps) {
    super(scope, id);
    const secret = parseDataPlaneSecret(props.secret);
    const coordinators = Object.entries(props.coordinators).sort(([a], [b]) => a.localeCompare(b));
    props.config.services.forEach((service, i) => {
      if (service.mode !== 'data-plane') return;
      const ids = verdictIdsSync(secret, service.name);
      const label = `S${i}`;
      const children = coordinators.map(([name, url]) => {
        const { host, port } = endpointOf(url);
        return new CfnHealthCheck(this, `${label}Verdict${name}`, {
          healthCheckConfig: {
            type: 'HTTPS_STR_MATCH',
            fullyQualifiedDomainName: host,
            port,
            resourcePath: ids.path,
            searchString: ids.token,
            // Healthy while the page does NOT say "fail over"; a coordinator that cannot be
            // reached, is slow, or redirects reads as "stay" and never moves DNS by itself.
            inverted: true,
            enableSni: true,
            requestInterval: DATA_PLANE_REQUEST_INTERVAL,
            failureThreshold: DATA_PLANE_FAILURE_THRESHOLD,
          },
          healthCheckTags: [{ key: 'Name', value: `lifeboat ${service.name} verdict of ${name}` }],
        });
      });
      const memories = coordinators.map(([name]) => this.memory(label, service.name, name));
      const all = [...children, ...memories];
      const calculated = new CfnHealthCheck(this, `${label}Calculated`, {
        healthCheckConfig: {
          type: 'CALCULATED',
          childHealthChecks: all.map((c) => c.attrHealthCheckId),
          // Every child must say "stay": either coordinator's failover verdict takes effect, from
          // its page while it answers and from its memory after it stops.
          healthThreshold: all.length,
          inverted: false,
        },
        healthCheckTags: [{ key: 'Name', value: `lifeboat ${service.name} primary` }],
      });
      service.dns.forEach((record, j) => {
        if (record.provider !== 'route53') {
          throw new DeployConfigError(`services[${i}].dns[${j}].provider`, 'mode "data-plane" works through Route 53 health checks only');
        }
        for (const role of ['primary', 'secondary'] as const) {
          for (const set of targetRecords(service.name, service[role], record.ttl)) {
            new CfnRecordSet(this, `${label}Z${j}${set.type}${role}`, {
              hostedZoneId: record.hostedZoneId,
              name: `${set.name}.`,
              type: set.type,
              ttl: String(set.ttl),
              resourceRecords: set.type === 'CNAME' ? set.values.map((v) => `${v}.`) : [...set.values],
              setIdentifier: `lifeboat-${role}`,
              failover: role === 'primary' ? 'PRIMARY' : 'SECONDARY',
              // No check on the SECONDARY: an unhealthy SECONDARY would make Route 53 answer the PRIMARY.
              ...(role === 'primary' ? { healthCheckId: calculated.attrHealthCheckId } : {}),
            });
          }
        }
      });
    });
  }

  /**
   * One coordinator's remembered verdict (core/dns/data-plane-memory.ts): an alarm on the metric
   * the AWS coordinator publishes each tick (1 = fail over) and a CLOUDWATCH_METRIC check on it.
   * OK -> healthy, ALARM -> unhealthy; when the publisher stops, the alarm has no data and
   * `LastKnownStatus` keeps the check where it was, so losing coordinators never moves DNS.
   */
  private memory(label: string, service: string, coordinator: string): CfnHealthCheck {
    const alarm = new CfnAlarm(this, `${label}Memory${coordinator}Alarm`, {
      alarmDescription: `lifeboat: ${service} failover verdict of ${coordinator} (1 = fail over), read by a Route 53 health check`,
      namespace: METRIC_NAMESPACE,
      metricName: VERDICT_METRIC,
      dimensions: [{ name: SERVICE_DIMENSION, value: normaliseName(service) }, { name: COORDINATOR_DIMENSION, value: coordinator }],
      // Route 53 accepts standard-resolution metrics with a basic statistic only.
      statistic: 'Maximum',
      period: VERDICT_ALARM_PERIOD_SECONDS,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      // A minute without a datapoint is INSUFFICIENT_DATA, never OK: the check keeps its last status.
      treatMissingData: 'missing',
      actionsEnabled: false,
    });
    return new CfnHealthCheck(this, `${label}Memory${coordinator}`, {
      healthCheckConfig: {
        type: 'CLOUDWATCH_METRIC',
        alarmIdentifier: { name: alarm.ref, region: Stack.of(this).region },
        insufficientDataHealthStatus: 'LastKnownStatus',
        inverted: false,
      },
      healthCheckTags: [{ key: 'Name', value: `lifeboat ${service} remembered verdict of ${coordinator}` }],
    });
  }
}

/** The coordinators Route 53 reads: the AWS function URL (or the config's), and the Worker's. */
export function dataPlaneCoordinators(config: LifeboatConfig, awsFunctionUrl: string): Record<string, string> {
  const cloudflare = config.coordinators.cloudflare?.url;
  if (!cloudflare) {
    throw new DeployConfigError('coordinators.cloudflare.url', 'data-plane services need the Cloudflare coordinator\'s URL: Route 53 reads the verdict of both coordinators (deploy the Worker first)');
  }
  return { aws: config.coordinators.aws?.url ?? awsFunctionUrl, cloudflare };
}
