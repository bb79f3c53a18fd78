/**
 * CDK assertions on the synthesised AWS side. Synthesised once for the file, with real local
 * esbuild bundling (about a second); CloudFormation's built-in validation runs in `npm run synth`.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { checkDeployable, checkWorkerDeployable, DeployConfigError, isLoopbackHost, loadDeployConfig } from '../../infra/config.ts';
import { buildLifeboat } from '../../infra/lifeboat.ts';
import { TABLE_LOGICAL_ID } from '../../infra/stacks/control-stack.ts';
import { TICK_EVENT } from '../../functions/coordinator.ts';
import { testConfig } from '../functions/helpers.ts';

const REGIONS = ['ap-northeast-2', 'us-east-1', 'eu-west-1'];
const ZONES = ['ZTESTZONE0001', 'ZTESTZONE0002'];
const PUBLIC_KEY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEO0e4jbOyw8+sTRAKQXpzJxgsooSt36NT9fkylr4upxtY0p2aZJMqTIjZ4XFiJv09cAozA4GDZm+dy1/gEvoX3w==';

function config(): LifeboatConfig {
  const base = testConfig({ vantagePoints: { aws: REGIONS, cloudflare: ['apac'] }, coordinators: { aws: { url: 'https://abc.lambda-url.us-east-1.on.aws/' } } });
  const [svc] = base.services;
  return {
    ...base,
    // One ECDSA probe key per provider: the coordinator verifies with the public keys in the config.
    keys: [
      { id: 'probe-aws', scope: 'probe', speaksFor: ['aws'], publicKey: PUBLIC_KEY },
      { id: 'probe-cf', scope: 'probe', speaksFor: ['cloudflare'], publicKey: PUBLIC_KEY },
      ...base.keys.filter((k) => k.scope === 'operator'),
    ],
    services: [
      { ...svc!, dns: [{ provider: 'route53', hostedZoneId: ZONES[0]!, ttl: 60 }, { provider: 'cloudflare', zoneId: '0'.repeat(32), ttl: 60, proxied: false }] },
      { ...svc!, name: 'pay.example.com', dns: [{ provider: 'route53', hostedZoneId: ZONES[1]!, ttl: 60 }] },
    ],
  };
}

let control: Template;
let controlStack: Stack;
let probes: { region: string; template: Template }[];

const OUTDIR = join(process.env.TMPDIR ?? '/tmp', `lifeboat-cdk-test-${process.pid}`);
afterAll(() => rmSync(OUTDIR, { recursive: true, force: true }));

beforeAll(() => {
  const app = new App({ builtinCloudFormationValidation: false, outdir: OUTDIR });
  const built = buildLifeboat(app, { config: config(), homeRegion: 'us-east-1' });
  controlStack = built.control;
  control = Template.fromStack(built.control);
  probes = built.probes.map((s) => ({ region: s.region, template: Template.fromStack(s) }));
}, 120_000);

/** Resolves Fn::Join / Ref AWS::Partition etc. into a readable ARN string. */
function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) { const [sep, parts] = v['Fn::Join'] as [string, unknown[]]; return parts.map(flat).join(sep); }
  if (v.Ref) return `{${String(v.Ref)}}`;
  if (v['Fn::GetAtt']) return `{${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(value);
}

interface Statement { Action: string | string[]; Resource: unknown; Effect: string }
function statements(template: Template): Statement[] {
  const out: Statement[] = [];
  for (const p of Object.values(template.findResources('AWS::IAM::Policy'))) out.push(...(p.Properties.PolicyDocument.Statement as Statement[]));
  for (const r of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const p of (r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) out.push(...p.PolicyDocument.Statement);
  }
  return out;
}
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

describe('probe fleet', () => {
  it('has one stack per configured region, each in its region with a one-minute schedule on its probe', () => {
    expect(probes.map((p) => p.region).sort()).toEqual([...REGIONS].sort());
    for (const { region, template } of probes) {
      template.resourceCountIs('AWS::Lambda::Function', 1);
      // The one-minute schedule is now the probe chain's watchdog (test/infra/probe-stack.test.ts).
      template.resourceCountIs('AWS::Events::Rule', 0);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Name: `LifeboatProbe-${region}-Watchdog`,
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProbeFunction'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } }),
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler',
        Environment: { Variables: {
          LIFEBOAT_PROBE_KEY_ID: 'probe-aws', LIFEBOAT_KEY_PARAMETER_PREFIX: '/lifeboat/keys/',
          LIFEBOAT_CHAIN_QUEUE_URL: { Ref: Match.stringLikeRegexp('^ChainQueue') }, LIFEBOAT_CHAIN_TABLE: { Ref: Match.stringLikeRegexp('^ChainClaims') },
        } },
      });
    }
  });

  it('reads only its own signing key, in its own region', () => {
    for (const { region, template } of probes) {
      const ssm = statements(template).filter((s) => list(s.Action).includes('ssm:GetParameter'));
      expect(ssm).toHaveLength(1);
      expect(list(ssm[0]!.Resource).map(flat)).toEqual([`arn:{AWS::Partition}:ssm:${region}:{AWS::AccountId}:parameter/lifeboat/keys/probe-aws`]);
    }
  });
});

describe('control stack', () => {
  it('serves the coordinator on a function URL with AuthType NONE (the app checks LB1 signatures)', () => {
    control.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    control.hasOutput('CoordinatorUrl', {});
    // Named after its stack, so `lifeboat doctor` finds the tick by the Lifeboat prefix.
    control.resourceCountIs('AWS::Events::Rule', 0);
    control.resourceCountIs('AWS::Scheduler::Schedule', 1);
    // Not `Tick<hash>`, the previous releases' rule: CloudFormation refuses a type change under a logical id.
    expect(Object.keys(control.findResources('AWS::Scheduler::Schedule'))).toEqual([expect.stringMatching(/^TickSchedule[0-9A-F]{8}$/)]);
    control.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'LifeboatControl-Tick',
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CoordinatorFunction'), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SchedulerRoleForTarget'), 'Arn'] },
        // The coordinator tells a tick by its detail-type, as it did the Events rule's event.
        Input: JSON.stringify(TICK_EVENT),
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      }),
    });
    expect(JSON.parse(JSON.stringify(TICK_EVENT))['detail-type']).toBe('Scheduled Event');
    control.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x', Architectures: ['arm64'],
      Environment: { Variables: { LIFEBOAT_TABLE_NAME: { Ref: TABLE_LOGICAL_ID }, LIFEBOAT_KEY_PARAMETER_PREFIX: '/lifeboat/keys/', LIFEBOAT_CLOUDFLARE_TOKEN_PARAMETER: '/lifeboat/cloudflare-api-token' } },
    });
  });

  it('keeps state in one retained table with a fixed logical id, TTL and point-in-time recovery', () => {
    const tables = control.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toEqual([TABLE_LOGICAL_ID]);
    const table = tables[TABLE_LOGICAL_ID]!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('scopes Route 53 to the configured hosted zones and GetChange to change/*', () => {
    const r53 = statements(control).filter((s) => list(s.Action).some((a) => a.startsWith('route53:')));
    const zoneStmt = r53.find((s) => list(s.Action).includes('route53:ChangeResourceRecordSets'))!;
    expect(list(zoneStmt.Action).sort()).toEqual(['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets']);
    expect(list(zoneStmt.Resource).map(flat).sort()).toEqual(ZONES.map((z) => `arn:{AWS::Partition}:route53:::hostedzone/${z}`));
    const change = r53.find((s) => list(s.Action).includes('route53:GetChange'))!;
    expect(list(change.Resource).map(flat)).toEqual(['arn:{AWS::Partition}:route53:::change/*']);
  });

  it('reads exactly the HMAC (operator) keys and the Cloudflare token from SSM, no probe private key, and touches only its table', () => {
    const ssm = statements(control).filter((s) => list(s.Action).includes('ssm:GetParameter'));
    expect(ssm.flatMap((s) => list(s.Resource).map(flat)).sort()).toEqual([
      'arn:{AWS::Partition}:ssm:us-east-1:{AWS::AccountId}:parameter/lifeboat/cloudflare-api-token',
      'arn:{AWS::Partition}:ssm:us-east-1:{AWS::AccountId}:parameter/lifeboat/keys/ops-alice',
    ]);
    const dynamo = statements(control).filter((s) => list(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap((s) => list(s.Action)).sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    expect(dynamo.flatMap((s) => list(s.Resource).map(flat))).toEqual([`{${TABLE_LOGICAL_ID}.Arn}`]);
  });

  it('raises an alarm when no observations arrive for 3 minutes (missing data breaches)', () => {
    control.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Lifeboat', MetricName: 'ObservationBatches', Dimensions: [{ Name: 'Coordinator', Value: 'aws' }],
      Statistic: 'Sum', Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 1,
      ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching', AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
    });
  });

  it('embeds the validated config in the bundle, not in the environment, and leaves the AWS SDK out', () => {
    const fnResource = Object.values(control.findResources('AWS::Lambda::Function'))[0]!;
    expect(JSON.stringify(fnResource.Properties.Environment)).not.toContain('app.example.com');
    const asset = controlStack.node.findAll().map((c) => (c as { assetPath?: string }).assetPath).find((p): p is string => typeof p === 'string');
    const outdir = (controlStack.node.root as App).outdir;
    const code = readFileSync(join(outdir, asset!, 'index.js'), 'utf8');
    expect(code).toContain('pay.example.com');
    expect(code).toMatch(/require\("@aws-sdk\/client-dynamodb"\)/);
    expect(code.length).toBeLessThan(1_000_000);
  });
});

describe('every stack', () => {
  const all = () => [{ region: 'control', template: control }, ...probes];

  it('never grants a wildcard action or Resource "*", nor a managed policy', () => {
    for (const { template } of all()) {
      for (const s of statements(template)) {
        for (const action of list(s.Action)) {
          expect(action).not.toBe('*');
          expect(action, `wildcard action ${action}`).not.toMatch(/:\*$/);
        }
        for (const resource of list(s.Resource)) expect(flat(resource), `Resource * for ${String(s.Action)}`).not.toBe('*');
      }
      for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('keeps logs for a month in a log group per function, with an errors alarm per function', () => {
    for (const { template } of all()) {
      const groups = template.findResources('AWS::Logs::LogGroup');
      const fns = template.findResources('AWS::Lambda::Function');
      expect(Object.keys(groups)).toHaveLength(Object.keys(fns).length);
      for (const g of Object.values(groups)) expect(g.Properties.RetentionInDays).toBe(30);
      for (const f of Object.values(fns)) expect(f.Properties.LoggingConfig.LogGroup).toEqual({ Ref: expect.stringMatching(/Logs/) });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 1 });
    }
  });
});

describe('deploy config', () => {
  it('refuses the embedded DNS provider, which exists only locally', () => {
    const local = testConfig({ services: [{ ...testConfig().services[0]!, dns: [{ provider: 'embedded', ttl: 5 }] }] });
    expect(() => checkDeployable(local)).toThrow(DeployConfigError);
  });

  it.each([
    ['services[0].primary.url', (c: LifeboatConfig) => ({ ...c, services: [{ ...c.services[0]!, primary: { ...c.services[0]!.primary, url: 'http://127.0.0.1:8080' } }] })],
    ['services[0].secondary.a[0]', (c: LifeboatConfig) => ({ ...c, services: [{ ...c.services[0]!, secondary: { ...c.services[0]!.secondary, a: ['127.4.5.6'] } }] })],
    ['services[0].primary.aaaa[0]', (c: LifeboatConfig) => ({ ...c, services: [{ ...c.services[0]!, primary: { ...c.services[0]!.primary, aaaa: ['0:0:0:0:0:0:0:1'] } }] })],
    ['services[0].primary.url', (c: LifeboatConfig) => ({ ...c, services: [{ ...c.services[0]!, primary: { ...c.services[0]!.primary, url: 'http://app.localhost:3000' } }] })],
    ['coordinators.cloudflare.url', (c: LifeboatConfig) => ({ ...c, coordinators: { cloudflare: { url: 'http://[::1]:8787/' } } })],
    ['probing.controlUrls[0]', (c: LifeboatConfig) => ({ ...c, probing: { ...c.probing, controlUrls: ['http://localhost:9/'] } })],
  ])('refuses a loopback target at %s, on AWS and in the Worker build, naming the field', (field, broken) => {
    const base = config();
    const clean: LifeboatConfig = { ...base, services: base.services.map((s) => ({ ...s, primary: { url: 'https://a.example.com', a: ['203.0.113.1'] }, secondary: { url: 'https://b.example.com', a: ['198.51.100.1'] } })) };
    expect(checkDeployable(clean)).toBe(clean);
    expect(checkWorkerDeployable(clean)).toBe(clean);
    const bad = broken(clean);
    for (const check of [checkDeployable, checkWorkerDeployable]) {
      expect(() => check(bad)).toThrow(DeployConfigError);
      expect(() => check(bad)).toThrow(new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: .*loopback`));
    }
  });

  it('tells loopback hosts from look-alikes', () => {
    for (const h of ['127.0.0.1', '127.255.0.9', '::1', '[::1]', '0:0::1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST.', 'a.localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['128.0.0.1', '10.0.0.1', '::2', '::', '1::1', 'localhost.example.com', 'mylocalhost', '203.0.113.127']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('refuses the local run config: embedded DNS first', async () => {
    await expect(loadDeployConfig('lifeboat.config.ts')).rejects.toThrow(/services\[0\]\.dns\[0\]\.provider: the embedded DNS server/);
    await expect(loadDeployConfig('lifeboat.config.ts', process.cwd(), checkWorkerDeployable)).rejects.toThrow(DeployConfigError);
  });

  it('passes on the config warnings; the probe chain keeps intervals that do not divide a minute, so they warn nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-deploy-config-'));
    const { config: prod } = await loadDeployConfig('examples/production.config.ts');
    for (const intervalSeconds of [7, 45, 90, 300]) {
      writeFileSync(join(dir, 'c.json'), JSON.stringify({ ...prod, probing: { ...prod.probing, intervalSeconds } }));
      const { warnings } = await loadDeployConfig(join(dir, 'c.json'));
      expect(warnings.filter((w) => w.path === 'probing.intervalSeconds'), `${intervalSeconds} s`).toEqual([]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads and accepts the production example', async () => {
    const { config: prod } = await loadDeployConfig('examples/production.config.ts');
    expect(prod.vantagePoints.aws.length).toBeGreaterThan(0);
  });
});
