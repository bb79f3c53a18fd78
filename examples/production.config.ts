/**
 * A realistic two-provider deployment: Route 53 and Cloudflare DNS, five AWS regions and four
 * Cloudflare locations probing, a coordinator on each provider. Validate it with
 * `npm run -s lifeboat -- validate examples/production.config.ts`.
 * Key ids only: secrets live in SSM / wrangler secrets (see `lifeboat keygen`).
 */
import { defineConfig } from '../core/config/schema.ts';

export default defineConfig({
  services: [
    {
      // The Kakao case: the main app, served from Pangyo, with a warm standby in another region.
      name: 'app.example.com',
      primary: { url: 'https://pangyo.origin.example.com', a: ['203.0.113.10', '203.0.113.11'] },
      secondary: { url: 'https://ansan.origin.example.com', a: ['198.51.100.20', '198.51.100.21'] },
      healthCheck: {
        type: 'http',
        path: '/healthz',
        headers: { 'user-agent': 'lifeboat-probe/1' },
        expectStatus: ['200-299'],
        jsonField: { path: 'status', equals: 'ok' },
        maxLatencyMs: 2000,
        timeoutMs: 5000,
      },
      dns: [
        { provider: 'route53', hostedZoneId: 'Z0EXAMPLE123456', ttl: 30 },
        { provider: 'cloudflare', zoneId: '023e105f4ecef8ad9ca31a8372d0c353', ttl: 60, proxied: true },
      ],
    },
    {
      name: 'pay.example.com',
      primary: { url: 'https://pay-pangyo.origin.example.com', cname: 'pay-pangyo.origin.example.com' },
      secondary: { url: 'https://pay-dr.origin.example.com', cname: 'pay-dr.origin.example.com' },
      healthCheck: { type: 'http', path: '/health/deep', expectStatus: [200], bodyContains: 'db=ok', maxLatencyMs: 1500 },
      dns: [{ provider: 'route53', hostedZoneId: 'Z0EXAMPLE123456', ttl: 30 }],
      // Payments: fail back only by hand, and damp flapping harder.
      policy: { failback: 'manual', minDwellSeconds: 1800 },
    },
    {
      name: 'mqtt.example.com',
      primary: { url: 'https://mqtt-pangyo.origin.example.com', a: ['203.0.113.30'] },
      secondary: { url: 'https://mqtt-dr.origin.example.com', a: ['198.51.100.30'] },
      healthCheck: { type: 'tcp', port: 8883, timeoutMs: 3000 },
      dns: [{ provider: 'cloudflare', zoneId: '023e105f4ecef8ad9ca31a8372d0c353', ttl: 60 }],
      policy: { failback: 'auto', recoverAfterSeconds: 900 },
    },
  ],
  vantagePoints: {
    aws: ['ap-northeast-2', 'ap-northeast-1', 'us-east-1', 'eu-west-1', 'sa-east-1'],
    cloudflare: ['apac', 'weur', 'enam', 'wnam'],
  },
  probing: {
    intervalSeconds: 10,
    recheckDelayMs: 1000,
    controlUrls: ['https://www.cloudflare.com/cdn-cgi/trace', 'https://checkip.amazonaws.com/'],
  },
  policy: { minVotes: 3, failAfter: 2, freshnessIntervals: 3, minDwellSeconds: 900 },
  coordinators: {
    aws: { url: 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/' },
    cloudflare: { url: 'https://lifeboat.example.workers.dev/' },
  },
  keys: [
    // One probe key per provider: a stolen key of one provider cannot vote as the other. Only the
    // public key is here; each private key is a secret of its own provider's probes.
    { id: 'probe-aws-2026-11', scope: 'probe', speaksFor: ['aws'], publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtOGGbVUUchUTYvFZI6QyLbhSzz3Az5MfECCHrOdeJUTiS5gnZ+xexjjOL1d3l1ryQdT1sNsehwW0Wae1HQXWMQ==' },
    { id: 'probe-cf-2026-11', scope: 'probe', speaksFor: ['cloudflare'], publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE0qHvDKbCnSaJL/OY3oRmi9+ltGA1D/I2ID54wIwYyVPRdFb5tTsh4aUnzbdFfiYFFE2aDFirlTik50pYfqzKKQ==' },
    { id: 'ops-oncall', scope: 'operator' },
  ],
});
