/**
 * The layering, held by the import graph of the source (issue 10). Imports are read with
 * TypeScript's own parser, type-only ones included (`import type`, `export type ... from`,
 * `import('...')` in types): a type-only edge still couples two modules and still forms a cycle.
 * `#core/*` is resolved through package.json's `imports`, as Node and the bundlers resolve it.
 *
 * Rules: core imports only core; functions/ (AWS) and workers/ (Cloudflare) import core and
 * themselves, never each other; node/ is the Node-only code the two operator tools share (reading
 * a config file) and imports only core; infra/ (the CDK app) imports core, functions (it builds
 * the Lambdas from their entry files) and node; cli/ sits on top and may import any layer, and no
 * layer imports it. No import cycles anywhere.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve as resolvePath, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf } from './support/imports.ts';

const ROOT = resolvePath(new URL('..', import.meta.url).pathname);

const LAYERS = ['core', 'functions', 'workers', 'node', 'infra', 'cli'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import (its own layer included). Everything else is a violation. */
const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  core: ['core'],
  functions: ['core', 'functions'],
  workers: ['core', 'workers'],
  node: ['core', 'node'],
  infra: ['core', 'functions', 'node', 'infra'],
  cli: ['core', 'functions', 'workers', 'node', 'infra', 'cli'],
};

/** A repo-relative path with forward slashes, as reports print it. */
type RepoPath = string;

interface Edge {
  readonly from: RepoPath;
  readonly to: RepoPath;
  readonly typeOnly: boolean;
  readonly line: number;
}

/** package.json `imports` patterns such as `"#core/*": "./core/*"`. */
function subpathImports(): [prefix: string, target: string][] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { imports?: Record<string, string> };
  return Object.entries(pkg.imports ?? {})
    .filter(([key, value]) => key.endsWith('*') && typeof value === 'string' && value.endsWith('*'))
    .map(([key, value]) => [key.slice(0, -1), value.slice(0, -1)]);
}

const toRepo = (absolute: string): RepoPath => relative(ROOT, absolute).split(sep).join('/');

/** The repo file a specifier names, `external` for packages and built-ins, null if it names nothing. */
function resolveSpecifier(fromFile: string, specifier: string, subpaths: readonly [string, string][]): string | 'external' | null {
  let target: string;
  const mapped = subpaths.find(([prefix]) => specifier.startsWith(prefix));
  if (mapped) target = join(ROOT, mapped[1], specifier.slice(mapped[0].length));
  else if (specifier.startsWith('.')) target = resolvePath(dirname(fromFile), specifier);
  else return 'external';
  const candidates = [target, target.replace(/\.js$/, '.ts'), `${target}.ts`, join(target, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mts|cts)$/.test(name) ? [path] : [];
  });
}

const layerOf = (path: RepoPath): Layer | undefined => LAYERS.find((l) => path.startsWith(`${l}/`));

function buildGraph() {
  const subpaths = subpathImports();
  const files = LAYERS.flatMap((l) => sourceFiles(join(ROOT, l)));
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  for (const file of files) {
    for (const ref of importsOf(file, readFileSync(file, 'utf8'))) {
      const target = resolveSpecifier(file, ref.specifier, subpaths);
      if (target === 'external') continue;
      if (target === null) unresolved.push(`${toRepo(file)}:${ref.line} imports '${ref.specifier}', which names no file`);
      else edges.push({ from: toRepo(file), to: toRepo(target), typeOnly: ref.typeOnly, line: ref.line });
    }
  }
  return { files: files.map(toRepo), edges, unresolved };
}

/** One line per import that goes against MAY_IMPORT, or out of the layered source altogether. */
function layerViolations(edges: readonly Edge[]): string[] {
  return edges.flatMap((e) => {
    const from = layerOf(e.from);
    const to = layerOf(e.to);
    if (!from) return [];
    const kind = e.typeOnly ? 'type-only import' : 'import';
    if (!to) return [`${e.from}:${e.line} -> ${e.to} (${kind} of a file outside ${LAYERS.join(', ')})`];
    return MAY_IMPORT[from].includes(to) ? [] : [`${e.from}:${e.line} -> ${e.to} (${kind}: ${from} may import only ${MAY_IMPORT[from].join(', ')})`];
  });
}

/**
 * Every distinct shortest cycle through each file that is on one (Tarjan's strongly connected
 * components, then a breadth-first search back to the start inside its component), written as
 * `a.ts -> b.ts -(type)-> a.ts`, where `-(type)->` is a type-only import.
 */
