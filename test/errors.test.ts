/**
 * Every error Lifeboat throws on purpose is a LifeboatError (core/errors.ts) whose subclass says
 * which part refused, and names itself with a `name` field (minified bundles lose class names).
 * Read with TypeScript's parser, so a `throw new Error(` inside a string (the status page's
 * browser script) is not mistaken for one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  ConfigurationError, InputError, KeyError, LifeboatError, MissingDependencyError, SigningError, StorageError,
} from '#core/errors.ts';
import { BadEventError } from '../functions/http-event.ts';
import { MissingBundledConfigError } from '../functions/bundled-config.ts';
import { MissingEnvError } from '../functions/lambda-env.ts';
import { StoreDataError } from '../functions/dynamo/table.ts';
import { UnsupportedEventError } from '../functions/coordinator.ts';
import { WireError } from '#core/api/bodies.ts';
import { ConfigError } from '#core/config/validate.ts';
import { CoordinatorInputError, StateContentionError } from '#core/coordinator/coordinator.ts';
import { DnsTransportError } from '#core/dns/dns-transport.ts';
import { DnsWireError } from '#core/dns/dns-wire.ts';
import { RetryOptionsError } from '#core/dns/retry.ts';
import { DnsError, DnsRetryExhaustedError, UnsafePlanError } from '#core/dns/types.ts';
import { WebhookConfigError } from '#core/notify/webhook.ts';
import { SecretError, SecretFetchError, SecretNotFoundError } from '#core/ports.ts';
import { MissingTcpConnectError } from '#core/probe/tcp.ts';
import { KeyFormatError } from '#core/signing/ecdsa.ts';
import { signRequest } from '#core/signing/lb1.ts';
import { NonceStoreFullError } from '#core/signing/nonce-store.ts';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const SCANNED = ['core', 'functions', 'workers'];
/** Nothing is excluded: the simulator is core too. */
const EXCLUDED: readonly string[] = [];
const BUILTIN_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'AggregateError', 'EvalError', 'URIError']);

const toRepo = (path: string): string => relative(ROOT, path).split(sep).join('/');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

interface ErrorClass {
  readonly where: string;
  readonly name: string;
  readonly base: string;
  /** The string a `name` property is initialised to in the class body, if any. */
  readonly ownName: string | undefined;
}

