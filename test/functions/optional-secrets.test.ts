/**
 * Issue 14: optional secrets degrade, never stop, on the AWS side. The coordinator Lambda handler
 * (dynalite, the loopback Route 53 and Cloudflare APIs, BIND for RFC 2136, a loopback webhook) has
 * each optional secret taken away in turn: the webhook URL, the Cloudflare DNS token, the TSIG
 * secret and the peer read key. Each time /healthz answers, batches are accepted, the failover is
 * decided, every remaining DNS provider flips, and status names the missing secret in `degraded`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Route53Client } from '@aws-sdk/client-route-53';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE53_CLIENT_DEFAULTS } from '#core/dns/route53.ts';
import type { LifeboatConfigInput } from '#core/config/schema.ts';
import { jsonLogger } from '#core/log.ts';
import { loadConfig } from '#core/config/validate.ts';
import { createCoordinatorHandler, type CoordinatorHandler } from '../../functions/coordinator.ts';
import { staticSecretSource } from '../../functions/secrets.ts';
import { CloudflareFixture } from '../fixtures/cloudflare-server.ts';
import { Route53Fixture } from '../fixtures/route53-server.ts';
import { bindAvailable, startBind } from '../fixtures/bind.ts';
import type { DnsServerFixture } from '../fixtures/dns-server.ts';
import { startDynalite, type Dynalite } from './dynamo/dynalite.ts';
import { batchBody, functionUrlEvent, OPERATOR_KEY, PROBE_KEY, SERVICE, signedEvent, testConfigInput, ZONE_ID } from './helpers.ts';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const PRIMARY = '198.51.100.10';
const SECONDARY = '198.51.100.20';
const CF_TOKEN = 'cf-token-optional-secrets';
const CF_ZONE = 'c'.repeat(32);
const READ_KEY = { id: 'peer-read', hex: '44'.repeat(32) };
let clockNow = T0;
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** Each optional secret by its SSM parameter name. */
const SECRET = {
  webhook: '/lifeboat/webhooks/LIFEBOAT_HOOK_URL',
  cloudflareToken: '/lifeboat/cloudflare-token',
  tsig: '/lifeboat/dns/LIFEBOAT_TSIG_SECRET',
  peerReadKey: `/lifeboat/keys/${READ_KEY.id}`,
} as const;
type Optional = keyof typeof SECRET;

let db: Dynalite;
let bind: DnsServerFixture | undefined;
let hook: Server;
let hookUrl = '';
const hooked: { event: string; service: string }[] = [];
const r53 = new Route53Fixture();
const cf = new CloudflareFixture(CF_TOKEN);
let r53Endpoint = '';
let cfBase = '';

beforeAll(async () => {
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      hooked.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event: string; service: string });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  [db, r53Endpoint, cfBase, bind] = await Promise.all([startDynalite(), r53.start(), cf.start(), bindAvailable() ? startBind() : Promise.resolve(undefined)]);
}, 60_000);
afterAll(async () => {
  hook.closeAllConnections();
  await Promise.all([db.stop(), r53.stop(), cf.stop(), bind?.stop(), new Promise((r) => hook.close(r))]);
});

function configInput(): LifeboatConfigInput {
  const base = testConfigInput();
  const service = base.services[0]!;
  return {
    ...base,
    services: [{
      ...service,
      dns: [
        { provider: 'route53', hostedZoneId: ZONE_ID, ttl: 60 },
        { provider: 'cloudflare', zoneId: CF_ZONE, ttl: 60 },
        ...(bind ? [{ provider: 'rfc2136' as const, server: '127.0.0.1', port: bind.port, zone: 'example.com', keyName: bind.keyName, secretFrom: 'LIFEBOAT_TSIG_SECRET', ttl: 30 }] : []),
      ],
    }],
    keys: [...base.keys, { id: READ_KEY.id, scope: 'read' }],
    coordinators: { cloudflare: { url: 'http://127.0.0.1:9' } },
    notifications: { webhooks: [{ urlFromEnv: 'LIFEBOAT_HOOK_URL' }] },
  };
}

const http = async (h: CoordinatorHandler, event: Parameters<CoordinatorHandler>[0]) => (await h(event)) as APIGatewayProxyStructuredResultV2;
const json = (r: APIGatewayProxyStructuredResultV2) => JSON.parse(r.body ?? 'null') as Record<string, unknown>;

