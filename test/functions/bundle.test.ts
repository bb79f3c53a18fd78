/**
 * The Lambda bundles, built as the CDK app builds them (bench/lambda-bundles.ts: esbuild with
 * infra's NodejsFunction settings, AWS SDK clients external), stay small: size is cold-start time.
 * `import * as z from 'zod'` (never `import { z }`, which pulls in every locale) brought them from
 * 481/542 KiB to 134/195 KiB; the config embedded already checked (no zod config schema) and request
 * bodies on zod/mini brought them to 28/163 KiB (docs/benchmarks.md). 200 KiB is issue 13's budget.
 */
import { describe, expect, it } from 'vitest';
import { benchLambdaBundles } from '../../bench/lambda-bundles.ts';

const LAMBDA_BUDGET_BYTES = 200 * 1024;

describe('Lambda bundles', () => {
  it('functions/probe.ts and functions/coordinator.ts each fit in 200 KiB', async () => {
    const bundles = await benchLambdaBundles();
    expect(bundles.map((b) => b.entry)).toEqual(['functions/probe.ts', 'functions/coordinator.ts']);
    for (const b of bundles) {
      expect(b.bytes, `${b.entry}: ${(b.bytes / 1024).toFixed(1)} KiB; largest inputs ${b.top.map((t) => `${t.path} ${(t.bytes / 1024).toFixed(1)} KiB`).join(', ')}`)
        .toBeLessThan(LAMBDA_BUDGET_BYTES);
    }
  }, 60_000);
});
