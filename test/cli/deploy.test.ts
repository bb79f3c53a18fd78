/**
 * `lifeboat deploy`: the Worker is built from the config named on the command line (a real
 * `wrangler deploy --dry-run` of the production example), the local run's config is refused, the
 * AWS coordinator URL comes from the cdk outputs file, and `deploy aws` runs cdk in one go.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { makeDeployCommand, spawnRunner, workerPlacement, type Runner } from '../../cli/commands/deploy.ts';
import { DeployConfigError } from '../../infra/config.ts';
import { fakeIo } from './fake-io.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'lifeboat-deploy-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** Records the programs a command would run; answers with `code`. */
function fakeRunner(code = 0) {
  const calls: { command: string; args: readonly string[]; cwd: string }[] = [];
  const run: Runner = async (command, args, { cwd }) => { calls.push({ command, args, cwd }); return code; };
  return { calls, run };
}

const jsonc = (path: string) => JSON.parse(readFileSync(path, 'utf8').replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown>;

describe('lifeboat deploy cloudflare --dry-run with the production example (real wrangler)', () => {
  let out: string;
  let bundle: string;
  let code: number;
  let stderr: string;
  beforeAll(async () => {
    out = join(tmp(), 'build');
    const io = fakeIo(ROOT, { ...process.env, CI: '1' });
    code = await makeDeployCommand(spawnRunner).run(['cloudflare', '--config', 'examples/production.config.ts', '--dry-run', '--out', out, '--aws-outputs', writeOutputs('https://prodcoordinator.lambda-url.us-east-1.on.aws/')], io);
    stderr = io.stderr.join('\n');
    bundle = readFileSync(join(out, 'dist', 'index.js'), 'utf8');
  }, 180_000);

  it('bundles the production example, not the local run config', () => {
    expect(code, stderr).toBe(0);
    for (const name of ['app.example.com', 'pay.example.com', 'mqtt.example.com', 'probe-cf-2026-11', 'prodcoordinator.lambda-url']) expect(bundle).toContain(name);
    expect(bundle).not.toContain('app.lifeboat.test');
    expect(bundle).not.toContain('local-probe');
    expect(bundle).not.toContain('no Lifeboat config bundled');
  });

  it('names the Worker after coordinators.cloudflare.url and keeps the Durable Object classes and migrations', () => {
    const built = JSON.parse(readFileSync(join(out, 'wrangler.json'), 'utf8')) as Record<string, unknown>;
    const tracked = jsonc(join(ROOT, 'workers/wrangler.jsonc'));
    expect(built.name).toBe('lifeboat');
    expect(built.workers_dev).toBe(true);
    expect(built.migrations).toEqual(tracked.migrations);
    expect(built.migrations).toEqual([{ tag: 'v1', new_sqlite_classes: ['Prober', 'CoordinatorObject'] }]);
    expect(built.durable_objects).toEqual(tracked.durable_objects);
    expect(bundle).toMatch(/class Prober\b|Prober as Prober|as Prober\b/);
    expect(bundle).toMatch(/CoordinatorObject/);
  });
});

function writeOutputs(url: string): string {
  const file = join(tmp(), 'cdk-outputs.json');
  writeFileSync(file, JSON.stringify({ LifeboatControl: { CoordinatorUrl: url, TableName: 'LifeboatStateTable' }, 'LifeboatProbe-eu-west-1': {} }));
  return file;
}

describe('lifeboat deploy cloudflare', () => {
  it('refuses the local run config, naming the field, and runs nothing', async () => {
    const { calls, run } = fakeRunner();
    const io = fakeIo(ROOT);
    const code = await main(['deploy', 'cloudflare', '--config', 'lifeboat.config.ts', '--dry-run', '--out', join(tmp(), 'b')], io).catch(() => -1);
    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/services\[0\]\.dns\[0\]\.provider: the embedded DNS server exists only in the local run/);
    const direct = await makeDeployCommand(run).run(['cloudflare', '--config', 'lifeboat.config.ts', '--dry-run', '--out', join(tmp(), 'b')], fakeIo(ROOT)).catch((e: Error) => e);
    expect(direct).toBeInstanceOf(Error);
    expect(calls).toEqual([]);
  });

  it('refuses a loopback target in an otherwise deployable config', async () => {
    const dir = tmp();
    const prod = readFileSync(join(ROOT, 'examples/production.config.json'), 'utf8').replace('https://pangyo.origin.example.com', 'http://127.0.0.1:8080');
    writeFileSync(join(dir, 'c.json'), prod);
    const { calls, run } = fakeRunner();
    await expect(makeDeployCommand(run).run(['cloudflare', '--config', join(dir, 'c.json'), '--dry-run', '--out', join(dir, 'b')], fakeIo(dir)))
      .rejects.toThrow(/^services\[0\]\.primary\.url: http:\/\/127\.0\.0\.1:8080 is a loopback address/);
    expect(calls).toEqual([]);
  });

  it('bundles the AWS coordinator URL from the cdk outputs file and runs wrangler deploy in the build folder', async () => {
    const out = join(tmp(), 'b');
    const { calls, run } = fakeRunner();
    const code = await makeDeployCommand(run).run(['cloudflare', '--config', 'examples/production.config.ts', '--out', out, '--aws-outputs', writeOutputs('https://fromoutputs.lambda-url.us-east-1.on.aws/')], fakeIo(ROOT));
    expect(code).toBe(0);
    const bundled = JSON.parse(readFileSync(join(out, 'lifeboat-config.json'), 'utf8')) as { coordinators: Record<string, { url: string }> };
    expect(bundled.coordinators).toEqual({ aws: { url: 'https://fromoutputs.lambda-url.us-east-1.on.aws/' }, cloudflare: { url: 'https://lifeboat.example.workers.dev/' } });
    expect(calls).toEqual([{ command: join(ROOT, 'node_modules/.bin/wrangler'), args: ['deploy', '--config', join(out, 'wrangler.json')], cwd: out }]);
    const built = JSON.parse(readFileSync(join(out, 'wrangler.json'), 'utf8')) as { alias: Record<string, string>; main: string };
    expect(built.alias['lifeboat-config']).toBe(join(out, 'lifeboat-config.json'));
    expect(built.main).toBe(join(ROOT, 'workers/index.ts'));
  });

  it('refuses a real deploy that cannot know the AWS coordinator URL, naming coordinators.aws.url', async () => {
    const dir = tmp();
    const prod = JSON.parse(readFileSync(join(ROOT, 'examples/production.config.json'), 'utf8')) as { coordinators: Record<string, unknown> };
    delete prod.coordinators.aws;
    writeFileSync(join(dir, 'c.json'), JSON.stringify(prod));
    const { calls, run } = fakeRunner();
    await expect(makeDeployCommand(run).run(['cloudflare', '--config', join(dir, 'c.json'), '--out', join(dir, 'b')], fakeIo(dir)))
      .rejects.toThrow(/^coordinators\.aws\.url: unknown.*lifeboat deploy aws/);
    await expect(makeDeployCommand(run).run(['cloudflare', '--config', join(dir, 'c.json'), '--out', join(dir, 'b'), '--aws-outputs', join(dir, 'nope.json')], fakeIo(dir)))
      .rejects.toThrow(/^--aws-outputs: .*nope\.json does not exist/);
    expect(calls).toEqual([]);
  });

  it('places the Worker from coordinators.cloudflare.url: workers.dev name, or a custom domain', () => {
    expect(workerPlacement('https://failover.acme.workers.dev/')).toEqual({ name: 'failover', workersDev: true });
    expect(workerPlacement('https://lifeboat.acme.com/')).toEqual({ name: 'lifeboat', workersDev: false, routes: [{ pattern: 'lifeboat.acme.com', custom_domain: true }] });
    expect(() => workerPlacement('https://acme.workers.dev/')).toThrow(DeployConfigError);
    expect(() => workerPlacement('https://lifeboat.acme.com/api')).toThrow(/^coordinators\.cloudflare\.url: .*no path/);
    expect(() => workerPlacement('http://lifeboat.acme.com/')).toThrow(/https/);
  });
});