/** Plain throws of a built-in error, and every class with an `extends` clause, in one file. */
function scan(path: string, text = readFileSync(path, 'utf8')): { plainThrows: string[]; classes: ErrorClass[] } {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const where = (node: ts.Node) => `${toRepo(path)}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
  const plainThrows: string[] = [];
  const classes: ErrorClass[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isThrowStatement(node)) {
      const thrown = node.expression;
      const callee = ts.isNewExpression(thrown) || ts.isCallExpression(thrown) ? thrown.expression : undefined;
      if (callee && ts.isIdentifier(callee) && BUILTIN_ERRORS.has(callee.text)) plainThrows.push(`${where(node)} ${node.getText(source).slice(0, 80)}`);
    }
    if ((ts.isClassDeclaration(node) || ts.isClassExpression(node)) && node.name) {
      const heritage = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
      if (heritage && ts.isIdentifier(heritage)) {
        const nameProp = node.members.find((m): m is ts.PropertyDeclaration =>
          ts.isPropertyDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === 'name');
        const init = nameProp?.initializer;
        classes.push({ where: where(node), name: node.name.text, base: heritage.text, ownName: init && ts.isStringLiteral(init) ? init.text : undefined });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { plainThrows, classes };
}

function scanAll() {
  const files = SCANNED.flatMap((d) => sourceFiles(join(ROOT, d))).filter((f) => !EXCLUDED.some((e) => toRepo(f).startsWith(e)));
  const results = files.map((f) => scan(f));
  return { plainThrows: results.flatMap((r) => r.plainThrows), classes: results.flatMap((r) => r.classes) };
}

describe('errors in core/, functions/ and workers/', () => {
  const { plainThrows, classes } = scanAll();
  const byName = new Map(classes.map((c) => [c.name, c]));
  /** Follows `extends` up to a built-in: LifeboatError when the chain passes through it. */
  const rootOf = (c: ErrorClass): string => {
    for (let at: ErrorClass | undefined = c, hops = 0; at && hops < 20; at = byName.get(at.base), hops++) {
      if (at.name === 'LifeboatError' && at.where.startsWith('core/errors.ts')) return 'LifeboatError';
      if (!byName.has(at.base)) return at.base;
    }
    return c.base;
  };
  const errorClasses = classes.filter((c) => rootOf(c) === 'LifeboatError' || BUILTIN_ERRORS.has(rootOf(c)));

  it('finds the error classes it polices', () => {
    expect(errorClasses.length).toBeGreaterThan(25);
  });

  it('no plain `throw new Error(`: each throw says which part refused', () => {
    expect(plainThrows, `\n${plainThrows.join('\n')}\n`).toEqual([]);
  });

  it('every error class descends from LifeboatError, not straight from a built-in', () => {
    const strays = errorClasses.filter((c) => rootOf(c) !== 'LifeboatError' && c.name !== 'LifeboatError')
      .map((c) => `${c.where} class ${c.name} extends ${c.base}`);
    expect(strays, `\n${strays.join('\n')}\n`).toEqual([]);
  });

  it('every error class names itself in a `name` field (class names do not survive minifying)', () => {
    const unnamed = errorClasses.filter((c) => c.ownName !== c.name)
      .map((c) => `${c.where} class ${c.name}: name is ${c.ownName === undefined ? 'not set' : `'${c.ownName}'`}`);
    expect(unnamed, `\n${unnamed.join('\n')}\n`).toEqual([]);
  });

  it('the scan catches a plain throw, a class off the root and a missing name, and not a string', () => {
    const text = [
      "class Good extends LifeboatError { override readonly name: string = 'Good'; }",
      "const page = 'if (!r.ok) throw new Error(r.status)';",
      "function f() { throw new Error('x'); }",
      "function g() { throw TypeError('y'); }",
      'class Stray extends RangeError {}',
    ].join('\n');
    const found = scan(join(ROOT, 'core/x.ts'), text);
    expect(found.plainThrows.map((t) => t.split(' ')[0])).toEqual(['core/x.ts:3', 'core/x.ts:4']);
    expect(found.classes).toEqual([
      { where: 'core/x.ts:1', name: 'Good', base: 'LifeboatError', ownName: 'Good' },
      { where: 'core/x.ts:5', name: 'Stray', base: 'RangeError', ownName: undefined },
    ]);
  });
});

describe('LifeboatError subclasses', () => {
  const cases: [Error, string, abstract new (...args: never[]) => Error][] = [
    [new LifeboatError('m'), 'LifeboatError', LifeboatError],
    [new ConfigurationError('m'), 'ConfigurationError', ConfigurationError],
    [new KeyError('m'), 'KeyError', KeyError],
    [new SigningError('m'), 'SigningError', SigningError],
    [new InputError('m'), 'InputError', InputError],
    [new StorageError('m'), 'StorageError', StorageError],
    [new MissingDependencyError('m'), 'MissingDependencyError', MissingDependencyError],
    [new ConfigError([{ path: 'services', message: 'm' }]), 'ConfigError', ConfigurationError],
    [new WebhookConfigError(0, 'm'), 'WebhookConfigError', ConfigurationError],
    [new RetryOptionsError('attempts', 'm'), 'RetryOptionsError', ConfigurationError],
    [new MissingBundledConfigError(), 'MissingBundledConfigError', ConfigurationError],
    [new KeyFormatError('k', 'm'), 'KeyFormatError', KeyError],
    [new WireError('f', 'm', []), 'WireError', InputError],
    [new CoordinatorInputError(400, 'f', 'm'), 'CoordinatorInputError', InputError],
    [new BadEventError('m'), 'BadEventError', InputError],
    [new UnsupportedEventError('m'), 'UnsupportedEventError', InputError],
    [new StateContentionError('m'), 'StateContentionError', StorageError],
    [new NonceStoreFullError(10), 'NonceStoreFullError', StorageError],
    [new StoreDataError('m', 'k'), 'StoreDataError', StorageError],
    [new MissingTcpConnectError(), 'MissingTcpConnectError', MissingDependencyError],
    [new MissingEnvError('X'), 'MissingEnvError', MissingDependencyError],
    [new DnsError('m', 'memory', 'z'), 'DnsError', DnsError],
    [new UnsafePlanError('m', 'memory', 'z'), 'UnsafePlanError', DnsError],
    [new DnsRetryExhaustedError('m', 'memory', 'z'), 'DnsRetryExhaustedError', DnsError],
    [new DnsWireError('m'), 'DnsWireError', LifeboatError],
    [new DnsTransportError('m', 'ECONNREFUSED', true), 'DnsTransportError', LifeboatError],
    [new SecretError('m', 's'), 'SecretError', SecretError],
    [new SecretNotFoundError('s'), 'SecretNotFoundError', SecretError],
    [new SecretFetchError('s', new Error('down')), 'SecretFetchError', SecretError],
  ];

  it.each(cases.map(([err, name, family]) => ({ err, name, family })))('$name has its name and is a LifeboatError', ({ err, name, family }) => {
    expect(err.name).toBe(name);
    expect(err).toBeInstanceOf(LifeboatError);
    expect(err).toBeInstanceOf(family);
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toMatch(new RegExp(`^${name}: `));
  });

  it('a refusal thrown by core is one (signing with a bad nonce)', async () => {
    const err = await signRequest({ method: 'GET', path: '/v1/status', keyId: 'k', secret: new Uint8Array(32), nonce: 'nope', now: 0 })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SigningError);
    expect((err as Error).message).toBe('nonce must be 32-128 hex characters');
  });
});
