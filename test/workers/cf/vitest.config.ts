/**
 * The Cloudflare Worker project: workers/ (entry, Prober, CoordinatorObject, storage adapters)
 * runs inside workerd with the real workers/wrangler.jsonc (bindings, migrations, compat date).
 * The config is the test one (fixture.config.ts); the fixture servers run in Node (globalSetup)
 * and their URLs and the test secrets come in as bindings.
 */
import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';
import { AWS_PROBE_KEY, CF_TOKEN, OPERATOR_KEY, PROBE_KEY } from './shared.ts';
import { keyEnvVar } from '#core/signing/keys.ts';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineProject({
  root: here('.'),
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: here('../../../workers/index.ts'),
      wrangler: { configPath: here('../../../workers/wrangler.jsonc') },
      miniflare: {
        bindings: {
          FIXTURE_URL: inject('cfWorkerWorldUrl'),
          CLOUDFLARE_API_BASE_URL: inject('cfWorkerApiUrl'),
          CLOUDFLARE_API_TOKEN: CF_TOKEN,
          PROBE_KEY_ID: PROBE_KEY.id,
          [keyEnvVar(PROBE_KEY.id)]: PROBE_KEY.secret,
          [keyEnvVar(AWS_PROBE_KEY.id)]: AWS_PROBE_KEY.secret,
          [keyEnvVar(OPERATOR_KEY.id)]: OPERATOR_KEY.secret,
        },
      },
    })),
  ],
  resolve: {
    alias: {
      'lifeboat-config': here('./checked.config.ts'),
      // As in wrangler.jsonc: the Worker's own Route 53 client, not the AWS SDK.
      '@aws-sdk/client-route-53': here('../../../workers/route53-client.ts'),
    },
  },
  test: {
    name: 'workers-cf',
    include: ['**/*.test.ts'],
    globalSetup: ['./global-setup.ts', './bundle-setup.ts'],
    testTimeout: 20_000,
  },
});
