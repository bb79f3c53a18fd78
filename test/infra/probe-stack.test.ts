/**
 * CDK assertions on one region's probe stack: the chain's queue, claim table, event source and
 * watchdog schedule, and that the function can reach only its own region's queue and table.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parameterNames } from '../../infra/parameters.ts';
import { ProbeFleetStack } from '../../infra/stacks/probe-stack.ts';
import { testConfig } from '../functions/helpers.ts';

const OUTDIR = join(process.env.TMPDIR ?? '/tmp', `lifeboat-probe-stack-test-${process.pid}`);
afterAll(() => rmSync(OUTDIR, { recursive: true, force: true }));

let template: Template;
beforeAll(() => {
  const app = new App({ builtinCloudFormationValidation: false, outdir: OUTDIR });
  const config = testConfig({ probing: { intervalSeconds: 10, recheckDelayMs: 1_000, controlUrls: [] } });
  const stack = new ProbeFleetStack(app, 'LifeboatProbe-eu-west-1', {
    env: { region: 'eu-west-1', account: '123456789012' }, config, probeKeyId: 'probe-aws', parameters: parameterNames(),
  });
  template = Template.fromStack(stack);
}, 120_000);

const ref = (prefix: string) => ({ Ref: Match.stringLikeRegexp(`^${prefix}`) });
const arnOf = (prefix: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${prefix}`), 'Arn'] });

describe('probe stack: the chain', () => {
  it('has one encrypted standard queue whose visibility timeout covers the function timeout', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    const [queue] = Object.values(template.findResources('AWS::SQS::Queue'));
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(queue!.Properties.SqsManagedSseEnabled).toBe(true);
    expect(queue!.Properties.FifoQueue).toBeUndefined();
    expect(queue!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(fn!.Properties.Timeout as number);
    // Longer than any delay (one interval): a delayed hop is never expired before delivery.
    expect(queue!.Properties.MessageRetentionPeriod).toBeGreaterThan(900);
  });

  it('feeds the probe one message per invocation, and the function knows its queue and claim table', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1, EventSourceArn: arnOf('ChainQueue'), FunctionName: ref('ProbeFunction'),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x', Architectures: ['arm64'], // One service: 1.5 x the measured 105 MB peak RSS, in 64 MB steps (core/cost/probe-sizing.ts).
      MemorySize: 192,
      Environment: { Variables: Match.objectLike({ LIFEBOAT_CHAIN_QUEUE_URL: ref('ChainQueue'), LIFEBOAT_CHAIN_TABLE: ref('ChainClaims') }) },
    });
    // One round (2 x 1 s probe timeout + 1 s recheck + 2.5 s post timeout + 1 s slack) + 5 s, rounded up: no minute-long invocations.
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn!.Properties.Timeout).toBe(12);
  });

  it('keeps the slot claims in an on-demand table of its own, in its own region', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    });
  });

  it('runs the watchdog from EventBridge Scheduler once a minute with the watchdog input, no retries, no flexible window; no Events rule', () => {
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    // A logical id of its own: the previous releases' rules were `Schedule<hash>` and `Watchdog<hash>`,
    // and CloudFormation refuses to change a resource's type under its logical id.
    expect(Object.keys(template.findResources('AWS::Scheduler::Schedule'))).toEqual([expect.stringMatching(/^WatchdogSchedule[0-9A-F]{8}$/)]);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      // Named after its stack, so `lifeboat doctor` finds it by the Lifeboat prefix in this region.
      Name: 'LifeboatProbe-eu-west-1-Watchdog',
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: arnOf('ProbeFunction'),
        RoleArn: arnOf('SchedulerRoleForTarget'),
        Input: JSON.stringify({ lifeboat: 'watchdog' }),
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      }),
    });
    // Scheduler invokes through a role it alone may assume, allowed to invoke this function only.
    const roles = Object.entries(template.findResources('AWS::IAM::Role'))
      .filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'));
    expect(roles).toHaveLength(1);
    const [roleId, role] = roles[0]!;
    // Only schedules of this account, in this region's default group, may assume it.
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toMatch(/"aws:SourceAccount":"123456789012".*:scheduler:eu-west-1:123456789012:schedule-group\/default/);
    const invoke = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    expect(invoke.map((s) => s.Action)).toEqual(['lambda:InvokeFunction']);
    expect([invoke[0]!.Resource].flat()).toContainEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ProbeFunction/), 'Arn'] });
    // No resource policy for EventBridge rules remains.
    expect(JSON.stringify(template.findResources('AWS::Lambda::Permission'))).not.toContain('events.amazonaws.com');
  });

  it('lets the probe send only to its own queue and touch only its own claim item table', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const grants = (service: string) => statements.filter((s) => [s.Action].flat().some((a) => a.startsWith(`${service}:`)));
    const sqsSend = grants('sqs').filter((s) => [s.Action].flat().includes('sqs:SendMessage'));
    expect(sqsSend).toHaveLength(1);
    expect(sqsSend[0]!.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ChainQueue/), 'Arn'] });
    const dynamo = grants('dynamodb');
    expect(dynamo).toHaveLength(1);
    expect([dynamo[0]!.Action].flat().sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(dynamo[0]!.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ChainClaims/), 'Arn'] });
  });
});
