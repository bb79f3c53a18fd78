import { defineConfig } from 'vitest/config';

// Node tests live in test/ (mirroring the source tree); tests that must run inside workerd live
// in test/workers/ and have their own project (see vitest.workers.config.ts once it exists).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/workers/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      // Tests that run inside workerd (DNS providers in a Worker); its own config and pool.
      'test/workers/vitest.config.ts',
      // The Cloudflare Worker (workers/) inside workerd with the real wrangler.jsonc.
      'test/workers/cf/vitest.config.ts',
    ],
  },
});
