/**
 * Runs in Node before the workerd tests: builds the real Worker bundle exactly as `wrangler
 * deploy` would (dry run, offline, workers/wrangler.jsonc, a production-shaped config), then
 * loads that bundle into a fresh Miniflare and asks it /healthz. bundle.test.ts checks the report.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';
import type { TestProject } from 'vitest/node';
import { keyEnvVar } from '#core/signing/keys.ts';
import { loadConfig } from '#core/config/validate.ts';
import bundleConfig from './bundle.config.ts';
import { OPERATOR_KEY, PROBE_KEY, type BundleReport } from './shared.ts';

interface WranglerJson { main: string; alias: Record<string, string>; $schema?: string }

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outdir = await mkdtemp(join(tmpdir(), 'lifeboat-worker-'));
  // `wrangler deploy --alias` does not override an alias the config file sets, so build from a
  // copy of the real config with only the `lifeboat-config` alias (and paths) changed.
  const config = JSON.parse((await readFile(here('../../../workers/wrangler.jsonc'), 'utf8')).replace(/^\s*\/\/.*$/gm, '')) as WranglerJson;
  config.main = here('../../../workers/index.ts');
  // As `lifeboat deploy cloudflare` does: the Worker bundles the checked config, as JSON.
  const checkedConfig = join(outdir, 'lifeboat-config.json');
  await writeFile(checkedConfig, JSON.stringify(loadConfig(bundleConfig)));
  config.alias = Object.fromEntries(Object.entries(config.alias).map(([k, v]) => [k, k === 'lifeboat-config' ? checkedConfig : here(`../../../workers/${v}`)]));
  delete config.$schema;
  const configPath = join(outdir, 'wrangler.json');
  await writeFile(configPath, JSON.stringify(config));
  await promisify(execFile)(here('../../../node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--config', configPath, '--outdir', join(outdir, 'dist')], {
    cwd: outdir, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' }, timeout: 120_000,
  });
  const script = await readFile(join(outdir, 'dist', 'index.js'), 'utf8');
  const imports = new Set<string>();
  for (const m of script.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)) imports.add(m[1]!);

  const mf = new Miniflare({
    modules: true, modulesRoot: join(outdir, 'dist'), scriptPath: join(outdir, 'dist', 'index.js'), compatibilityDate: '2026-04-01',
    // As the wrangler migration declares them: SQLite-backed (the storage adapters use SQL).
    durableObjects: { PROBER: { className: 'Prober', useSQLite: true }, COORDINATOR: { className: 'CoordinatorObject', useSQLite: true } },
    bindings: { [keyEnvVar(PROBE_KEY.id)]: PROBE_KEY.secret, [keyEnvVar(OPERATOR_KEY.id)]: OPERATOR_KEY.secret },
  });
  let healthzStatus: number;
  try {
    const res = await mf.dispatchFetch('http://localhost/healthz');
    healthzStatus = res.status;
    await res.text();
  } finally {
    await mf.dispose();
  }
  const report: BundleReport = {
    bytes: Buffer.byteLength(script), gzipBytes: gzipSync(script).length, imports: [...imports].sort(), healthzStatus,
  };
  project.provide('cfBundle', report);
  return async () => { await rm(outdir, { recursive: true, force: true }); };
}
