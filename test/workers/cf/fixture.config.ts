/**
 * The Lifeboat config bundled into the Worker under test (aliased as `lifeboat-config` in
 * vitest.config.ts). The fixture servers' loopback URL is only known once the global setup has
 * started them, so it comes in as the FIXTURE_URL binding: read when the config is parsed (on
 * first use), not at import.
 */
import { env } from 'cloudflare:workers';
import { AWS_PROBE_KEY, CF_ZONE, ECDSA_PROBE_KEY, UNSET_OPERATOR_KEY, HINTS, INTERVAL_SECONDS, OPERATOR_KEY, PRIMARY_IP, PROBE_KEY, SECONDARY_IP, SERVICE } from './shared.ts';

const base = (): string => (env as unknown as { FIXTURE_URL: string }).FIXTURE_URL;

export default {
  get services() {
    return [{
      name: SERVICE,
      primary: { url: `${base()}/primary`, a: [PRIMARY_IP] },
      secondary: { url: `${base()}/secondary`, a: [SECONDARY_IP] },
      healthCheck: { type: 'http', path: '/health', timeoutMs: 2_000 },
      dns: [{ provider: 'cloudflare', zoneId: CF_ZONE, ttl: 60 }],
      policy: { minVotes: 2, failAfter: 1 },
    }];
  },
  vantagePoints: { aws: ['us-east-1'], cloudflare: [...HINTS] },
  probing: { intervalSeconds: INTERVAL_SECONDS, recheckDelayMs: 0 },
  get coordinators() {
    return { aws: { url: base() } };
  },
  keys: [
    { id: PROBE_KEY.id, scope: 'probe', speaksFor: ['cloudflare'] },
    { id: AWS_PROBE_KEY.id, scope: 'probe', speaksFor: ['aws'] },
    { id: OPERATOR_KEY.id, scope: 'operator' },
    { id: ECDSA_PROBE_KEY.id, scope: 'probe', speaksFor: ['cloudflare:weur'], publicKey: ECDSA_PROBE_KEY.publicKey },
    { id: UNSET_OPERATOR_KEY.id, scope: 'operator' },
  ],
};
