/**
 * Shared by the Node side (global setups, vitest config) and the workerd side (tests, the
 * bundled test config): test identities, and the shapes the global setups hand to the tests.
 * The secrets are test-only, 32 bytes each, and never used anywhere else.
 */
export const PROBE_KEY = { id: 'probe-cf', secret: 'a1'.repeat(32) };
export const AWS_PROBE_KEY = { id: 'probe-aws', secret: 'b2'.repeat(32) };
export const OPERATOR_KEY = { id: 'ops-test', secret: 'c3'.repeat(32) };
/** An ECDSA probe key (LB1-ECDSA-P256-SHA256) for cloudflare:weur: the config holds the public half only. */
export const ECDSA_PROBE_KEY = {
  id: 'probe-cf-ecdsa',
  publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEpOUBQ9uJn6dVeidef+mE5WXRZr++i07lkTtRVW2XEk/syWvTE0qVwn+NpdcygrDfGJh2FkTqvYFO/mDF2h91aw==',
  privateKey: 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcUbEp+O8sOE/OBY+N8UTpPj+HRXW2SPaytdA0XCjJHihRANCAASk5QFD24mfp1V6J15/6YTlZdFmv76LTuWRO1FVbZcST+zJa9MTSpXCf42l1zKCsN8YmHYWROq9gU7+YMXaH3Vr',
};
/** An operator key in the config whose secret is never set: it alone must be refused. */
export const UNSET_OPERATOR_KEY = { id: 'ops-unset', secret: 'd4'.repeat(32) };

export const CF_TOKEN = 'cf-worker-test-token';
export const CF_ZONE = 'feed00feed00feed00feed00feed0000';
export const SERVICE = 'app.example.com';
export const PRIMARY_IP = '203.0.113.10';
export const SECONDARY_IP = '198.51.100.20';
export const HINTS = ['weur', 'apac', 'enam'] as const;
// Long, so that an alarm armed by a test is unlikely to fire on its own during the run.
export const INTERVAL_SECONDS = 300;

/** What the stand-in AWS coordinator recorded for one post. */
export interface AwsPost { keyId: string | undefined; body: unknown }

/** A request the loopback Cloudflare API recorded (test/fixtures/cloudflare-server.ts CfRequest). */
export interface CfRequestSeen { method: string; path: string; query: Record<string, string>; body?: unknown; authorized: boolean }
export interface CfRecordSeen { id: string; name: string; type: string; content: string; ttl: number; proxied: boolean }

/** What bundle-setup.ts found in the deployable bundle. */
export interface BundleReport {
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Every module specifier the bundle still imports or requires at run time. */
  readonly imports: string[];
  readonly healthzStatus: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cfWorkerWorldUrl: string;
    cfWorkerApiUrl: string;
    cfBundle: BundleReport;
  }
}
