/**
 * The config `npm start` runs: everything on this machine. Local vantage points stand in for the
 * AWS regions and Cloudflare locations named here; the embedded DNS server stands in for Route 53
 * and Cloudflare DNS; `lifeboat run` starts a primary and a secondary site on 127.0.0.11 and
 * 127.0.0.12 so there is something real to watch. For a real deployment start from
 * examples/production.config.ts.
 */
import { defineConfig } from './core/config/schema.ts';

export default defineConfig({
  services: [
    {
      name: 'app.lifeboat.test',
      primary: { url: 'http://127.0.0.11:8080', a: ['127.0.0.11'] },
      secondary: { url: 'http://127.0.0.12:8080', a: ['127.0.0.12'] },
      healthCheck: { type: 'http', path: '/healthz', expectStatus: [200], bodyContains: 'ok', maxLatencyMs: 1000, timeoutMs: 1500 },
      dns: [{ provider: 'embedded', ttl: 5 }],
    },
  ],
  vantagePoints: {
    aws: ['ap-northeast-2', 'us-east-1', 'eu-west-1'],
    cloudflare: ['apac', 'weur', 'enam'],
  },
  probing: { intervalSeconds: 2, recheckDelayMs: 300, controlUrls: [] },
  policy: { minVotes: 3, failAfter: 2 },
  // One probe key per provider (ECDSA: coordinators hold only the public key). The local run makes
  // a fresh key pair per probe key, or uses LIFEBOAT_KEY_<ID> when set, and writes every key to
  // .lifeboat/run/keys/<id> (0600); the public keys below stand in for the ones it makes.
  keys: [
    { id: 'local-probe-aws', scope: 'probe', speaksFor: ['aws'], publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEO0e4jbOyw8+sTRAKQXpzJxgsooSt36NT9fkylr4upxtY0p2aZJMqTIjZ4XFiJv09cAozA4GDZm+dy1/gEvoX3w==' },
    { id: 'local-probe-cloudflare', scope: 'probe', speaksFor: ['cloudflare'], publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEV8fxj8XXVhLy9MPFWnrXLJ23qc44+OQPikoMwtWwItYobIyU5UzB2WsFUyTZevNPzmKavCWYoQnDQI3d3wc3Jw==' },
    { id: 'local-operator', scope: 'operator' },
  ],
});
