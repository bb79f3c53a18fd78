/**
 * The `lifeboat` command. Each subcommand lives in cli/commands/ and owns its --help text.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { ConfigFileError } from '../node/config-file.ts';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from './io.ts';
import { validateCommand } from './commands/validate.ts';
import { simulateCommand } from './commands/simulate.ts';
import { schemaCommand } from './commands/schema.ts';
import { dnsCommand } from './commands/dns.ts';
import { runCommand } from './commands/run.ts';
import { demoCommand } from './commands/demo.ts';
import { overrideCommand } from './commands/override.ts';
import { statusCommand } from './commands/status.ts';
import { auditCommand } from './commands/audit.ts';
import { keygenCommand } from './commands/keygen.ts';
import { costCommand } from './commands/cost.ts';
import { deployCommand } from './commands/deploy.ts';
import { cliReference } from './commands/docs.ts';
import { doctorCommand } from './commands/doctor.ts';

export const COMMANDS: readonly Command[] = [runCommand, demoCommand, validateCommand, simulateCommand, schemaCommand, dnsCommand,
  overrideCommand, statusCommand, auditCommand, keygenCommand, costCommand, deployCommand, doctorCommand];

/** The release, from package.json (the one source of the version). */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const USAGE = () => `Lifeboat: multi-cloud health checks and DNS failover.

Usage: lifeboat <command> [options]    (lifeboat <command> --help for more)
       lifeboat --version

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Exit codes: 0 ok, 1 the command found a failure, 2 bad usage or invalid input.`;

export async function main(argv: string[], io: CliIo): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(`lifeboat ${VERSION}`);
    return EXIT.ok;
  }
  if (name === 'help-docs') {
    io.out(cliReference(COMMANDS));
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`lifeboat: unknown command "${name}"\n\n${USAGE()}`);
    return EXIT.usage;
  }
  // Commands with subcommands print the help of the subcommand asked about themselves.
  if (!command.handlesHelp && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || err instanceof ConfigFileError || e.code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`lifeboat ${name}: ${e.message}\n(see lifeboat ${name} --help)`);
      return EXIT.usage;
    }
    io.err(`lifeboat ${name}: ${e.message}`);
    if (io.env.LIFEBOAT_DEBUG) io.err(String(e.stack));
    return EXIT.failed;
  }
}

export function processIo(): CliIo {
  // `lifeboat ... | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
    cwd: process.cwd(),
    interactive: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    confirm: async (question) => {
      if (!process.stdin.isTTY) return false;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/main.ts')) {
  const code = await main(process.argv.slice(2), processIo());
  process.exitCode = code;
}
