/** What every command gets: its arguments, output streams and environment. Tests pass fakes. */
import { LifeboatError } from '#core/errors.ts';
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** True when stdout is a terminal (colours, confirmations). */
  readonly interactive: boolean;
  /** Asks a yes/no question on the terminal; false when not interactive. */
  readonly confirm: (question: string) => Promise<boolean>;
}

/** Exit codes, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** The command ran and found a failure (a scenario failed, a coordinator refused, DNS failed). */
  failed: 1,
  /** Bad usage or invalid input (unknown flag, invalid config or scenario file). */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** The command prints its own help for `--help` (e.g. per subcommand); main passes it through. */
  readonly handlesHelp?: boolean;
  run(argv: string[], io: CliIo): Promise<ExitCode>;
}

/** A usage problem: printed with the command's help hint, exit code 2. */
export class UsageError extends LifeboatError {
  override readonly name: string = 'UsageError';
}
