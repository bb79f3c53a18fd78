/**
 * The workerd project: tests here run inside workerd (via @cloudflare/vitest-plugin), to
 * prove that core's DNS providers run in a Worker. The fixture servers run in Node (globalSetup)
 * and workerd reaches them over real loopback HTTP.
 */
import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';

// The browser build of @aws-sdk/xml-builder needs DOMParser, which workerd lacks; its plain-JS
// build works (see TOOLCHAIN.md). The Worker's wrangler config needs the same alias.
// Explicit, so the project behaves the same from the root `projects` list and with --config.
const root = fileURLToPath(new URL('.', import.meta.url));
const xmlBuilder = fileURLToPath(new URL('../../node_modules/@aws-sdk/xml-builder/dist-cjs/index.js', import.meta.url));

export default defineProject({
  root,
  cacheDir: fileURLToPath(new URL('../../node_modules/.vite/workers', import.meta.url)),
  plugins: [
    cloudflareTest({
      miniflare: { compatibilityDate: '2025-09-01', compatibilityFlags: [] },
    }),
  ],
  resolve: { alias: { '@aws-sdk/xml-builder': xmlBuilder } },
  test: {
    name: 'workers',
    include: ['**/*.test.ts'],
    // test/workers/cf/ is the Worker's own project (its own config and bindings).
    exclude: ['cf/**', '**/node_modules/**'],
    globalSetup: ['./global-setup.ts'],
    testTimeout: 20_000,
  },
});
