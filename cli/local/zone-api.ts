/**
 * Serves the embedded zones over loopback HTTP for coordinators in other processes (the Worker in
 * workerd): POST /zones/<zone>/read {service} and /zones/<zone>/apply {plan}.
 * The client is core/dns/http-zone.ts. Each call goes through the zone's own DnsProvider, so the
 * compare-and-swap and idempotency are exactly those of the embedded provider.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { DnsPlan, DnsProvider, ServiceDns } from '#core/dns/types.ts';

export interface ZoneApi {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY = 256 * 1024;

/** `provider` is usually cli/local/embedded-router.ts over every embedded zone. */
export async function startZoneApi(provider: DnsProvider, token: string, host = '127.0.0.1', port = 0): Promise<ZoneApi> {
  const expected = Buffer.from(`Bearer ${token}`);
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) return reply(401, { error: 'unauthorized', detail: 'bad or missing bearer token' });
    const match = /^\/zones\/([^/]+)\/(read|apply)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return reply(404, { error: 'not_found', detail: `${req.method} ${req.url}` });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= MAX_BODY) chunks.push(c); });
    req.on('end', () => {
      if (size > MAX_BODY) return reply(413, { error: 'body_too_large', detail: `over ${MAX_BODY} bytes` });
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { service?: string; plan?: DnsPlan };
          if (match[2] === 'read') {
            if (typeof body.service !== 'string') return reply(400, { error: 'invalid_request', detail: 'service: required' });
            return reply(200, await provider.read({ service: body.service } as ServiceDns));
          }
          if (!body.plan) return reply(400, { error: 'invalid_request', detail: 'plan: required' });
          return reply(200, await provider.apply(body.plan));
        } catch (err) {
          return reply(500, { error: 'internal', detail: (err as Error).message });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
