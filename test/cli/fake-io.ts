/** A CliIo that records output, for running `main()` in tests. */
import type { CliIo } from '../../cli/io.ts';

export interface RecordedIo extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
  text(): string;
}

export function fakeIo(cwd: string, env: Record<string, string | undefined> = {}, answer = false): RecordedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout, stderr, cwd, env, interactive: false,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    confirm: async () => answer,
    text: () => [...stdout, ...stderr].join('\n'),
  };
}