describe('lifeboat deploy aws / all', () => {
  it('runs cdk deploy --all with the config and the outputs file, then builds the Worker from those outputs', async () => {
    const dir = tmp();
    const outputs = join(dir, 'out.json');
    const calls: { command: string; args: readonly string[] }[] = [];
    // The fake cdk writes the outputs file, as `cdk deploy --outputs-file` does.
    const run: Runner = async (command, args) => {
      calls.push({ command, args });
      if (command.endsWith('/cdk')) writeFileSync(outputs, JSON.stringify({ LifeboatControl: { CoordinatorUrl: 'https://justdeployed.lambda-url.us-east-1.on.aws/' } }));
      return 0;
    };
    const code = await makeDeployCommand(run).run(['all', '--config', 'examples/production.config.ts', '--aws-outputs', outputs, '--out', join(dir, 'b'), '--home-region', 'eu-central-1'], fakeIo(ROOT));
    expect(code).toBe(0);
    expect(calls.map((c) => c.command.split('/').at(-1))).toEqual(['cdk', 'wrangler']);
    expect(calls[0]!.args).toEqual(['deploy', '--all', '-c', `config=${join(ROOT, 'examples/production.config.ts')}`, '--outputs-file', outputs, '-c', 'homeRegion=eu-central-1']);
    expect(readFileSync(join(dir, 'b', 'lifeboat-config.json'), 'utf8')).toContain('https://justdeployed.lambda-url.us-east-1.on.aws/');
  });

  it('stops after a failed cdk deploy, exit 1', async () => {
    const { calls, run } = fakeRunner(1);
    expect(await makeDeployCommand(run).run(['all', '--config', 'examples/production.config.ts', '--out', join(tmp(), 'b')], fakeIo(ROOT))).toBe(1);
    expect(calls).toHaveLength(1);
  });

  it('needs a target and --config', async () => {
    const { run } = fakeRunner();
    await expect(makeDeployCommand(run).run(['--config', 'x.ts'], fakeIo(ROOT))).rejects.toThrow(/aws, cloudflare or all/);
    await expect(makeDeployCommand(run).run(['aws'], fakeIo(ROOT))).rejects.toThrow(/^--config/);
  });
});

describe('lifeboat --version', () => {
  it('prints the version of package.json', async () => {
    const io = fakeIo(ROOT);
    expect(await main(['--version'], io)).toBe(0);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(io.stdout).toEqual([`lifeboat ${version}`]);
  });
});
