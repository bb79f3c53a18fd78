/**
 * Lambda function URL events (payload 2.0) to web-standard Requests and back, so the one Hono
 * app of core/api serves Lambda unchanged. The body reaches the app as the exact bytes the
 * caller sent (base64-decoded when the URL service encoded it), which the LB1 signature covers.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InputError } from '#core/errors.ts';

export function isFunctionUrlEvent(event: unknown): event is APIGatewayProxyEventV2 {
  const e = event as Partial<APIGatewayProxyEventV2> | null;
  return typeof e === 'object' && e !== null && typeof e.rawPath === 'string' && typeof e.requestContext?.http?.method === 'string';
}

/** The event cannot be turned into a Request (e.g. a header value that is not a ByteString). */
export class BadEventError extends InputError {
  override readonly name: string = 'BadEventError';
}

export function requestFromEvent(event: APIGatewayProxyEventV2): Request {
  const method = event.requestContext.http.method.toUpperCase();
  const host = event.requestContext.domainName || event.headers?.host || 'lambda-url.invalid';
  const url = `https://${host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
  const body = event.body === undefined || method === 'GET' || method === 'HEAD'
    ? undefined
    : new Uint8Array(Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'));
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers.set(name, value);
    if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
    // The URL service's Content-Length describes its (maybe base64) event, not the bytes we pass on.
    headers.delete('content-length');
    if (body) headers.set('content-length', String(body.byteLength));
    return new Request(url, { method, headers, ...(body ? { body } : {}) });
  } catch (err) {
    throw new BadEventError(`cannot build a request from the event: ${(err as Error).message}`, { cause: err });
  }
}

const TEXTUAL = /^(text\/|application\/(json|problem\+json|javascript|xml)|image\/svg)/i;

export async function resultFromResponse(response: Response): Promise<APIGatewayProxyStructuredResultV2> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => { headers[name] = value; });
  const type = response.headers.get('content-type') ?? 'text/plain';
  const bytes = Buffer.from(await response.arrayBuffer());
  const binary = !TEXTUAL.test(type);
  return { statusCode: response.status, headers, body: bytes.toString(binary ? 'base64' : 'utf8'), isBase64Encoded: binary };
}

export function jsonResult(statusCode: number, error: string, detail: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error, detail }), isBase64Encoded: false };
}
