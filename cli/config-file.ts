/** Finding the config file the CLI was asked for (argument, $LIFEBOAT_CONFIG, default names) and loading it. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig, type ConfigResult } from '#core/config/validate.ts';
import { readConfigFile } from '../node/config-file.ts';
import { UsageError } from './io.ts';

export const DEFAULT_CONFIG_FILES = ['lifeboat.config.ts', 'lifeboat.config.json'];

/** The config path: the argument, else $LIFEBOAT_CONFIG, else the first default file present. */
export function findConfigFile(arg: string | undefined, cwd: string, env: Readonly<Record<string, string | undefined>>): string {
  if (arg) return resolve(cwd, arg);
  if (env.LIFEBOAT_CONFIG) return resolve(cwd, env.LIFEBOAT_CONFIG);
  for (const name of DEFAULT_CONFIG_FILES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  throw new UsageError(`no config file given and none of ${DEFAULT_CONFIG_FILES.join(', ')} in ${cwd}`);
}

export async function loadConfigFile(path: string): Promise<ConfigResult> {
  return parseConfig(await readConfigFile(path));
}

/** Loads and validates, or throws a UsageError that lists every problem. */
export async function requireConfig(arg: string | undefined, cwd: string, env: Readonly<Record<string, string | undefined>>) {
  const path = findConfigFile(arg, cwd, env);
  const result = await loadConfigFile(path);
  if (!result.ok) throw new UsageError(`${path} is invalid:\n${result.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  return { path, config: result.config, warnings: result.warnings };
}
