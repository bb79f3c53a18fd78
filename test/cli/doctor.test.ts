/**
 * `lifeboat doctor` against two loopback coordinators, a loopback AWS (SSM: awsJson1_1, CloudWatch:
 * awsJson1_0, EventBridge Scheduler: REST-JSON, answered in their wire formats to the real SDK clients
 * through AWS_ENDPOINT_URL_*; per region, read from the SigV4 credential scope) and a loopback Cloudflare
 * API: all well first, then each piece broken in turn, each time one FAIL line naming it and its fix.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { startPair, testConfigInput, type Pair } from '../support/coordinators.ts';
import { fakeIo } from './fake-io.ts';

interface World {
  parameters: Set<string>;
  /** EventBridge Scheduler schedules per region, as ListSchedules returns them. */
  schedules: Record<string, { Name: string; State: 'ENABLED' | 'DISABLED'; GroupName?: string }[]>;
  /** A region whose ListSchedules the caller may not call. */
  schedulesDeniedIn?: string;
  alarms: { AlarmName: string; StateValue: string; StateUpdatedTimestamp: number; StateReason?: string }[];
  workerSecrets: string[];
  requests: string[];
}

const read = (req: IncomingMessage) => new Promise<string>((resolve) => { let b = ''; req.on('data', (c) => (b += c)); req.on('end', () => resolve(b)); });

interface Answer { status: number; type: string; body: unknown; headers?: Record<string, string> }

