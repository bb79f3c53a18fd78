/**
 * The production example synthesised the way `cdk deploy --all -c config=...` does, with the AWS
 * coordinator's URL left out of the config (a first deploy cannot know it):
 *  - one go: every probe stack gets the URL from SSM in its own region, refers to nothing in the
 *    home region, and deploys after the control stack that writes it;
 *  - upgrade in place: every stateful resource of v0.1 (fixtures/, main's synth before this
 *    change) keeps its logical id and the properties whose change makes CloudFormation replace it.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeployConfig } from '../../infra/config.ts';
import { buildLifeboat } from '../../infra/lifeboat.ts';
import { stripAssetHashes, type CfnTemplate } from './template-snapshot.ts';

const HOME = 'us-east-1';
const OUTDIR = join(process.env.TMPDIR ?? '/tmp', `lifeboat-cdk-prod-${process.pid}`);
afterAll(() => rmSync(OUTDIR, { recursive: true, force: true }));

let control: Stack;
let probes: Stack[];
let templates: Map<string, CfnTemplate>;

beforeAll(async () => {
  const { config } = await loadDeployConfig('examples/production.config.ts');
  const { aws: _pasted, ...coordinators } = config.coordinators;
  const app = new App({ builtinCloudFormationValidation: false, outdir: OUTDIR });
  const built = buildLifeboat(app, { config: { ...config, coordinators }, homeRegion: HOME });
  control = built.control;
  probes = built.probes;
  templates = new Map([control, ...probes].map((s) => [s.stackName, stripAssetHashes(Template.fromStack(s).toJSON())]));
}, 120_000);

const template = (name: string) => templates.get(name)!;
const URL_PARAMETER = '/lifeboat/coordinator-url/aws';

describe('one go: the probe stacks need no pasted value', () => {
  it('gives every probe its coordinator URL from an SSM parameter of its own region, resolved at deploy time', () => {
    for (const probe of probes) {
      const t = template(probe.stackName);
      const parameters = Object.entries(t.Parameters as Record<string, { Type: string; Default: string }>)
        .filter(([, p]) => p.Default === URL_PARAMETER);
      expect(parameters, probe.stackName).toHaveLength(1);
      const [logicalId, parameter] = parameters[0]!;
      // A CloudFormation SSM parameter type: read in the stack's own region when it deploys.
      expect(parameter.Type).toBe('AWS::SSM::Parameter::Value<String>');
      const fn = Object.values(t.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
      const env = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.LIFEBOAT_AWS_COORDINATOR_URL).toEqual({ Ref: logicalId });
      expect(JSON.stringify(t)).not.toMatch(/lambda-url/);
    }
  });

  it('refers to nothing in the home region or the control stack: no import, no foreign ARN, no home-region name', () => {
    for (const probe of probes) {
      const text = JSON.stringify(template(probe.stackName));
      expect(text).not.toContain('Fn::ImportValue');
      expect(text).not.toContain('LifeboatControl');
      expect(text).not.toContain('Fn::GetStackOutput');
      expect(text).toContain(`:ssm:${probe.region}:`);
      for (const region of [...text.matchAll(/\b(?:us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d\b/g)].map((m) => m[0])) expect(region, probe.stackName).toBe(probe.region);
    }
    expect(probes.filter((p) => p.region !== HOME).length).toBeGreaterThan(0);
  });

  it('deploys each probe stack after the control stack (order only: no reference crosses)', () => {
    for (const probe of probes) expect(probe.dependencies.map((d) => d.stackName)).toContain('LifeboatControl');
  });

  it('has the control stack write the URL into the parameter in every probe region, and allow only that', () => {
    const t = template('LifeboatControl');
    const writes = Object.values(t.Resources).filter((r) => r.Type === 'Custom::AWS');
    const calls = writes.map((r) => {
      const create = JSON.stringify(r.Properties!.Create);
      return { region: /\\"region\\":\\"([a-z0-9-]+)\\"/.exec(create)?.[1], create, update: JSON.stringify(r.Properties!.Update) };
    });
    expect(calls.map((c) => c.region).sort()).toEqual([...probes.map((p) => p.region)].sort());
    for (const c of calls) {
      expect(c.create).toContain('putParameter');
      expect(c.create).toContain(URL_PARAMETER);
      // The value is the function URL's attribute, so a changed URL is written again on update.
      expect(c.create).toContain('"FunctionUrl"');
      expect(c.update).toBe(c.create);
    }
    const policies = Object.values(t.Resources).filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r).includes('ssm:PutParameter'));
    const resources = policies.flatMap((p) => (p.Properties!.PolicyDocument as { Statement: { Resource: unknown }[] }).Statement.map((s) => JSON.stringify(s.Resource)));
    expect(resources).toHaveLength(probes.length);
    for (const probe of probes) expect(resources.some((r) => r.includes(`:ssm:${probe.region}:`) && r.includes(`parameter${URL_PARAMETER}`))).toBe(true);
  });

  it('outputs the URL for the Worker build (cdk deploy --outputs-file)', () => {
    expect(JSON.stringify((template('LifeboatControl').Outputs as Record<string, unknown>).CoordinatorUrl)).toContain('FunctionUrl');
  });
});

/** Properties whose change makes CloudFormation replace the resource (per the resource reference). */
const REPLACING: Record<string, readonly string[]> = {
  'AWS::DynamoDB::Table': ['TableName', 'KeySchema', 'LocalSecondaryIndexes'],
  'AWS::Lambda::Url': ['TargetFunctionArn', 'Qualifier'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::SNS::Topic': ['TopicName', 'FifoTopic'],
};

function previous(name: string): CfnTemplate {
  return JSON.parse(readFileSync(new URL(`./fixtures/v0.1-${name}.json`, import.meta.url), 'utf8')) as CfnTemplate;
}

describe('upgrade in place from v0.1', () => {
  for (const name of ['LifeboatControl', 'LifeboatProbe-ap-northeast-2']) {
    it(`${name}: every stateful resource keeps its logical id, its type and what would replace it`, () => {
      const old = previous(name);
      const now = template(name);
      const stateful = Object.entries(old.Resources).filter(([, r]) => r.Type in REPLACING);
      expect(stateful.length).toBeGreaterThan(0);
      for (const [id, was] of stateful) {
        const is = now.Resources[id];
        expect(is?.Type, `${name} ${id}`).toBe(was.Type);
        for (const prop of REPLACING[was.Type]!) expect(is!.Properties?.[prop], `${name} ${id}.${prop}`).toEqual(was.Properties?.[prop]);
        expect(is!.DeletionPolicy, `${name} ${id} DeletionPolicy`).toEqual(was.DeletionPolicy);
      }
    });
  }

  it('changes no resource\'s type under a kept logical id (CloudFormation refuses such an update: the EventBridge rules became Scheduler schedules under new ids)', () => {
    for (const name of ['LifeboatControl', 'LifeboatProbe-ap-northeast-2']) {
      const old = previous(name);
      const now = template(name);
      for (const [id, was] of Object.entries(old.Resources)) {
        if (now.Resources[id]) expect(now.Resources[id]!.Type, `${name} ${id}`).toBe(was.Type);
      }
      // The schedules replace the rules: created beside them, the rules then deleted.
      expect(Object.values(now.Resources).filter((r) => r.Type === 'AWS::Events::Rule'), name).toEqual([]);
      expect(Object.values(now.Resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule'), name).toHaveLength(1);
    }
  });

  it('LifeboatControl: the function URL still targets the same function, which keeps its logical id', () => {
    const old = previous('LifeboatControl');
    const now = template('LifeboatControl');
    const urls = Object.entries(old.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    for (const [id, url] of urls) {
      const target = (url.Properties!.TargetFunctionArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(now.Resources[id]?.Properties?.TargetFunctionArn).toEqual({ 'Fn::GetAtt': [target, 'Arn'] });
      expect(now.Resources[target]?.Type).toBe('AWS::Lambda::Function');
      expect(now.Resources[target]?.Properties?.FunctionName).toEqual(old.Resources[target]?.Properties?.FunctionName);
    }
  });

  it('LifeboatControl: the table keeps its retention, deletion protection and attribute types', () => {
    const was = previous('LifeboatControl').Resources.LifeboatStateTable!;
    const is = template('LifeboatControl').Resources.LifeboatStateTable!;
    expect(is.UpdateReplacePolicy).toBe('Retain');
    expect(is.Properties!.DeletionProtectionEnabled).toBe(true);
    expect(is.Properties!.AttributeDefinitions).toEqual(was.Properties!.AttributeDefinitions);
  });
});
