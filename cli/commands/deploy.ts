/**
 * `lifeboat deploy aws|cloudflare|all --config FILE`: deploys the user's own config, never the
 * local run's. The two clouds need each other's URL, and nothing is pasted:
 *  - the Worker's URL is chosen before any deploy: coordinators.cloudflare.url in the config
 *    (https://<name>.<account subdomain>.workers.dev/, or a custom domain the Worker is routed to);
 *  - the AWS coordinator's URL comes from `cdk deploy --outputs-file` (the AWS probe stacks get it
 *    themselves, infra/coordinator-url.ts), and is bundled into the Worker when it is built.
 * The Worker build goes to a folder of its own (.lifeboat/build/worker/): a wrangler config made
 * from workers/wrangler.jsonc with `lifeboat-config` aliased to the checked, resolved config.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { ConfigurationError } from '#core/errors.ts';
import { checkWorkerDeployable, DeployConfigError, loadDeployConfig } from '../../infra/config.ts';
import { EXIT, UsageError, type CliIo, type Command } from '../io.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKERS = resolve(REPO_ROOT, 'workers');
export const DEFAULT_BUILD_DIR = '.lifeboat/build/worker';
export const DEFAULT_OUTPUTS_FILE = '.lifeboat/cdk-outputs.json';

/** Runs a program with the terminal attached; resolves its exit code. Tests pass a fake. */
export type Runner = (command: string, args: readonly string[], options: { cwd: string; env: Record<string, string | undefined> }) => Promise<number>;

export const spawnRunner: Runner = (command, args, options) => new Promise((done, fail) => {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: 'inherit' });
  child.on('error', fail);
  child.on('close', (code) => done(code ?? 1));
});

const HELP = `Usage: lifeboat deploy aws|cloudflare|all --config FILE [options]

Deploys your config (never the local run's lifeboat.config.ts, which is refused: the embedded
DNS server and loopback targets cannot deploy). In one go, nothing pasted by hand:

  aws          cdk deploy --all -c config=FILE --outputs-file ${DEFAULT_OUTPUTS_FILE}: the control
               stack, then every probe region (each learns the coordinator URL in its own region)
  cloudflare   writes the Worker build into ${DEFAULT_BUILD_DIR}/ (wrangler.json with your config
               bundled, the AWS coordinator URL read from ${DEFAULT_OUTPUTS_FILE}) and runs
               wrangler deploy there
  all          aws, then cloudflare

The Worker's own URL is coordinators.cloudflare.url in the config, chosen before deploying:
https://<name>.<your workers.dev subdomain>.workers.dev/ (the Worker is named <name>), or any
https://host/ on a zone of your account (deployed as a custom domain of Worker "lifeboat").

  --config FILE          the config to deploy (required)
  --dry-run              aws: cdk synth; cloudflare: wrangler deploy --dry-run into BUILD/dist
  --aws-outputs FILE     cdk outputs file to read the AWS coordinator URL from
                         (default ${DEFAULT_OUTPUTS_FILE}; else coordinators.aws.url)
  --out DIR              Worker build folder (default ${DEFAULT_BUILD_DIR})
  --home-region REGION   aws: the coordinator's region (default us-east-1)

Exit codes: 0 deployed (or built); 1 cdk or wrangler failed; 2 bad usage or a config that cannot deploy.`;

const OPTIONS = {
  config: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, 'aws-outputs': { type: 'string' },
  out: { type: 'string' }, 'home-region': { type: 'string' },
} as const;

interface Options {
  readonly configPath: string;
  readonly dryRun: boolean;
  readonly awsOutputs: string | undefined;
  readonly out: string;
  readonly homeRegion: string | undefined;
}