function importCycles(edges: readonly Edge[]): string[] {
  const next = new Map<RepoPath, Edge[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e]);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();

  // Tarjan, recursive: the deepest import chain is a few dozen files.
  let counter = 0;
  const index = new Map<RepoPath, number>();
  const low = new Map<RepoPath, number>();
  const stack: RepoPath[] = [];
  const onStack = new Set<RepoPath>();
  const components: RepoPath[][] = [];
  const connect = (v: RepoPath): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const { to: w } of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: RepoPath[] = [];
      let w: RepoPath;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  };
  for (const v of nodes) if (!index.has(v)) connect(v);

  const cycles = new Set<string>();
  for (const component of components) {
    const inside = new Set(component);
    const selfLoop = component.length === 1 && (next.get(component[0]!) ?? []).some((e) => e.to === component[0]);
    if (component.length === 1 && !selfLoop) continue;
    for (const start of [...component].sort()) {
      // Shortest path start -> ... -> start, staying inside the component.
      const via = new Map<RepoPath, Edge>();
      const queue: RepoPath[] = [start];
      let closing: Edge | undefined;
      for (let i = 0; i < queue.length && !closing; i++) {
        for (const e of next.get(queue[i]!) ?? []) {
          if (!inside.has(e.to)) continue;
          if (e.to === start) { closing = e; break; }
          if (!via.has(e.to)) { via.set(e.to, e); queue.push(e.to); }
        }
      }
      const path: Edge[] = [closing!];
      for (let at = closing!.from; at !== start; at = via.get(at)!.from) path.unshift(via.get(at)!);
      // Written from its smallest file, so the same cycle found from another start is one line.
      const first = path.reduce((best, e, i) => (e.from < path[best]!.from ? i : best), 0);
      const rotated = [...path.slice(first), ...path.slice(0, first)];
      cycles.add(`${rotated.map((e) => `${e.from}${e.typeOnly ? ' -(type)-> ' : ' -> '}`).join('')}${rotated[0]!.from}`);
    }
  }
  return [...cycles].sort();
}

/**
 * Outside core/, core is imported as `#core/...`, one spelling that survives moving a file (it
 * resolves in Node, tsc, esbuild/wrangler and both workerd test pools alike).
 */
function relativeCoreImports(dirs: readonly string[]): string[] {
  const subpaths = subpathImports();
  return dirs.flatMap((dir) => sourceFiles(join(ROOT, dir))).flatMap((file) => importsOf(file, readFileSync(file, 'utf8'))
    .filter((ref) => ref.specifier.startsWith('.'))
    .flatMap((ref) => {
      const target = resolveSpecifier(file, ref.specifier, subpaths);
      if (typeof target !== 'string' || target === 'external' || !toRepo(target).startsWith('core/')) return [];
      return [`${toRepo(file)}:${ref.line} imports '${ref.specifier}': write '#${toRepo(target)}'`];
    }));
}

describe('the import graph reader', () => {
  it('reads every kind of static import, type-only ones marked', () => {
    const text = [
      "import a from './a.ts';",
      "import type { B } from './b.ts';",
      "import { type C, type D } from './c.ts';",
      "import { type E, f } from './e.ts';",
      "import './side-effect.ts';",
      "export * from './g.ts';",
      "export type { H } from './h.ts';",
      "export { i } from '#core/i.ts';",
      "type J = import('./j.ts').J;",
      "const k = await import('./k.ts');",
      'const dynamic = await import(somewhere);',
      "// import { no } from './comment.ts';",
    ].join('\n');
    expect(importsOf('x.ts', text).map((r) => [r.specifier, r.typeOnly])).toEqual([
      ['./a.ts', false], ['./b.ts', true], ['./c.ts', true], ['./e.ts', false], ['./side-effect.ts', false],
      ['./g.ts', false], ['./h.ts', true], ['#core/i.ts', false], ['./j.ts', true], ['./k.ts', false],
    ]);
  });

  it('names a layer violation and every cycle with its files', () => {
    const edge = (from: string, to: string, typeOnly = false): Edge => ({ from, to, typeOnly, line: 1 });
    expect(layerViolations([edge('core/a.ts', 'functions/b.ts'), edge('workers/c.ts', 'functions/d.ts', true), edge('cli/e.ts', 'workers/c.ts')])).toEqual([
      'core/a.ts:1 -> functions/b.ts (import: core may import only core)',
      'workers/c.ts:1 -> functions/d.ts (type-only import: workers may import only core, workers)',
    ]);
    expect(importCycles([
      edge('core/a.ts', 'core/b.ts'), edge('core/b.ts', 'core/a.ts', true),
      edge('core/c.ts', 'core/d.ts'), edge('core/d.ts', 'core/e.ts'), edge('core/e.ts', 'core/c.ts'), edge('core/e.ts', 'core/f.ts'),
      edge('core/g.ts', 'core/g.ts'),
    ])).toEqual([
      'core/a.ts -> core/b.ts -(type)-> core/a.ts',
      'core/c.ts -> core/d.ts -> core/e.ts -> core/c.ts',
      'core/g.ts -> core/g.ts',
    ]);
  });
});

describe('architecture', () => {
  const graph = buildGraph();

  it('finds every layer and its imports', () => {
    for (const layer of LAYERS) expect(graph.files.filter((f) => layerOf(f) === layer).length, layer).toBeGreaterThan(0);
    expect(graph.edges.filter((e) => e.from.startsWith('core/') && e.to.startsWith('core/')).length).toBeGreaterThan(50);
  });

  it('every relative and #core import names a file', () => {
    expect(graph.unresolved, `\n${graph.unresolved.join('\n')}\n`).toEqual([]);
  });

  it('layers import only downwards (core; functions, workers; infra; cli), adapters never each other', () => {
    const violations = layerViolations(graph.edges);
    expect(violations, `\n${violations.join('\n')}\n`).toEqual([]);
  });

  it('outside core, core is imported as #core/*', () => {
    const relative = relativeCoreImports(['functions', 'workers', 'node', 'infra', 'cli', 'test', 'bench']);
    expect(relative, `\n${relative.join('\n')}\n`).toEqual([]);
  });

  it('has no import cycles, type-only ones included', () => {
    const cycles = importCycles(graph.edges);
    expect(cycles, `\n${cycles.join('\n')}\n`).toEqual([]);
  });
});