async function listen(handler: (req: IncomingMessage, body: string) => Answer): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    void read(req).then((body) => {
      const r = handler(req, body);
      res.writeHead(r.status, { 'content-type': r.type, ...r.headers }).end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const SCHEDULES_PAGE = 1;

/** ListSchedules, REST-JSON: GET /schedules?NamePrefix=…&NextToken=…, the error's name in X-Amzn-ErrorType. */
function listSchedules(world: World, region: string, url: URL): Answer {
  if (world.schedulesDeniedIn === region) {
    return { status: 403, type: 'application/json', headers: { 'x-amzn-errortype': 'AccessDeniedException' }, body: { Message: 'User is not authorized to perform: scheduler:ListSchedules' } };
  }
  // One schedule a page, so doctor must follow NextToken (AWS pages at up to 100, or fewer).
  const prefix = url.searchParams.get('NamePrefix') ?? '';
  const token = url.searchParams.get('NextToken');
  const matching = (world.schedules[region] ?? []).filter((s) => s.Name.startsWith(prefix));
  const from = token ? Number(token) : 0;
  const page = matching.slice(from, from + SCHEDULES_PAGE).map(({ GroupName = 'default', ...s }) => ({
    ...s, GroupName, Arn: `arn:aws:scheduler:${region}:123456789012:schedule/${GroupName}/${s.Name}`,
    Target: { Arn: `arn:aws:lambda:${region}:123456789012:function:${s.Name.replace(/-(Tick|Watchdog)$/, '-$1Function')}` },
    CreationDate: 1_764_000_000, LastModificationDate: 1_764_000_000,
  }));
  return { status: 200, type: 'application/json', body: { Schedules: page, ...(from + SCHEDULES_PAGE < matching.length ? { NextToken: String(from + SCHEDULES_PAGE) } : {}) } };
}

/** The three AWS APIs doctor reads, by their wire protocols. */
function awsHandler(world: World, region: string) {
  return (req: IncomingMessage, body: string) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    world.requests.push(`${req.method} ${req.url} ${target}`);
    if (target === 'AmazonSSM.GetParameter') {
      const { Name } = JSON.parse(body) as { Name: string };
      return world.parameters.has(Name)
        ? { status: 200, type: 'application/x-amz-json-1.1', body: { Parameter: { Name, Type: 'SecureString', Value: 'AQICAHh-ciphertext', Version: 1 } } }
        : { status: 400, type: 'application/x-amz-json-1.1', body: { __type: 'ParameterNotFound', message: '' } };
    }
    if (target.endsWith('.DescribeAlarms')) return { status: 200, type: 'application/x-amz-json-1.0', body: { MetricAlarms: world.alarms } };
    const url = new URL(req.url ?? '/', 'http://aws');
    if (!target && req.method === 'GET' && url.pathname === '/schedules') return listSchedules(world, region, url);
    return { status: 400, type: 'application/json', body: { __type: 'UnknownOperation', message: target || req.url } };
  };
}

let pair: Pair;
let world: World;
let servers: Server[];
let env: Record<string, string>;
let cwd: string;

beforeEach(async () => {
  pair = await startPair();
  const now = Date.now() / 1000;
  world = {
    parameters: new Set(['/lifeboat/keys/probe-test', '/lifeboat/keys/ops-alice'].flatMap((n) => ['us-east-1', 'eu-west-1', 'ap-northeast-2'].map((r) => `${r}${n}`))),
    schedules: {
      'us-east-1': [{ Name: 'LifeboatControl-Tick', State: 'ENABLED' }, { Name: 'LifeboatProbe-us-east-1-Watchdog', State: 'ENABLED' }],
      'eu-west-1': [{ Name: 'LifeboatProbe-eu-west-1-Watchdog', State: 'ENABLED' }],
      'ap-northeast-2': [{ Name: 'LifeboatProbe-ap-northeast-2-Watchdog', State: 'ENABLED' }, { Name: 'SomeoneElsesSchedule', State: 'DISABLED', GroupName: 'theirs' }],
    },
    // Present, so that restoring the snapshot between broken cases clears it.
    schedulesDeniedIn: undefined,
    alarms: [{ AlarmName: 'Lifeboat-flip-failing', StateValue: 'OK', StateUpdatedTimestamp: now - 3600 }],
    workerSecrets: ['LIFEBOAT_KEY_PROBE_TEST', 'LIFEBOAT_KEY_OPS_ALICE'],
    requests: [],
  };
  // SSM answers per region: the SDK signs for the region, so the fixture reads it from the credential scope.
  const aws = await listen((req, body) => {
    const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? '?';
    if (req.headers['x-amz-target'] === 'AmazonSSM.GetParameter') {
      const { Name } = JSON.parse(body) as { Name: string };
      return awsHandler({ ...world, parameters: new Set([...world.parameters].filter((p) => p.startsWith(region)).map((p) => p.slice(region.length))) }, region)(req, JSON.stringify({ Name }));
    }
    return awsHandler(world, region)(req, body);
  });
  const cf = await listen((req) => {
    const ok = req.headers.authorization === 'Bearer cf-token' && req.url === '/client/v4/accounts/acc123/workers/scripts/lifeboat/secrets';
    return ok
      ? { status: 200, type: 'application/json', body: { success: true, errors: [], result: world.workerSecrets.map((name) => ({ name, type: 'secret_text' })) } }
      : { status: 404, type: 'application/json', body: { success: false, errors: [{ code: 10007, message: 'This Worker does not exist on your account.' }] } };
  });
  servers = [aws.server, cf.server];
  cwd = mkdtempSync(join(tmpdir(), 'doctor-'));
  writeFileSync(join(cwd, 'lifeboat.config.json'), JSON.stringify(testConfigInput()));
  for (const [k, v] of Object.entries({ AWS_ENDPOINT_URL_SSM: aws.url, AWS_ENDPOINT_URL_CLOUDWATCH: aws.url, AWS_ENDPOINT_URL_SCHEDULER: aws.url, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'doctor-test-secret', AWS_REGION: 'us-east-1' })) vi.stubEnv(k, v);
  env = pair.env({ AWS_REGION: 'us-east-1', CLOUDFLARE_ACCOUNT_ID: 'acc123', CLOUDFLARE_API_TOKEN: 'cf-token', LIFEBOAT_CLOUDFLARE_API_URL: `${cf.url}/client/v4`, LIFEBOAT_CONFIG: join(cwd, 'lifeboat.config.json') });
});

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const s of servers) await new Promise((r) => s.close(r));
  await pair.close();
});

