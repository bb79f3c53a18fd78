/**
 * `dig` for tests that check the embedded server with a real resolver. On CI (process.env.CI)
 * a missing dig is a failure (CI installs dnsutils); elsewhere those tests are skipped with a
 * message saying how to get it.
 */
import { execFile, execFileSync } from 'node:child_process';

export const hasDig = (() => {
  try {
    execFileSync('dig', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** True when dig tests should run; when they must run but cannot, throw (CI). */
export const digRequired = Boolean(process.env.CI);
export const runDigTests = hasDig || digRequired;
if (!hasDig) {
  const how = 'apt-get install -y dnsutils';
  if (digRequired) console.error(`dig is missing on CI: ${how}`);
  else console.warn(`dig is not installed: skipping the dig tests (${how} to run them)`);
}

/** Runs dig against the server and returns its full output (throws when dig is missing). */
export function dig(port: number, args: readonly string[]): Promise<string> {
  if (!hasDig) throw new Error('dig is not installed (apt-get install -y dnsutils); it is required on CI');
  return new Promise((resolve, reject) => {
    execFile('dig', ['@127.0.0.1', '-p', String(port), '+norecurse', '+time=2', '+tries=1', ...args], { timeout: 10_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

/** The answer lines of `dig +short`. */
export async function digShort(port: number, args: readonly string[]): Promise<string[]> {
  return (await dig(port, [...args, '+short'])).split('\n').map((l) => l.trim()).filter(Boolean);
}

export const digStatus = (output: string): string | undefined => /status: (\w+)/.exec(output)?.[1];
export const digFlags = (output: string): string[] => (/;; flags: ([a-z ]+);/.exec(output)?.[1] ?? '').trim().split(/\s+/);
