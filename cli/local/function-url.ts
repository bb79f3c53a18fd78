/**
 * A Lambda function URL on loopback: each HTTP request becomes a real function URL event
 * (payload 2.0) handed to the Lambda handler, and its result becomes the HTTP response. This
 * is how the local run exercises the AWS coordinator's own handler code in Node.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type UrlHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2 | unknown>;

export interface FunctionUrl {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_PAYLOAD = 6 * 1024 * 1024; // Lambda's synchronous invocation limit

export function eventFromRequest(req: IncomingMessage, body: Buffer, host: string): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', `http://${host}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: host,
      domainPrefix: 'local',
      http: { method: req.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: crypto.randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    // The function URL service base64-encodes bodies; do the same so decoding is exercised.
    ...(body.length ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

export async function startFunctionUrl(handler: UrlHandler, host = '127.0.0.1', port = 0): Promise<FunctionUrl> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= MAX_PAYLOAD) chunks.push(c); });
    req.on('end', () => {
      if (size > MAX_PAYLOAD) {
        res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'payload_too_large', detail: 'over the 6 MB Lambda limit' }));
        return;
      }
      const { address, port: bound } = server.address() as AddressInfo;
      handler(eventFromRequest(req, Buffer.concat(chunks), `${address}:${bound}`)).then((raw) => {
        const result = raw as APIGatewayProxyStructuredResultV2;
        const body = result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
        res.writeHead(result.statusCode ?? 200, { ...(result.headers as Record<string, string> | undefined) }).end(body);
      }, (err: Error) => {
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'function_error', detail: err.message }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