/** Every zone back on the primary, with no state record: each case starts from the same DNS. */
function resetZones(): void {
  r53.addZone(ZONE_ID, 'example.com');
  r53.seed(ZONE_ID, [{ name: SERVICE, type: 'A', ttl: 60, values: [PRIMARY] }]);
  cf.addZone(CF_ZONE);
  cf.seed(CF_ZONE, [{ name: SERVICE, type: 'A', content: PRIMARY, ttl: 60, proxied: false }]);
  bind?.nsupdate([`update delete ${SERVICE}. A`, `update delete _lifeboat.${SERVICE}. TXT`, `update add ${SERVICE}. 30 A ${PRIMARY}`, 'send']);
}

async function handlerWithout(missing: Optional): Promise<CoordinatorHandler> {
  const params: Record<string, string> = {
    [`/lifeboat/keys/${PROBE_KEY.id}`]: PROBE_KEY.hex,
    [`/lifeboat/keys/${OPERATOR_KEY.id}`]: OPERATOR_KEY.hex,
    [SECRET.peerReadKey]: READ_KEY.hex,
    [SECRET.webhook]: hookUrl,
    [SECRET.cloudflareToken]: CF_TOKEN,
    ...(bind ? { [SECRET.tsig]: bind.secret } : {}),
  };
  delete params[SECRET[missing]];
  return createCoordinatorHandler({
    config: () => loadConfig(configInput()),
    dynamo: () => db.client(),
    route53: () => new Route53Client({ region: 'us-east-1', endpoint: r53Endpoint, credentials: creds, ...ROUTE53_CLIENT_DEFAULTS }),
    secrets: () => staticSecretSource(params),
    tableName: await db.table(),
    keyParameterPrefix: '/lifeboat/keys/',
    cloudflareTokenParameter: SECRET.cloudflareToken,
    cloudflareBaseUrl: cfBase,
    webhookParameterPrefix: '/lifeboat/webhooks/',
    dnsParameterPrefix: '/lifeboat/dns/',
    clock: { now: () => clockNow },
    logger: jsonLogger(() => undefined, {}, 'error'),
    writeMetric: () => undefined,
  });
}


describe('the AWS coordinator without one optional secret at a time', () => {
  for (const missing of Object.keys(SECRET) as Optional[]) {
    it(`without the ${missing} secret: healthz, batches, the decision, the other providers flip, status says degraded`, async () => {
      if (missing === 'tsig' && !bind) return; // no BIND here: nothing uses the TSIG secret
      resetZones();
      hooked.length = 0;
      const handler = await handlerWithout(missing);
      expect((await http(handler, functionUrlEvent('GET', '/healthz', {}))).statusCode).toBe(200);

      // A warm-up round an interval before, then the decisive one (minVotes 1, failAfter 1).
      clockNow = T0 - 10_000;
      const warm = await http(handler, await signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:us-east-1', 'unhealthy', 'healthy', clockNow), clockNow));
      expect(warm.statusCode).toBe(200);
      clockNow = T0;
      const res = await http(handler, await signedEvent(PROBE_KEY, 'POST', '/v1/observations', batchBody('aws:us-east-1', 'unhealthy', 'healthy', T0), T0));
      expect(res.statusCode).toBe(200);
      expect(json(res)).toMatchObject({ accepted: 2, decisions: [{ service: SERVICE, to: 'secondary', epoch: 1 }] });

      // Every provider whose secret is there now serves the secondary; the one without keeps the primary.
      expect(r53.get(ZONE_ID, SERVICE, 'A')?.values).toEqual([SECONDARY]);
      expect(cf.records(CF_ZONE, SERVICE, 'A').map((r) => r.content)).toEqual([missing === 'cloudflareToken' ? PRIMARY : SECONDARY]);
      if (bind) expect(bind.digShort(SERVICE, 'A')).toEqual([missing === 'tsig' ? PRIMARY : SECONDARY]);
      // The webhook hears of the failover unless it is the missing secret.
      expect(hooked.filter((m) => m.event === 'failover' && m.service === SERVICE)).toHaveLength(missing === 'webhook' ? 0 : 1);

      const status = await http(handler, await signedEvent(OPERATOR_KEY, 'GET', '/v1/status', undefined, T0));
      expect(status.statusCode).toBe(200);
      const body = json(status) as { degraded: { secret: string }[]; alerts: { kind: string; message: string }[]; services: { active: string }[] };
      expect(body.degraded.map((d) => d.secret)).toEqual([SECRET[missing]]);
      expect(body.alerts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'degraded', message: expect.stringContaining(SECRET[missing]) })]));
      expect(body.services[0]).toMatchObject({ active: 'secondary' });
      // The schedule's tick runs too (housekeeping, the peer check when it has a key).
      expect(await handler({ version: '0', id: 'x', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '1', time: new Date(T0).toISOString(), region: 'us-east-1', resources: [], detail: {} })).toMatchObject({ ticked: true });
    });
  }
});