export function makeDeployCommand(run: Runner = spawnRunner): Command {
  return {
    name: 'deploy',
    summary: 'Deploy your config to AWS (CDK) and Cloudflare (wrangler)',
    help: HELP,
    async run(argv, io) {
      const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
      const [target, extra] = positionals;
      if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
      if (target !== 'aws' && target !== 'cloudflare' && target !== 'all') throw new UsageError('say what to deploy: aws, cloudflare or all');
      if (!values.config) throw new UsageError('--config: name the config file to deploy (e.g. --config my.config.ts)');
      const options: Options = {
        configPath: resolve(io.cwd, values.config), dryRun: values['dry-run'],
        awsOutputs: values['aws-outputs'] === undefined ? undefined : resolve(io.cwd, values['aws-outputs']),
        out: resolve(io.cwd, values.out ?? DEFAULT_BUILD_DIR), homeRegion: values['home-region'],
      };
      if (target === 'aws' || target === 'all') {
        const code = await deployAws(options, io, run);
        if (code !== EXIT.ok || target === 'aws') return code;
      }
      return deployCloudflare(options, io, run);
    },
  };
}

async function deployAws(options: Options, io: CliIo, run: Runner) {
  const outputs = options.awsOutputs ?? resolve(io.cwd, DEFAULT_OUTPUTS_FILE);
  // The CDK app checks the config itself (infra/config.ts) and prints its warnings.
  const args = options.dryRun
    ? ['synth', '--quiet', '-c', `config=${options.configPath}`]
    : ['deploy', '--all', '-c', `config=${options.configPath}`, '--outputs-file', outputs];
  if (options.homeRegion) args.push('-c', `homeRegion=${options.homeRegion}`);
  io.err(`lifeboat deploy: cdk ${args.join(' ')}`);
  const code = await run(resolve(REPO_ROOT, 'node_modules/.bin/cdk'), args, { cwd: REPO_ROOT, env: { ...io.env } });
  return code === 0 ? EXIT.ok : EXIT.failed;
}

async function deployCloudflare(options: Options, io: CliIo, run: Runner) {
  const built = await buildWorker(options, io);
  const configFile = resolve(options.out, 'wrangler.json');
  const args = ['deploy', '--config', configFile, ...(options.dryRun ? ['--dry-run', '--outdir', resolve(options.out, 'dist')] : [])];
  io.err(`lifeboat deploy: Worker "${built.name}" from ${relative(io.cwd, options.configPath) || options.configPath}, built in ${relative(io.cwd, options.out) || options.out}/`);
  const code = await run(resolve(REPO_ROOT, 'node_modules/.bin/wrangler'), args, { cwd: options.out, env: { ...io.env, WRANGLER_SEND_METRICS: io.env.WRANGLER_SEND_METRICS ?? 'false' } });
  if (code !== 0) return EXIT.failed;
  if (!options.dryRun) io.out(`Deployed. Secrets go to this Worker: npx wrangler secret put <NAME> --config ${configFile}`);
  return EXIT.ok;
}

/** Where the Worker will answer, from coordinators.cloudflare.url: its name and how it is reached. */
export interface WorkerPlacement {
  readonly name: string;
  readonly workersDev: boolean;
  readonly routes?: readonly { pattern: string; custom_domain: true }[];
}

export function workerPlacement(url: string | undefined): WorkerPlacement {
  if (url === undefined) return { name: 'lifeboat', workersDev: true };
  const u = new URL(url);
  const field = 'coordinators.cloudflare.url';
  if (u.protocol !== 'https:') throw new DeployConfigError(field, `${url}: a deployed Worker is reached over https`);
  if (u.pathname !== '/' || u.search) throw new DeployConfigError(field, `${url}: the Worker serves the whole host; give no path`);
  const labels = u.hostname.split('.');
  if (u.hostname.endsWith('.workers.dev')) {
    if (labels.length !== 4) throw new DeployConfigError(field, `${url}: a workers.dev URL is https://<worker name>.<your account subdomain>.workers.dev/`);
    return { name: labels[0]!, workersDev: true };
  }
  return { name: 'lifeboat', workersDev: false, routes: [{ pattern: u.hostname, custom_domain: true }] };
}

