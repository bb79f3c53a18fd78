/** Finding and reading the config file: `.ts` (via defineConfig) or `.json`. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConfig, type ConfigResult } from '#core/config/validate.ts';
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

/** Reads a config file into plain data (not yet validated). */
export async function readConfigFile(path: string): Promise<unknown> {
  if (!existsSync(path)) throw new UsageError(`config file ${path} does not exist`);
  if (path.endsWith('.json')) {
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new UsageError(`${path} is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (/\.(ts|mts|js|mjs)$/.test(path)) {
    const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    if (mod.default === undefined) throw new UsageError(`${path} has no default export (export default defineConfig({...}))`);
    return mod.default;
  }
  throw new UsageError(`${path}: config files must end in .ts or .json`);
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
