import { parseArgs } from 'node:util';
import { keySchema } from '#core/config/schema.ts';
import { keyEnvVar } from '#core/signing/keys.ts';
import { bytesToHex } from '#core/signing/lb1.ts';
import { webRandomBytes, type RandomBytes } from '#core/ports.ts';
import { EXIT, UsageError, type Command } from '../io.ts';

/** SSM parameter of a key, as infra/parameters.ts names it (`/lifeboat/keys/<id>`). */
export const ssmKeyParameter = (id: string) => `/lifeboat/keys/${id}`;

const HELP = `Usage: lifeboat keygen --scope probe|operator [--id ID] [--json]

Makes a signing key: an id and a 32-byte random secret (hex), and prints the config entry and
the commands that store the secret on each platform. The secret is printed once, to stdout, and
is nowhere else: store it at once. The commands read it from a shell variable filled by "read -rs",
so it never lands in your shell history.

  --scope probe     for vantage points: may only post observations
  --scope operator  for people and the CLI: may override and read status and audit
  --id ID           key id (3-64 letters, digits, ".", "_", "-"); default probe-XXXXXX / ops-XXXXXX
  --json            print {id, scope, secret, config, ssmParameter, wranglerSecret, envVar} as JSON

Where each platform reads it:
  AWS          SSM SecureString /lifeboat/keys/<id> (the stacks grant the Lambdas read access to it)
  Cloudflare   Worker secret LIFEBOAT_KEY_<ID> (wrangler secret put)
  local run    environment variable LIFEBOAT_KEY_<ID>
  the CLI      LIFEBOAT_KEY_ID + LIFEBOAT_KEY_SECRET, or ~/.config/lifeboat/credentials.json (0600)

Exit codes: 0 ok; 2 bad usage.`;

export function makeKeygenCommand(randomBytes: RandomBytes = webRandomBytes): Command {
  return {
    name: 'keygen',
    summary: 'Make a signing key and print how to store it',
    help: HELP,
    async run(argv, io) {
      const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { scope: { type: 'string' }, id: { type: 'string' }, json: { type: 'boolean', default: false } } });
      if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
      const scope = values.scope;
      if (scope !== 'probe' && scope !== 'operator') throw new UsageError('--scope must be probe or operator');
      const id = values.id ?? `${scope === 'probe' ? 'probe' : 'ops'}-${bytesToHex(randomBytes(3))}`;
      const checked = keySchema.safeParse({ id, scope });
      if (!checked.success) throw new UsageError(`--id: ${checked.error.issues[0]?.message ?? 'invalid key id'}`);
      const secret = bytesToHex(randomBytes(32));
      const envVar = keyEnvVar(id);
      const parameter = ssmKeyParameter(id);
      if (values.json) {
        io.out(JSON.stringify({ id, scope, secret, config: { id, scope }, ssmParameter: parameter, wranglerSecret: envVar, envVar }, null, 2));
        return EXIT.ok;
      }
      const lines = [
        `Key "${id}" (scope ${scope}).`,
        '',
        'Secret (hex). It is shown this once; store it now:',
        '',
        `  ${secret}`,
        '',
        '1. Add the key to "keys" in the config (the config never holds the secret):',
        '',
        `     ${JSON.stringify({ id, scope })}`,
        '',
        '2. Put the secret in a shell variable without echo or history (paste, then Enter):',
        '',
        '     read -rs LIFEBOAT_NEW_SECRET',
        '',
        '3. AWS (SSM Parameter Store SecureString, read by the coordinator and probe Lambdas):',
        '',
        `     aws ssm put-parameter --type SecureString --overwrite --name ${parameter} --value "$LIFEBOAT_NEW_SECRET"`,
        '',
        '4. Cloudflare (Worker secret; wrangler reads the value from stdin):',
        '',
        `     printf '%s' "$LIFEBOAT_NEW_SECRET" | npx wrangler secret put ${envVar} --config workers/wrangler.jsonc`,
        '',
        `5. Local run (lifeboat run): export ${envVar}="$LIFEBOAT_NEW_SECRET"`,
      ];
      if (scope === 'operator') {
        lines.push(
          '',
          '6. The lifeboat CLI (override, status, audit), either in the environment:',
          '',
          `     export LIFEBOAT_KEY_ID=${id} LIFEBOAT_KEY_SECRET="$LIFEBOAT_NEW_SECRET"`,
          '',
          '   or in a file only you can read:',
          '',
          `     (umask 077 && mkdir -p ~/.config/lifeboat && printf '{"keyId":"%s","secret":"%s"}\\n' ${id} "$LIFEBOAT_NEW_SECRET" > ~/.config/lifeboat/credentials.json)`,
        );
      }
      lines.push('', 'Then: unset LIFEBOAT_NEW_SECRET');
      io.out(lines.join('\n'));
      return EXIT.ok;
    },
  };
}

export const keygenCommand = makeKeygenCommand();
