/**
 * Core runs unchanged in Node and workerd, so it may import nothing from either runtime: no
 * node:* modules, no cloudflare:* modules, no Node globals. This walks every file under core/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf } from './support/imports.ts';

const root = new URL('../core/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const NODE_BUILTINS = new Set(['fs', 'path', 'net', 'tls', 'http', 'https', 'crypto', 'os', 'child_process', 'dns', 'dgram', 'stream', 'url', 'util', 'buffer', 'events', 'worker_threads', 'zlib', 'process']);
const RUNTIME_GLOBALS = /\b(process\.(env|exit|argv|cwd)|Buffer\.|__dirname|__filename|setImmediate)\b/;

describe('core purity', () => {
  const sources = files(root);

  it('finds the core sources', () => {
    expect(sources.length).toBeGreaterThan(20);
  });

  it.each(sources.map((f) => [relative(root, f), f]))('%s imports no runtime module', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    // Type-only imports too: a type from node:* or cloudflare:* ties core to that runtime's typings.
    const specifiers = importsOf(file, text).map((r) => r.specifier);
    const bad = specifiers.filter((s) => s.startsWith('node:') || s.startsWith('cloudflare:') || NODE_BUILTINS.has(s) || s.startsWith('../../functions') || s.includes('/workers/') || s.includes('/cli/'));
    expect(bad).toEqual([]);
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code.match(RUNTIME_GLOBALS)?.[0] ?? null).toBeNull();
  });
});
