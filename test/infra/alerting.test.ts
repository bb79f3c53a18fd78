/**
 * Issue 14, "alarms reach someone": every SNS topic (control and probe stacks) denies non-TLS
 * access and carries the config's email and HTTPS subscriptions; alarms on failed DNS writes, on
 * each vantage point going silent and on the peer coordinator; reserved concurrency on the
 * coordinator sized from the config.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { loadConfig } from '#core/config/validate.ts';
import { buildLifeboat } from '../../infra/lifeboat.ts';
import { reservedConcurrency } from '../../infra/constructs/alerting.ts';
import { testConfig } from '../functions/helpers.ts';

const PUBLIC_KEY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEO0e4jbOyw8+sTRAKQXpzJxgsooSt36NT9fkylr4upxtY0p2aZJMqTIjZ4XFiJv09cAozA4GDZm+dy1/gEvoX3w==';
const OUTDIR = join(process.env.TMPDIR ?? '/tmp', `lifeboat-cdk-alerting-${process.pid}`);
afterAll(() => rmSync(OUTDIR, { recursive: true, force: true }));

function config(): LifeboatConfig {
  const base = testConfig({ vantagePoints: { aws: ['us-east-1', 'eu-west-1'], cloudflare: ['apac', 'weur'] }, coordinators: { aws: { url: 'https://abc.lambda-url.us-east-1.on.aws/' } } });
  return {
    ...base,
    keys: [
      { id: 'probe-aws', scope: 'probe', speaksFor: ['aws'], publicKey: PUBLIC_KEY },
      { id: 'probe-cf', scope: 'probe', speaksFor: ['cloudflare'], publicKey: PUBLIC_KEY },
      ...base.keys.filter((k) => k.scope === 'operator'),
    ],
    alerts: { email: ['oncall@example.com'], https: ['https://pager.example.com/hook'], disagreeAfterMinutes: 5 },
  };
}

let control: Template;
let probes: Template[];
beforeAll(() => {
  const app = new App({ builtinCloudFormationValidation: false, outdir: OUTDIR });
  const built = buildLifeboat(app, { config: config(), homeRegion: 'us-east-1' });
  control = Template.fromStack(built.control);
  probes = built.probes.map((s) => Template.fromStack(s));
}, 120_000);

describe('alerting', () => {
  it('every topic, control and probe, has the config subscriptions and denies non-TLS access', () => {
    for (const t of [control, ...probes]) {
      const topics = Object.keys(t.findResources('AWS::SNS::Topic'));
      expect(topics.length).toBeGreaterThan(0);
      for (const id of topics) {
        t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: id } });
        t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', Endpoint: 'https://pager.example.com/hook', TopicArn: { Ref: id } });
        t.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [{ Ref: id }],
          PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
        });
      }
    }
  });

  it('alarms on a failed DNS write, on the peer coordinator and on each vantage point going silent', () => {
    control.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FlipsFailed', Namespace: 'Lifeboat', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: Match.anyValue() });
    control.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'PeerUnhealthy', AlarmActions: Match.anyValue() });
    for (const vp of ['aws:us-east-1', 'aws:eu-west-1', 'cloudflare:apac', 'cloudflare:weur']) {
      control.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ObservationBatches', TreatMissingData: 'breaching', AlarmActions: Match.anyValue(),
        Dimensions: Match.arrayWith([{ Name: 'VantagePoint', Value: vp }]),
      });
    }
  });

  it('reserves concurrency for the coordinator: twice the honest peak, derived from the config', () => {
    const cfg = config();
    // 4 vantage points x ceil(30 s / interval) overlapping rounds + tick + peer check + 4 operators, doubled.
    const expected = 2 * (4 * Math.ceil(30 / cfg.probing.intervalSeconds) + 1 + 1 + 4);
    expect(reservedConcurrency(cfg, 30)).toBe(Math.max(10, expected));
    control.hasResourceProperties('AWS::Lambda::Function', { Description: 'Lifeboat coordinator (aws)', ReservedConcurrentExecutions: Math.max(10, expected) });
    // Small configs still get room for bursts.
    expect(reservedConcurrency(loadConfig({ ...cfg, probing: { intervalSeconds: 60, recheckDelayMs: 1000, controlUrls: [] } } as never), 30)).toBeGreaterThanOrEqual(10);
  });
});
