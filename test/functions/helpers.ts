/** Config, events and signing helpers for the Lambda handler tests. */
import type { APIGatewayProxyEventV2, ScheduledEvent } from 'aws-lambda';
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfig, LifeboatConfigInput } from '#core/config/schema.ts';
import { signRequest } from '#core/signing/lb1.ts';

export const PROBE_KEY = { id: 'probe-aws', hex: '11'.repeat(32) };
export const OPERATOR_KEY = { id: 'ops-alice', hex: '22'.repeat(32) };
export const ZONE_ID = 'ZTESTZONE0001';
export const SERVICE = 'app.example.com';

export function testConfigInput(extra: Partial<LifeboatConfigInput> = {}): LifeboatConfigInput {
  return {
    services: [{
      name: SERVICE,
      primary: { url: 'http://127.0.0.1:9/', a: ['198.51.100.10'] },
      secondary: { url: 'http://127.0.0.1:9/', a: ['198.51.100.20'] },
      healthCheck: { type: 'http', path: '/healthz', timeoutMs: 1_000 },
      dns: [{ provider: 'route53', hostedZoneId: ZONE_ID, ttl: 60 }],
      policy: { minVotes: 1, failAfter: 1 },
    }],
    vantagePoints: { aws: ['us-east-1', 'eu-west-1', 'ap-northeast-2'], cloudflare: [] },
    keys: [{ id: PROBE_KEY.id, scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: OPERATOR_KEY.id, scope: 'operator' }],
    ...extra,
  };
}

export const testConfig = (extra: Partial<LifeboatConfigInput> = {}): LifeboatConfig => loadConfig(testConfigInput(extra));

const hexBytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const DOMAIN = 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws';

/** A function URL invocation event (payload 2.0) as Lambda delivers it: lower-case headers. */
export function functionUrlEvent(method: string, path: string, headers: Record<string, string>, body?: string, base64 = false): APIGatewayProxyEventV2 {
  const [rawPath, rawQueryString = ''] = path.split('?') as [string, string?];
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    version: '2.0', routeKey: '$default', rawPath, rawQueryString,
    headers: {
      host: DOMAIN, 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'x-forwarded-for': '203.0.113.9',
      'x-amzn-trace-id': 'Root=1-65f00000-000000000000000000000000', 'user-agent': 'lifeboat-test',
      ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
      ...lower,
    },
    requestContext: {
      accountId: 'anonymous', apiId: 'abcdefghijklmnopqrstuvwxyz012345', domainName: DOMAIN, domainPrefix: 'abcdefghijklmnopqrstuvwxyz012345',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'lifeboat-test' },
      requestId: crypto.randomUUID(), routeKey: '$default', stage: '$default', time: '22/Nov/2026:10:00:00 +0000', timeEpoch: Date.now(),
    },
    ...(body !== undefined ? { body: base64 ? Buffer.from(body).toString('base64') : body, isBase64Encoded: base64 } : { isBase64Encoded: false }),
  };
}

/** A correctly LB1-signed function URL event; `base64` mimics the URL service encoding the body. */
export async function signedEvent(key: { id: string; hex: string }, method: string, path: string, body: string | undefined, now: number, base64 = true): Promise<APIGatewayProxyEventV2> {
  const headers = await signRequest({ method, path, ...(body !== undefined ? { body } : {}), keyId: key.id, secret: hexBytes(key.hex), now });
  return functionUrlEvent(method, path, { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body, base64);
}

export function scheduledEvent(region = 'us-east-1', at = new Date()): ScheduledEvent {
  return {
    version: '0', id: crypto.randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012',
    time: at.toISOString(), region, resources: [`arn:aws:events:${region}:123456789012:rule/lifeboat-coordinator-tick`], detail: {},
  };
}

/** A batch from one VP: primary/secondary verdicts for the test service. */
export function batchBody(vp: string, primary: 'healthy' | 'unhealthy', secondary: 'healthy' | 'unhealthy', now: number, round = 1): string {
  return JSON.stringify({
    vantagePoint: vp, round, sentAt: now, controlOk: true,
    results: [
      { service: SERVICE, target: 'primary', verdict: primary, observedAt: now, ...(primary === 'unhealthy' ? { failure: 'timeout' } : {}), latencyMs: 12 },
      { service: SERVICE, target: 'secondary', verdict: secondary, observedAt: now, latencyMs: 15 },
    ],
  });
}