/** The AWS coordinator's URL from a `cdk deploy --outputs-file` file (LifeboatControl.CoordinatorUrl). */
export function coordinatorUrlFromOutputs(outputs: unknown, file: string): string {
  const stacks = (outputs && typeof outputs === 'object' ? outputs : {}) as Record<string, Record<string, unknown> | undefined>;
  const url = stacks.LifeboatControl?.CoordinatorUrl;
  if (typeof url !== 'string' || !url.startsWith('https://')) throw new ConfigurationError(`${file}: no LifeboatControl.CoordinatorUrl in it (is it the --outputs-file of "cdk deploy --all"?)`);
  return url;
}

async function awsCoordinatorUrl(options: Options, config: LifeboatConfig, io: CliIo): Promise<string | undefined> {
  const file = options.awsOutputs ?? resolve(io.cwd, DEFAULT_OUTPUTS_FILE);
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new ConfigurationError(`${file}: not JSON (${(err as Error).message})`);
    }
    return coordinatorUrlFromOutputs(parsed, file);
  }
  if (options.awsOutputs) throw new UsageError(`--aws-outputs: ${file} does not exist (run lifeboat deploy aws first)`);
  return config.coordinators.aws?.url;
}

/** Checks the config for the Worker and writes the build folder; does not run wrangler. */
export async function buildWorker(options: Options, io: CliIo): Promise<WorkerPlacement> {
  let loaded;
  try {
    loaded = await loadDeployConfig(options.configPath, io.cwd, checkWorkerDeployable);
  } catch (err) {
    if (err instanceof ConfigurationError) throw new UsageError(err.message);
    throw err;
  }
  for (const w of loaded.warnings) io.err(`warning: ${w.path}: ${w.message}`);
  const { config } = loaded;
  const awsUrl = await awsCoordinatorUrl(options, config, io);
  if (awsUrl === undefined && config.vantagePoints.aws.length > 0) {
    const why = `coordinators.aws.url: unknown, so the Worker would not post to the AWS coordinator; run "lifeboat deploy aws" first (it writes ${DEFAULT_OUTPUTS_FILE}) or pass --aws-outputs`;
    if (!options.dryRun) throw new UsageError(why);
    io.err(`warning: ${why}`);
  }
  if (config.coordinators.cloudflare === undefined && !options.dryRun) {
    throw new UsageError('coordinators.cloudflare.url: say where the Worker will answer, e.g. https://lifeboat.<your subdomain>.workers.dev/ (the AWS probes post there)');
  }
  let placement: WorkerPlacement;
  try {
    placement = workerPlacement(config.coordinators.cloudflare?.url);
  } catch (err) {
    if (err instanceof DeployConfigError) throw new UsageError(err.message);
    throw err;
  }
  const resolved: LifeboatConfig = awsUrl ? { ...config, coordinators: { ...config.coordinators, aws: { url: awsUrl } } } : config;

  const base = JSON.parse((await readFile(resolve(WORKERS, 'wrangler.jsonc'), 'utf8')).replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown> & { alias: Record<string, string> };
  const wrangler: Record<string, unknown> = {
    ...base,
    name: placement.name,
    main: resolve(WORKERS, String(base.main)),
    workers_dev: placement.workersDev,
    ...(placement.routes ? { routes: placement.routes } : {}),
    alias: Object.fromEntries(Object.entries(base.alias).map(([k, v]) => [k, k === 'lifeboat-config' ? resolve(options.out, 'lifeboat-config.json') : resolve(WORKERS, v)])),
  };
  delete wrangler.$schema;
  await mkdir(options.out, { recursive: true });
  await writeFile(resolve(options.out, 'lifeboat-config.json'), `${JSON.stringify(resolved, null, 2)}\n`);
  await writeFile(resolve(options.out, 'wrangler.json'), `${JSON.stringify(wrangler, null, 2)}\n`);
  return placement;
}

export const deployCommand = makeDeployCommand();
