import { parseArgs } from 'node:util';
import { KEY_ALGORITHMS, keySchema, type KeyConfig } from '#core/config/schema.ts';
import { generateProbeKeyPair } from '#core/signing/ecdsa.ts';
import { keyEnvVar } from '#core/signing/keys.ts';
import { bytesToHex } from '#core/signing/lb1.ts';
import { webRandomBytes, type RandomBytes } from '#core/ports.ts';
import { EXIT, UsageError, type Command } from '../io.ts';

/** SSM parameter of a key, as infra/parameters.ts names it (`/lifeboat/keys/<id>`). */
export const ssmKeyParameter = (id: string) => `/lifeboat/keys/${id}`;

const HELP = `Usage: lifeboat keygen --scope probe --speaks-for aws|cloudflare|VP[,...] [--algorithm ecdsa-p256|hmac-sha256] [--id ID] [--json]
       lifeboat keygen --scope operator [--id ID] [--json]
       lifeboat keygen --scope read [--id ID] [--json]

Makes a signing key and prints the config entry and the commands that store its secret. The
secret is printed once, to stdout, and is nowhere else: store it at once. The commands read it
from a shell variable filled by "read -rs" and a temporary file only you can read (mktemp), so
it never lands in your shell history nor on any command line (aws ... --value file://FILE,
wrangler secret put < FILE).

  --scope probe       for vantage points: may only post observations, for what it speaks for
  --scope operator    for people and the CLI: may override and read status and audit (LB1-HMAC)
  --scope read        for each coordinator watching the other (peer checks) and dashboards:
                      may read status and audit only, never override or post (LB1-HMAC)
  --speaks-for LIST   probe keys: the provider ("aws", "cloudflare") or vantage points
                      ("aws:us-east-1,aws:eu-west-1") it may post for. Make one key per provider.
  --algorithm ALG     probe keys: ecdsa-p256 (default; LB1-ECDSA-P256-SHA256: the config holds
                      the public key, only the probes hold the private key) or hmac-sha256
                      (deprecated for probes: every coordinator must hold its secret)
  --regions LIST      AWS regions to store the secret in (default: <probe regions> for probe
                      keys, the coordinator's region us-east-1 for operator keys)
  --id ID             key id (3-64 letters, digits, ".", "_", "-"); default probe-XXXXXX / ops-XXXXXX
  --json              print {id, scope, secret, config, ssmParameter, wranglerSecret, envVar, ...} as JSON

Where each platform reads a key's secret (an HMAC hex secret, or an ECDSA private key):
  AWS          SSM SecureString /lifeboat/keys/<id>: operator keys in the coordinator's region;
               an ECDSA probe key only in the regions of the probes that sign with it
  Cloudflare   Worker secret LIFEBOAT_KEY_<ID> (wrangler secret put)
  local run    environment variable LIFEBOAT_KEY_<ID> (else it makes one, in .lifeboat/run/keys/)
  the CLI      LIFEBOAT_KEY_ID + LIFEBOAT_KEY_SECRET, or ~/.config/lifeboat/credentials.json (0600)

Exit codes: 0 ok; 2 bad usage.`;

const OPTIONS = {
  scope: { type: 'string' }, id: { type: 'string' }, json: { type: 'boolean', default: false },
  algorithm: { type: 'string' }, 'speaks-for': { type: 'string', multiple: true }, regions: { type: 'string', multiple: true },
} as const;

