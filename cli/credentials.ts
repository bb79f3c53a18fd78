/**
 * Operator credentials and coordinator addresses for the CLI. The secret comes from the
 * environment (LIFEBOAT_KEY_ID + LIFEBOAT_KEY_SECRET) or from a file readable by its owner only,
 * never from a flag: flags end up in shell history and in `ps` output.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { configuredCoordinators, type CoordinatorEndpoint } from '#core/probe/post.ts';
import { decodeHexSecret } from '#core/signing/keys.ts';
import { UsageError } from './io.ts';

export interface OperatorCredentials {
  readonly keyId: string;
  readonly secret: Uint8Array;
  /** Where they came from, for messages ("environment", a file path). Never the secret. */
  readonly source: string;
}

/** Missing, unsafe or malformed credentials: bad input (exit 2), named without the secret. */
export class CredentialsError extends UsageError {
  override readonly name: string = 'CredentialsError';
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_CREDENTIALS_FILE = '~/.config/lifeboat/credentials.json';

export function defaultCredentialsPath(env: Env): string {
  return join(env.HOME ?? homedir(), '.config', 'lifeboat', 'credentials.json');
}

const HOW = `set LIFEBOAT_KEY_ID and LIFEBOAT_KEY_SECRET, or write {"keyId": "...", "secret": "<hex>"} to ${DEFAULT_CREDENTIALS_FILE} (chmod 600)`;

/**
 * The operator key: `--credentials FILE` if given, else the environment, else the default file.
 * A file must not be readable or writable by group or others (0600 or stricter).
 */
export function loadCredentials(options: { file?: string | undefined; env: Env; cwd: string }): OperatorCredentials {
  const { env } = options;
  if (options.file) return fromFile(resolve(options.cwd, options.file));
  const id = env.LIFEBOAT_KEY_ID?.trim();
  const secret = env.LIFEBOAT_KEY_SECRET;
  if (id || secret) {
    if (!id) throw new CredentialsError('LIFEBOAT_KEY_SECRET is set but LIFEBOAT_KEY_ID is not');
    if (!secret) throw new CredentialsError('LIFEBOAT_KEY_ID is set but LIFEBOAT_KEY_SECRET is not');
    return { keyId: id, secret: decode(secret, id), source: 'environment' };
  }
  const path = defaultCredentialsPath(env);
  let exists = true;
  try { statSync(path); } catch { exists = false; }
  if (!exists) throw new CredentialsError(`no operator credentials: ${HOW}`);
  return fromFile(path);
}

function fromFile(path: string): OperatorCredentials {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new CredentialsError(`credentials file ${path} does not exist`);
  }
  if ((mode & 0o077) !== 0) {
    throw new CredentialsError(`refusing credentials file ${path}: its permissions are ${(mode & 0o777).toString(8).padStart(4, '0')}, but it holds a secret and must be readable by you only (chmod 600 ${path})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CredentialsError(`credentials file ${path} is not valid JSON: ${(err as Error).message.replace(/".*"/, '')}`);
  }
  const { keyId, secret } = (data ?? {}) as { keyId?: unknown; secret?: unknown };
  if (typeof keyId !== 'string' || keyId === '') throw new CredentialsError(`credentials file ${path}: "keyId" must be the key id`);
  if (typeof secret !== 'string') throw new CredentialsError(`credentials file ${path}: "secret" must be the hex secret`);
  return { keyId, secret: decode(secret, keyId), source: path };
}

function decode(hex: string, keyId: string): Uint8Array {
  try {
    return decodeHexSecret(hex, keyId);
  } catch (err) {
    throw new CredentialsError((err as Error).message);
  }
}

/**
 * Where the coordinators are: LIFEBOAT_COORDINATORS ("aws=http://..,cloudflare=http://..", for the
 * local run and tests) if set, else the config's `coordinators`.
 */
export function coordinatorEndpoints(config: Pick<LifeboatConfig, 'coordinators'> | null, env: Env): CoordinatorEndpoint[] {
  const fromEnv = env.LIFEBOAT_COORDINATORS?.trim();
  if (fromEnv) {
    return fromEnv.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
      const eq = part.indexOf('=');
      const name = part.slice(0, eq).trim();
      const url = part.slice(eq + 1).trim();
      if (eq <= 0 || !/^https?:\/\/[^\s]+$/.test(url)) {
        throw new CredentialsError(`LIFEBOAT_COORDINATORS: "${part}" is not name=http(s)://host[:port]`);
      }
      return { name, url };
    });
  }
  const list = configuredCoordinators(config?.coordinators ?? {});
  if (list.length === 0) throw new CredentialsError('no coordinators: add "coordinators" to the config or set LIFEBOAT_COORDINATORS=aws=https://...,cloudflare=https://...');
  return list;
}
