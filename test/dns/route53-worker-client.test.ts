/**
 * The Worker's own Route 53 client (workers/route53-client.ts, aliased for
 * @aws-sdk/client-route-53 in the Worker bundle) under the whole Route 53 provider suite:
 * route53.test.ts and route53-alias.test.ts, run again with the SDK module replaced by it, against the same loopback
 * Route 53. And its SigV4 signature, byte for byte the SDK signer's for the same request.
 */
import { describe, expect, it, vi } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256Js } from '@smithy/core/checksum';
import { signV4 } from '../../workers/route53-client.ts';

vi.mock('@aws-sdk/client-route-53', async () => {
  const lite = await import('../../workers/route53-client.ts');
  // The SDK in Node also reads AWS_ENDPOINT_URL_ROUTE_53 (one test of the suite uses it); a
  // Worker has no process environment, so its client takes `endpoint` from workers/dns.ts only.
  class Route53Client extends lite.Route53Client {
    constructor(config: ConstructorParameters<typeof lite.Route53Client>[0]) {
      super({ ...config, ...(config.endpoint ?? process.env.AWS_ENDPOINT_URL_ROUTE_53 ? { endpoint: config.endpoint ?? process.env.AWS_ENDPOINT_URL_ROUTE_53 } : {}) });
    }
  }
  return { ...lite, Route53Client };
});

await import('./route53.test.ts');
await import('./route53-alias.test.ts');

describe('SigV4 of the Worker Route 53 client', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const now = new Date('2026-11-29T23:45:07.123Z');
  const cases: { method: string; url: string; body: string; headers: Record<string, string> }[] = [
    { method: 'GET', url: 'https://route53.amazonaws.com/2013-04-01/hostedzone/Z0123456789ABC/rrset?name=_lifeboat.app.example.com.&type=TXT&maxitems=100', body: '', headers: {} },
    { method: 'GET', url: 'https://route53.amazonaws.com/2013-04-01/hostedzone/Z1/rrset?name=%5C052.example.com.&identifier=a%20b%2Bc&maxitems=300', body: '', headers: {} },
    { method: 'GET', url: 'http://127.0.0.1:8789/2013-04-01/change/C000000000001', body: '', headers: {} },
    { method: 'POST', url: 'https://route53.amazonaws.com/2013-04-01/hostedzone/Z1/rrset/', body: '<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest>&quot;é&quot;</ChangeResourceRecordSetsRequest>', headers: { 'content-type': 'application/xml' } },
  ];

  for (const withToken of [false, true]) {
    it.each(cases)(`$method $url${withToken ? ' (session token)' : ''}: the SDK signer's Authorization`, async ({ method, url, body, headers }) => {
      const creds = withToken ? { ...credentials, sessionToken: 'FQoGZXIvYXdzEXAMPLE//token=' } : credentials;
      const u = new URL(url);
      const mine = await signV4({ method, url: u, headers, body, service: 'route53', region: 'us-east-1', credentials: creds, now });
      const sdk = await new SignatureV4({ service: 'route53', region: 'us-east-1', credentials: creds, sha256: Sha256Js }).sign({
        method, protocol: u.protocol, hostname: u.hostname, ...(u.port ? { port: Number(u.port) } : {}), path: u.pathname,
        query: Object.fromEntries(u.searchParams), headers: { ...headers, host: u.host }, ...(body ? { body } : {}),
      }, { signingDate: now });
      expect(mine.authorization).toBe(sdk.headers.authorization);
      expect(mine['x-amz-date']).toBe(sdk.headers['x-amz-date']);
    });
  }

  it('a changed secret, body or query changes the signature', async () => {
    const base = { method: 'GET', url: new URL(cases[0]!.url), headers: {}, body: '', service: 'route53', region: 'us-east-1', credentials, now };
    const sig = async (over: Partial<typeof base>) => (await signV4({ ...base, ...over })).authorization;
    const original = await sig({});
    expect(await sig({ credentials: { ...credentials, secretAccessKey: 'other' } })).not.toBe(original);
    expect(await sig({ body: 'x' })).not.toBe(original);
    expect(await sig({ url: new URL(cases[0]!.url.replace('TXT', 'A')) })).not.toBe(original);
  });
});
