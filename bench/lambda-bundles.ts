/**
 * Lambda bundle sizes: functions/probe.ts and functions/coordinator.ts bundled by esbuild with
 * the settings NodejsFunction uses in infra/ (minified, CJS, node24, AWS SDK external, the config
 * embedded by `define`). Each must stay under 200 KiB (issue 13; test/functions/bundle.test.ts):
 * size is cold-start time. Run alone with
 * `npx tsx bench/lambda-bundles.ts [config]`, or from bench/run.ts via benchLambdaBundles().
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { configDefine } from '../functions/bundled-config.ts';
import { BUNDLING } from '../infra/constructs/lifeboat-function.ts';
import { DEFAULT_DEPLOY_CONFIG, loadDeployConfig } from '../infra/config.ts';

export const BUNDLE_LIMIT_BYTES = 200 * 1024;
const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface BundleResult {
  readonly entry: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly buildMs: number;
  /** Largest inputs by bytes in the output, for when the size grows. */
  readonly top: readonly { readonly path: string; readonly bytes: number }[];
}

export async function benchLambdaBundles(configPath = DEFAULT_DEPLOY_CONFIG): Promise<BundleResult[]> {
  const { config } = await loadDeployConfig(configPath, ROOT);
  const results: BundleResult[] = [];
  for (const entry of ['functions/probe.ts', 'functions/coordinator.ts']) {
    const started = performance.now();
    const out = await build({
      entryPoints: [`${ROOT}${entry}`],
      bundle: true,
      write: false,
      platform: 'node',
      target: BUNDLING.target,
      format: BUNDLING.format,
      minify: BUNDLING.minify,
      sourcemap: BUNDLING.sourceMap,
      external: [...BUNDLING.externalModules],
      define: configDefine(config),
      metafile: true,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.contents;
    const inputs = Object.values(out.metafile.outputs)[0]!.inputs;
    const byPackage = new Map<string, number>();
    for (const [path, info] of Object.entries(inputs)) {
      const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 1).join('/');
      byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
    }
    results.push({
      entry,
      bytes: code.byteLength,
      gzipBytes: gzipSync(code).byteLength,
      buildMs: Math.round(performance.now() - started),
      top: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([path, bytes]) => ({ path, bytes })),
    });
  }
  return results;
}

export function formatBundles(results: readonly BundleResult[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  return results.map((r) => `  ${r.entry.padEnd(26)} ${kb(r.bytes).padStart(10)} (gzip ${kb(r.gzipBytes)}), built in ${r.buildMs} ms`
    + `${r.bytes >= BUNDLE_LIMIT_BYTES ? `  OVER THE ${BUNDLE_LIMIT_BYTES / 1024} KiB BUDGET` : ''}\n    largest: ${r.top.map((t) => `${t.path} ${kb(t.bytes)}`).join(', ')}`).join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await benchLambdaBundles(process.argv[2]);
  console.log(`lambda bundles (esbuild, as NodejsFunction builds them; budget ${BUNDLE_LIMIT_BYTES / 1024} KiB each):\n${formatBundles(results)}`);
  if (results.some((r) => r.bytes >= BUNDLE_LIMIT_BYTES)) process.exitCode = 1;
}
