/**
 * Reading a config file (`.ts` via defineConfig, or `.json`) into plain data, not yet validated.
 * node/ holds the Node-only code that both tools run on an operator's machine share: the CLI
 * (cli/) and the CDK app (infra/). Core cannot read files, and neither tool may import the other.
 */
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigurationError } from '#core/errors.ts';

/** A config file that is missing or cannot be read; the CLI reports it as a usage problem. */
export class ConfigFileError extends ConfigurationError {}

export async function readConfigFile(path: string): Promise<unknown> {
  if (!existsSync(path)) throw new ConfigFileError(`config file ${path} does not exist`);
  if (path.endsWith('.json')) {
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ConfigFileError(`${path} is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (/\.(ts|mts|js|mjs)$/.test(path)) {
    const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    if (mod.default === undefined) throw new ConfigFileError(`${path} has no default export (export default defineConfig({...}))`);
    return mod.default;
  }
  throw new ConfigFileError(`${path}: config files must end in .ts or .json`);
}