async function doctor(extraEnv: Record<string, string> = {}) {
  const io = fakeIo(cwd, { ...env, ...extraEnv });
  const code = await main(['doctor', '--zone-dir', join(cwd, 'zones')], io);
  const lines = io.stdout.join('\n').split('\n');
  return { code, lines, fails: lines.filter((l) => l.startsWith('FAIL')), text: io.text() };
}

describe('lifeboat doctor', () => {
  it('passes a healthy setup: every check ok, one line each, no secret printed', async () => {
    const r = await doctor();
    expect(r.fails, r.text).toEqual([]);
    expect(r.code).toBe(0);
    for (const expected of [
      /^ok   coordinator aws: GET \/healthz/, /^ok   coordinator cloudflare: signed GET \/v1\/status as ops-alice: accepted/,
      /^ok   dns app\.example\.com at embedded example\.com: readable; dry-run plan to primary: .*, to secondary: 1 change/,
      /^ok   ssm eu-west-1 \/lifeboat\/keys\/probe-test: present \(read by the probe in eu-west-1\)/, /^ok   ssm us-east-1 \/lifeboat\/keys\/ops-alice: present \(read by the coordinator\)/,
      /^ok   schedule us-east-1 LifeboatControl-Tick: ENABLED, invokes LifeboatControl-TickFunction \(the coordinator tick\)$/,
      /^ok   schedule us-east-1 LifeboatProbe-us-east-1-Watchdog: ENABLED, invokes LifeboatProbe-us-east-1-WatchdogFunction \(the probe chain watchdog\)$/,
      /^ok   schedule eu-west-1 LifeboatProbe-eu-west-1-Watchdog: ENABLED/, /^ok   schedule ap-northeast-2 LifeboatProbe-ap-northeast-2-Watchdog: ENABLED/, /^ok   alarm Lifeboat-flip-failing: OK/, /^ok   worker secret LIFEBOAT_KEY_OPS_ALICE: present/,
    ]) expect(r.lines.some((l) => expected.test(l)), `${expected}\n${r.text}`).toBe(true);
    expect(r.text).not.toMatch(/22222222|cf-token|doctor-test-secret|AQICAHh/);
  });

  it('finds each broken piece in turn, with its fix', async () => {
    const cases: [string, () => void, Record<string, string>, RegExp, RegExp][] = [
      ['probe key missing in one region', () => world.parameters.delete('eu-west-1/lifeboat/keys/probe-test'), {},
        /^FAIL ssm eu-west-1 \/lifeboat\/keys\/probe-test: missing \(the probe in eu-west-1 needs it\)/, /fix: aws ssm put-parameter --type SecureString --region eu-west-1 --name \/lifeboat\/keys\/probe-test/],
      ['watchdog disabled in one probe region', () => { world.schedules['eu-west-1']![0]!.State = 'DISABLED'; }, {},
        /^FAIL schedule eu-west-1 LifeboatProbe-eu-west-1-Watchdog: DISABLED: the probe chain watchdog in eu-west-1 does not run \(a stopped probe chain is not restarted\)$/,
        /^     fix: npx cdk deploy LifeboatProbe-eu-west-1 \(redeploying enables it as defined\), or aws scheduler update-schedule --region eu-west-1 --group-name default --name LifeboatProbe-eu-west-1-Watchdog --state ENABLED with its other settings as aws scheduler get-schedule shows them \(update-schedule replaces the whole schedule\)$/],
      ['coordinator tick disabled', () => { world.schedules['us-east-1']![0]!.State = 'DISABLED'; }, {},
        /^FAIL schedule us-east-1 LifeboatControl-Tick: DISABLED: the coordinator tick in us-east-1 does not run \(silence goes unnoticed, overrides do not expire, pending flips are not retried\)$/,
        /^     fix: npx cdk deploy LifeboatControl \(redeploying enables it as defined\), or aws scheduler update-schedule --region us-east-1 --group-name default --name LifeboatControl-Tick --state ENABLED with/],
      ['schedules not readable in one region', () => { world.schedulesDeniedIn = 'ap-northeast-2'; }, {},
        /^FAIL schedules ap-northeast-2: cannot list EventBridge Scheduler schedules: AccessDeniedException: User is not authorized to perform: scheduler:ListSchedules/, /fix: check your AWS credentials can scheduler:ListSchedules in ap-northeast-2/],
      ['alarm firing', () => { world.alarms[0]!.StateValue = 'ALARM'; world.alarms[0]!.StateReason = 'Threshold Crossed'; }, {}, /^FAIL alarm Lifeboat-flip-failing: in ALARM since .*Threshold Crossed/, /fix: /],
      ['worker secret missing', () => { world.workerSecrets = ['LIFEBOAT_KEY_OPS_ALICE']; }, {}, /^FAIL worker secret LIFEBOAT_KEY_PROBE_TEST: missing/, /fix: wrangler secret put LIFEBOAT_KEY_PROBE_TEST --name lifeboat/],
      ['operator key not accepted', () => {}, { LIFEBOAT_KEY_ID: 'ops-mallory' }, /^FAIL coordinator aws: signed GET \/v1\/status as ops-mallory: /, /fix: the coordinator does not accept key "ops-mallory"/],
      ['coordinator down', () => {}, { LIFEBOAT_COORDINATORS: `aws=${pair.aws.served.url},cloudflare=http://127.0.0.1:9` }, /^FAIL coordinator cloudflare: GET \/healthz: unreachable at http:\/\/127\.0\.0\.1:9/, /fix: check the URL in "coordinators"/],
      ['Worker not found', () => {}, { CLOUDFLARE_ACCOUNT_ID: 'other' }, /^FAIL worker lifeboat secrets: cannot list: This Worker does not exist on your account\./, /fix: deploy the Worker/],
    ];
    const snapshot = structuredClone({ ...world, parameters: [...world.parameters] });
    for (const [what, breakIt, extraEnv, line, fix] of cases) {
      Object.assign(world, structuredClone({ ...snapshot, parameters: new Set(snapshot.parameters) }));
      world.parameters = new Set(snapshot.parameters);
      breakIt();
      const r = await doctor(extraEnv);
      expect(r.code, `${what}\n${r.text}`).toBe(1);
      const i = r.lines.findIndex((l) => line.test(l));
      expect(i, `${what}\n${r.text}`).toBeGreaterThanOrEqual(0);
      expect(r.lines[i + 1], what).toMatch(fix);
    }
  }, 120_000);

  it('warns, without failing, when a region has no Lifeboat schedule or lacks the one it needs', async () => {
    world.schedules['ap-northeast-2'] = [];
    world.schedules['us-east-1'] = world.schedules['us-east-1']!.filter((r) => !r.Name.endsWith('Watchdog'));
    const r = await doctor();
    expect(r.fails, r.text).toEqual([]);
    expect(r.code).toBe(0);
    const at = (re: RegExp) => r.lines.findIndex((l) => re.test(l));
    const none = at(/^warn schedules ap-northeast-2: no EventBridge Scheduler schedule named Lifeboat\* in ap-northeast-2: the probe chain watchdog is not deployed there/);
    expect(none, r.text).toBeGreaterThanOrEqual(0);
    expect(r.lines[none + 1]).toMatch(/fix: deploy the stacks \(npx cdk deploy --all\), or pass --name-prefix with your schedules' prefix/);
    const lacking = at(/^warn schedules us-east-1: no probe chain watchdog schedule named Lifeboat\* in us-east-1$/);
    expect(lacking, r.text).toBeGreaterThanOrEqual(0);
    expect(r.lines[lacking + 1]).toMatch(/fix: deploy it \(npx cdk deploy LifeboatProbe-us-east-1\), or pass --name-prefix/);
    expect(at(/^ok   schedule us-east-1 LifeboatControl-Tick: ENABLED/), r.text).toBeGreaterThanOrEqual(0);
    // Every region was asked by the Lifeboat prefix, and no EventBridge rule API was called.
    expect(world.requests.filter((q) => q.startsWith('GET /schedules?')).every((q) => q.includes('NamePrefix=Lifeboat')), world.requests.join('\n')).toBe(true);
    expect(world.requests.some((q) => q.includes('AWSEvents.')), world.requests.join('\n')).toBe(false);
  });
});
