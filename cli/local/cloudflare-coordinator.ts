/**
 * The Cloudflare coordinator code path on this machine: the real Worker (workers/index.ts and
 * its Durable Objects) bundled with esbuild the way wrangler bundles it, run in workerd through
 * Miniflare on a loopback port. State lives in Durable Object storage under `persistDir`, so a
 * restart (dispose, then start again) keeps it, as a redeploy would.
 */
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerBundleOptions {
  /** The config file bundled into the Worker (alias `lifeboat-config`). */
  readonly configPath: string;
  readonly outDir: string;
}

/** Bundles the Worker as wrangler does (ESM, workerd conditions, the config and Route 53 client aliases of wrangler.jsonc). */
export async function bundleWorker({ configPath, outDir }: WorkerBundleOptions): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'index.js');
  await build({
    entryPoints: [join(repo, 'workers/index.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    external: ['cloudflare:*', 'node:*'],
    alias: {
      'lifeboat-config': resolve(configPath),
      '@aws-sdk/client-route-53': join(repo, 'workers/route53-client.ts'),
    },
    minify: false,
    logLevel: 'silent',
  });
  return outfile;
}

export interface CloudflareCoordinatorOptions {
  readonly scriptPath: string;
  readonly persistDir: string;
  /** Secrets and vars, as `wrangler secret put` / `vars` would give them. */
  readonly bindings: Readonly<Record<string, string>>;
  readonly port?: number;
}

export interface LocalWorker {
  readonly url: string;
  readonly miniflare: Miniflare;
  stop(): Promise<void>;
}

export async function startCloudflareCoordinator(options: CloudflareCoordinatorOptions): Promise<LocalWorker> {
  const miniflare = new Miniflare({
    modules: true,
    scriptPath: options.scriptPath,
    // Module names are taken relative to this root; the bundle is one file in its own folder.
    modulesRoot: dirname(options.scriptPath),
    compatibilityDate: '2026-04-01',
    host: '127.0.0.1',
    port: options.port ?? 0,
    bindings: { ...options.bindings },
    durableObjects: {
      PROBER: { className: 'Prober', useSQLite: true },
      COORDINATOR: { className: 'CoordinatorObject', useSQLite: true },
    },
    durableObjectsPersist: options.persistDir,
  });
  const url = (await miniflare.ready).toString().replace(/\/$/, '');
  return {
    url,
    miniflare,
    stop: () => miniflare.dispose(),
  };
}