export function makeKeygenCommand(randomBytes: RandomBytes = webRandomBytes, keyPair = generateProbeKeyPair): Command {
  return {
    name: 'keygen',
    summary: 'Make a signing key and print how to store it',
    help: HELP,
    async run(argv, io) {
      const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
      if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
      const scope = values.scope;
      if (scope !== 'probe' && scope !== 'operator' && scope !== 'read') throw new UsageError('--scope must be probe, operator or read');
      const algorithm = values.algorithm ?? (scope === 'probe' ? 'ecdsa-p256' : 'hmac-sha256');
      if (!(KEY_ALGORITHMS as readonly string[]).includes(algorithm)) throw new UsageError(`--algorithm must be one of ${KEY_ALGORITHMS.join(', ')}`);
      if (scope !== 'probe' && algorithm !== 'hmac-sha256') throw new UsageError(`--algorithm: ${scope} keys are hmac-sha256 (LB1-HMAC-SHA256)`);
      const speaksFor = (values['speaks-for'] ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
      if (scope === 'probe' && speaksFor.length === 0) throw new UsageError('--speaks-for: a probe key must name the provider (aws, cloudflare) or vantage points it may post for');
      if (scope !== 'probe' && speaksFor.length > 0) throw new UsageError('--speaks-for: only probe keys speak for vantage points');
      const id = values.id ?? `${scope === 'operator' ? 'ops' : scope}-${bytesToHex(randomBytes(3))}`;

      const pair = algorithm === 'ecdsa-p256' ? await keyPair() : undefined;
      const entry: KeyConfig = {
        id, scope,
        ...(scope === 'probe' ? { speaksFor } : {}),
        ...(pair ? { publicKey: pair.publicKey } : {}),
        ...(scope === 'probe' && !pair ? { algorithm: 'hmac-sha256' as const } : {}),
      };
      const checked = keySchema.safeParse(entry);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new UsageError(`--${issue?.path[0] === 'speaksFor' ? 'speaks-for' : 'id'}: ${issue?.message ?? 'invalid key'}`);
      }
      const secret = pair ? pair.privateKey : bytesToHex(randomBytes(32));
      const envVar = keyEnvVar(id);
      const parameter = ssmKeyParameter(id);
      if (values.json) {
        io.out(JSON.stringify({ id, scope, algorithm, ...(scope === 'probe' ? { speaksFor } : {}), ...(pair ? { publicKey: pair.publicKey } : {}), secret, config: entry, ssmParameter: parameter, wranglerSecret: envVar, envVar }, null, 2));
        return EXIT.ok;
      }
      const regions = (values.regions ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
      const bad = regions.find((r) => !/^[a-z]{2}(-[a-z]+)+-\d$/.test(r));
      if (bad) throw new UsageError(`--regions: ${bad} is not an AWS region name such as eu-west-1`);
      io.out(instructions(entry, secret, algorithm, parameter, envVar, regions).join('\n'));
      return EXIT.ok;
    },
  };
}

function instructions(entry: KeyConfig, secret: string, algorithm: string, parameter: string, envVar: string, regions: readonly string[]): string[] {
  const { id, scope } = entry;
  const probe = scope === 'probe';
  const aws = !probe || entry.speaksFor!.some((s) => s.startsWith('aws'));
  const cloudflare = !probe || entry.speaksFor!.some((s) => s.startsWith('cloudflare'));
  const what = algorithm === 'ecdsa-p256' ? 'Private key (PKCS#8, base64)' : 'Secret (hex)';
  const lines = [
    `Key "${id}" (scope ${scope}, ${algorithm === 'ecdsa-p256' ? 'LB1-ECDSA-P256-SHA256' : 'LB1-HMAC-SHA256'}${probe ? `, speaks for ${entry.speaksFor!.join(', ')}` : ''}).`,
    '',
    `${what}. It is shown this once; store it now:`,
    '',
    `  ${secret}`,
    '',
    `1. Add the key to "keys" in the config (the config never holds the ${algorithm === 'ecdsa-p256' ? 'private key' : 'secret'}):`,
    '',
    `     ${JSON.stringify(entry)}`,
    '',
    '2. Put it in a shell variable without echo or history (paste, then Enter), and in a file only',
    '   you can read (mktemp makes it 0600; printf is a shell builtin, so no process list shows it):',
    '',
    '     read -rs LIFEBOAT_NEW_SECRET && f=$(mktemp) && printf \'%s\' "$LIFEBOAT_NEW_SECRET" > "$f"',
  ];
  const regionList = regions.length ? regions.join(' ') : probe ? '<probe regions>' : 'us-east-1';
  let step = 3;
  if (aws) {
    lines.push('', probe && algorithm === 'ecdsa-p256'
      ? `${step++}. AWS: an SSM SecureString in each region whose probe signs with this key (never the coordinator's):`
      : `${step++}. AWS (SSM Parameter Store SecureString, read by the Lambdas):`, '');
    lines.push(`     for r in ${regionList}; do aws ssm put-parameter --region "$r" --type SecureString --overwrite --name ${parameter} --value "file://$f"; done`);
  }
  if (cloudflare) {
    lines.push('', `${step++}. Cloudflare (Worker secret, read from stdin; the build folder is lifeboat deploy cloudflare's):`, '',
      `     npx wrangler secret put ${envVar} --config .lifeboat/build/worker/wrangler.json < "$f"`);
  }
  lines.push('', `${step++}. Local run (lifeboat run): export ${envVar}="$LIFEBOAT_NEW_SECRET"`);
  if (!probe) {
    lines.push(
      '',
      `${step++}. The lifeboat CLI (override, status, audit), either in the environment:`,
      '',
      `     export LIFEBOAT_KEY_ID=${id} LIFEBOAT_KEY_SECRET="$LIFEBOAT_NEW_SECRET"`,
      '',
      '   or in a file only you can read:',
      '',
      `     (umask 077 && mkdir -p ~/.config/lifeboat && printf '{"keyId":"%s","secret":"%s"}\\n' ${id} "$LIFEBOAT_NEW_SECRET" > ~/.config/lifeboat/credentials.json)`,
    );
  }
  lines.push('', 'Then: rm -f "$f"; unset LIFEBOAT_NEW_SECRET f');
  return lines;
}

export const keygenCommand = makeKeygenCommand();
