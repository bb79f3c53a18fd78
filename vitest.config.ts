import { defineConfig } from 'vitest/config';

// Projects: node (unit, property, contract tests; test/ mirrors the source tree), e2e (the
// whole system on loopback), and two inside workerd (test/workers/, each with its own config).
// The AWS SDK's notice that it will need Node 22 is known (docs/toolchain.md) and only buries output.
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/workers/**', 'test/e2e/**', 'node_modules/**'],
          environment: 'node',
          env,
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The whole system on loopback, judged by DNS queries (also `npm run e2e`).
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          env,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      // Tests that run inside workerd (DNS providers in a Worker); its own config and pool.
      'test/workers/vitest.config.ts',
      // The Cloudflare Worker (workers/) inside workerd with the real wrangler.jsonc.
      'test/workers/cf/vitest.config.ts',
    ],
  },
});
