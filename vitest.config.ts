import { defineConfig } from 'vitest/config';

// Projects: node (unit, property, contract tests; test/ mirrors the source tree), e2e (the
// whole system on loopback), and two inside workerd (test/workers/, each with its own config).

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/workers/**', 'test/e2e/**', 'node_modules/**'],
          environment: 'node',
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
