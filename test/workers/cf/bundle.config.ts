/** A production-shaped config (both DNS providers) for building the real bundle in bundle-setup.ts. */
import { CF_ZONE, OPERATOR_KEY, PROBE_KEY, SERVICE } from './shared.ts';

export default {
  services: [{
    name: SERVICE,
    primary: { url: 'https://primary.example.com', a: ['203.0.113.10'] },
    secondary: { url: 'https://secondary.example.com', a: ['198.51.100.20'] },
    healthCheck: { type: 'http', path: '/health' },
    dns: [{ provider: 'cloudflare', zoneId: CF_ZONE }, { provider: 'route53', hostedZoneId: 'Z0123456789ABC' }],
  }, {
    name: 'db.example.com',
    primary: { url: 'https://db1.example.com', a: ['203.0.113.11'] },
    secondary: { url: 'https://db2.example.com', a: ['198.51.100.21'] },
    healthCheck: { type: 'tcp', port: 5432 },
    dns: [{ provider: 'route53', hostedZoneId: 'Z0123456789ABC' }],
  }],
  vantagePoints: { aws: ['us-east-1', 'eu-west-1'], cloudflare: ['weur', 'apac', 'enam'] },
  coordinators: { aws: { url: 'https://aws-coordinator.example.com' }, cloudflare: { url: 'https://lifeboat.example.workers.dev' } },
  keys: [{ id: PROBE_KEY.id, scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: OPERATOR_KEY.id, scope: 'operator' }],
};
