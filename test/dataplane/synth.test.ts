/**
 * The data-plane resources as synthesised (infra/constructs/data-plane.ts), the config rule for
 * data-plane mode, and the CDK's derivation of paths and tokens matching the coordinators'.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { verdictIds } from '#core/dns/data-plane.ts';
import { parameterNames } from '../../infra/parameters.ts';
import { ControlStack } from '../../infra/stacks/control-stack.ts';
import { verdictIdsSync } from '../../infra/constructs/data-plane.ts';
import { keyBytes, testConfigInput } from '../support/coordinators.ts';

const SECRET = 'a1'.repeat(32);
const ZONE = 'ZDATAPLANE0001';
const input = testConfigInput({ coordinators: { cloudflare: { url: 'https://lifeboat.example.workers.dev/' } } });
const dataPlaneInput = { ...input, services: input.services.map((s) => ({ ...s, mode: 'data-plane' as const, dns: [{ provider: 'route53' as const, hostedZoneId: ZONE, ttl: 60 }] })) };
const config: LifeboatConfig = loadConfig(dataPlaneInput);

const OUTDIR = join(process.env.TMPDIR ?? '/tmp', `lifeboat-dataplane-synth-${process.pid}`);
afterAll(() => rmSync(OUTDIR, { recursive: true, force: true }));

const synth = (cfg: LifeboatConfig, secret?: string) => {
  const app = new App({ builtinCloudFormationValidation: false, outdir: OUTDIR });
  return new ControlStack(app, 'LifeboatControl', { env: { region: 'us-east-1' }, config: cfg, parameters: parameterNames(), ...(secret ? { dataPlaneSecret: secret } : {}) });
};

let template: Template;
beforeAll(() => { template = Template.fromStack(synth(config, SECRET)); }, 120_000);

describe('data-plane resources', () => {
  it('one inverted HTTPS string-match check per coordinator, on the service\'s verdict path and token', async () => {
    const ids = await verdictIds(keyBytes(SECRET), 'app.example.com');
    const checks = template.findResources('AWS::Route53::HealthCheck', { Properties: { HealthCheckConfig: { Type: 'HTTPS_STR_MATCH' } } });
    const configs = Object.values(checks).map((r) => (r as { Properties: { HealthCheckConfig: Record<string, unknown> } }).Properties.HealthCheckConfig);
    expect(configs).toHaveLength(2);
    for (const c of configs) {
      expect(c).toMatchObject({ ResourcePath: ids.path, SearchString: ids.token, Inverted: true, Port: 443, RequestInterval: 10, FailureThreshold: 2, EnableSNI: true });
    }
    const hosts = configs.map((c) => c.FullyQualifiedDomainName);
    expect(hosts).toContain('lifeboat.example.workers.dev');
    // The AWS coordinator: the host part of the function URL, resolved at deploy time.
    expect(hosts.some((h) => typeof h === 'object' && JSON.stringify(h).includes('Fn::Select'))).toBe(true);
  });

  it('a calculated check needing every child healthy (two verdict pages, two memories), not inverted', () => {
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: { Type: 'CALCULATED', HealthThreshold: 4, Inverted: false, ChildHealthChecks: Match.arrayWith([Match.objectLike({ 'Fn::GetAtt': Match.anyValue() })]) },
    });
    const calc = Object.values(template.findResources('AWS::Route53::HealthCheck', { Properties: { HealthCheckConfig: { Type: 'CALCULATED' } } }));
    expect(calc).toHaveLength(1);
    const children = (calc[0] as { Properties: { HealthCheckConfig: { ChildHealthChecks: { 'Fn::GetAtt': [string, string] }[] } } }).Properties.HealthCheckConfig.ChildHealthChecks;
    expect(children).toHaveLength(4);
    // Every endpoint check and every memory check is a child, each once.
    const ids = Object.keys(template.findResources('AWS::Route53::HealthCheck', { Properties: { HealthCheckConfig: { Type: Match.stringLikeRegexp('^(HTTPS_STR_MATCH|CLOUDWATCH_METRIC)$') } } }));
    expect(children.map((c) => c['Fn::GetAtt'][0]).sort()).toEqual(ids.sort());
  });

  it('memory: per coordinator, an alarm on its published verdict (missing data -> INSUFFICIENT_DATA)', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'FailoverVerdict' } })).map((r) => (r as { Properties: Record<string, unknown> }).Properties);
    expect(alarms).toHaveLength(2);
    for (const coordinator of ['aws', 'cloudflare']) {
      const a = alarms.find((p) => JSON.stringify(p.Dimensions).includes(`"Value":"${coordinator}"`));
      expect(a).toMatchObject({
        Namespace: 'Lifeboat', MetricName: 'FailoverVerdict',
        Dimensions: [{ Name: 'Service', Value: 'app.example.com' }, { Name: 'Coordinator', Value: coordinator }],
        // Route 53 supports standard-resolution metrics and the basic statistics only.
        Statistic: 'Maximum', Period: 60, EvaluationPeriods: 1, DatapointsToAlarm: 1,
        Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'missing',
      });
      expect(a!.ActionsEnabled ?? false).toBe(false);
    }
  });

  it('memory: a CLOUDWATCH_METRIC check per alarm, keeping its last known status when the alarm has no data', () => {
    const checks = Object.values(template.findResources('AWS::Route53::HealthCheck', { Properties: { HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC' } } }))
      .map((r) => (r as { Properties: { HealthCheckConfig: Record<string, any> } }).Properties.HealthCheckConfig);
    expect(checks).toHaveLength(2);
    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'FailoverVerdict' } }));
    for (const c of checks) {
      expect(c).toMatchObject({ InsufficientDataHealthStatus: 'LastKnownStatus', Inverted: false, AlarmIdentifier: { Region: 'us-east-1' } });
      expect(alarmIds).toContain(c.AlarmIdentifier.Name.Ref);
    }
    expect(new Set(checks.map((c) => c.AlarmIdentifier.Name.Ref)).size).toBe(2);
  });

  it('PRIMARY failover record carries the calculated check; SECONDARY has no check', () => {
    const sets = Object.values(template.findResources('AWS::Route53::RecordSet')).map((r) => (r as { Properties: Record<string, unknown> }).Properties);
    expect(sets).toHaveLength(2);
    const primary = sets.find((s) => s.Failover === 'PRIMARY')!;
    const secondary = sets.find((s) => s.Failover === 'SECONDARY')!;
    expect(primary).toMatchObject({ HostedZoneId: ZONE, Name: 'app.example.com.', Type: 'A', TTL: '60', ResourceRecords: ['198.51.100.10'], SetIdentifier: 'lifeboat-primary' });
    expect(JSON.stringify(primary.HealthCheckId)).toContain('Calculated');
    expect(secondary).toMatchObject({ HostedZoneId: ZONE, Name: 'app.example.com.', Type: 'A', ResourceRecords: ['198.51.100.20'], SetIdentifier: 'lifeboat-secondary' });
    expect(secondary.HealthCheckId).toBeUndefined();
  });

  it('the coordinator Lambda holds the secret in its environment (no SSM read before a verdict)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ LIFEBOAT_DATA_PLANE_SECRET: SECRET }) } });
  });

  it('the CDK derives the same path and token as the coordinators', async () => {
    for (const name of ['app.example.com', 'Pay.Example.com.']) {
      const core = await verdictIds(keyBytes(SECRET), name);
      expect(verdictIdsSync(keyBytes(SECRET), name)).toEqual({ path: core.path, token: core.token });
    }
    const other = await verdictIds(keyBytes('b2'.repeat(32)), 'app.example.com');
    expect(other.path).not.toBe(verdictIdsSync(keyBytes(SECRET), 'app.example.com').path);
  });

  it('no data-plane resources for control-plane services', () => {
    const plain = loadConfig({ ...input, services: input.services.map((s) => ({ ...s, dns: [{ provider: 'route53' as const, hostedZoneId: ZONE, ttl: 60 }] })) });
    const t = Template.fromStack(synth(plain));
    t.resourceCountIs('AWS::Route53::HealthCheck', 0);
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(Object.keys(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'FailoverVerdict' } }))).toEqual([]);
  });
});

describe('data-plane refusals', () => {
  it('a missing or short deploy secret fails the synth, naming the variable', () => {
    const saved = process.env.LIFEBOAT_DATA_PLANE_SECRET;
    delete process.env.LIFEBOAT_DATA_PLANE_SECRET;
    try {
      expect(() => synth(config)).toThrow(/LIFEBOAT_DATA_PLANE_SECRET must be at least 32 bytes of hex.*not set/);
      expect(() => synth(config, 'abcd')).toThrow(/LIFEBOAT_DATA_PLANE_SECRET must be at least 32 bytes/);
    } finally {
      if (saved !== undefined) process.env.LIFEBOAT_DATA_PLANE_SECRET = saved;
    }
  });

  it('data-plane without the Cloudflare coordinator URL names coordinators.cloudflare.url', () => {
    const noCf = loadConfig({ ...dataPlaneInput, coordinators: {} });
    expect(() => synth(noCf, SECRET)).toThrow(/coordinators\.cloudflare\.url: data-plane services need/);
  });

  it('the config refuses data-plane mode on a zone that is not Route 53, naming the entry', () => {
    const result = parseConfig({ ...dataPlaneInput, services: dataPlaneInput.services.map((s) => ({ ...s, dns: [...s.dns, { provider: 'cloudflare', zoneId: '0'.repeat(32) }] })) });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([{ path: 'services[0].dns[1].provider', message: expect.stringMatching(/^mode "data-plane" works through Route 53 health checks only; cloudflare zones need mode "control-plane"/) }]);
    expect(parseConfig({ ...dataPlaneInput, services: dataPlaneInput.services.map((s) => ({ ...s, mode: 'dataplane' })) }).ok).toBe(false);
  });
});
