import { parseArgs } from 'node:util';
import { requireConfig } from '../config-file.ts';
import { CALLER_FLAGS, CREDENTIALS_HELP, callerFrom, type CallOptions } from '../coordinator-client.ts';
import { EXIT, UsageError, type CliIo, type Command } from '../io.ts';
import { resolveZoneDir } from '../local/embedded-zones.ts';
import { formatCheck, warn, type CheckResult } from '../doctor/checks.ts';
import { checkCoordinators } from '../doctor/coordinators.ts';
import { checkDns } from '../doctor/dns.ts';
import { checkAlarms, checkSsmKeys } from '../doctor/aws.ts';
import { checkSchedules } from '../doctor/schedules.ts';
import { checkWorkerSecrets } from '../doctor/cloudflare.ts';

const HELP = `Usage: lifeboat doctor [--config FILE] [options]

Checks a deployed setup end to end and prints one line per check (ok, FAIL or warn) with the fix:
  - each coordinator reachable (GET /healthz) and accepting a signed call with your operator key
    (GET /v1/status), and any secret it runs degraded without
  - each DNS provider readable with the rights it was given, and a dry-run plan per service to each
    target (computed, never applied)
  - AWS (when AWS_REGION or --region is set): every signing key in SSM where a Lambda reads it (home
    region: the coordinator's keys; each probe region: its probe key), the EventBridge Scheduler
    schedules enabled (the coordinator tick in the home region, the probe chain watchdog in each
    probe region), CloudWatch alarms not in ALARM nor without data for a day
  - Cloudflare (when CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN are set): the Worker has a
    secret LIFEBOAT_KEY_<ID> for every HMAC key
Nothing is changed anywhere, and no secret value is read or printed.

  --config FILE         config file; default $LIFEBOAT_CONFIG, else ./lifeboat.config.ts
  --credentials FILE    operator credentials file
  --timeout MS          per-coordinator timeout (default 10000)
  --zone-dir DIR        embedded zone files (default as lifeboat run)
  --region R            AWS home region (default $AWS_REGION)
  --parameter-root P    SSM root the stacks use (default /lifeboat, as -c parameterRoot)
  --name-prefix P       alarm and schedule name prefix (default Lifeboat)
  --worker NAME         Worker script name (default lifeboat)
  --json                print the checks as JSON

AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL_SCHEDULER and
LIFEBOAT_CLOUDFLARE_API_URL point the checks at other endpoints.

${CREDENTIALS_HELP}

Exit codes: 0 nothing FAILed (warnings allowed); 1 a check FAILed; 2 bad usage or invalid input.`;

export function makeDoctorCommand(deps: CallOptions = {}): Command {
  return {
    name: 'doctor',
    summary: 'Check a deployed setup end to end and say what is missing',
    help: HELP,
    async run(argv, io: CliIo) {
      const { values, positionals } = parseArgs({
        args: argv, allowPositionals: true,
        options: {
          ...CALLER_FLAGS, json: { type: 'boolean', default: false }, 'zone-dir': { type: 'string' }, region: { type: 'string' },
          'parameter-root': { type: 'string', default: '/lifeboat' }, 'name-prefix': { type: 'string', default: 'Lifeboat' }, worker: { type: 'string', default: 'lifeboat' },
        },
      });
      if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
      if (!values['parameter-root'].startsWith('/')) throw new UsageError('--parameter-root must start with /');
      const { config } = await requireConfig(values.config, io.cwd, io.env);
      const caller = await callerFrom(values, io, { ...deps, timeoutMs: 10_000 });
      const now = (deps.now ?? Date.now)();
      const env = io.env;
      const region = values.region ?? env.AWS_REGION;
      const awsOptions = region ? { homeRegion: region, parameterRoot: values['parameter-root'], namePrefix: values['name-prefix'], now } : null;
      const cf = env.CLOUDFLARE_ACCOUNT_ID && env.CLOUDFLARE_API_TOKEN
        ? { apiBase: env.LIFEBOAT_CLOUDFLARE_API_URL ?? 'https://api.cloudflare.com/client/v4', accountId: env.CLOUDFLARE_ACCOUNT_ID, script: values.worker, token: env.CLOUDFLARE_API_TOKEN, ...(deps.fetch ? { fetch: deps.fetch } : {}) }
        : null;
      const groups = await Promise.all<CheckResult[]>([
        checkCoordinators(caller.endpoints, caller.credentials, caller.options),
        checkDns(config, env, resolveZoneDir(io.cwd, values['zone-dir']), now),
        awsOptions ? checkSsmKeys(config, awsOptions) : Promise.resolve([warn('aws', 'skipped: no region', 'set AWS_REGION (or --region) and AWS credentials to check SSM keys, schedules and alarms')]),
        awsOptions ? checkSchedules(config, awsOptions) : Promise.resolve([]),
        awsOptions ? checkAlarms(awsOptions) : Promise.resolve([]),
        cf ? checkWorkerSecrets(config, cf) : Promise.resolve([warn('cloudflare', 'skipped: no account', 'set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN to check the Worker\'s secrets')]),
      ]);
      const checks = groups.flat();
      if (values.json) io.out(JSON.stringify({ ok: !checks.some((c) => c.status === 'FAIL'), checks }, null, 2));
      else for (const c of checks) io.out(formatCheck(c));
      const failed = checks.filter((c) => c.status === 'FAIL').length;
      const warned = checks.filter((c) => c.status === 'warn').length;
      if (!values.json) io.out(`\n${checks.length} checks: ${failed} FAIL, ${warned} warn`);
      return failed ? EXIT.failed : EXIT.ok;
    },
  };
}

export const doctorCommand = makeDoctorCommand();
