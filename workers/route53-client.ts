/**
 * The Route 53 client the Worker bundles in place of @aws-sdk/client-route-53 (wrangler.jsonc
 * aliases the package here): the three calls core/dns/route53.ts makes (ChangeResourceRecordSets,
 * ListResourceRecordSets, GetChange) over fetch, signed with AWS Signature Version 4 through
 * WebCrypto. The SDK with its schemas, protocols and retry stack is ~220 KB of the Worker; this is
 * ~6 KB. Same surface as the SDK for those calls: `new Route53Client(config).send(command)`,
 * answers shaped like the SDK's outputs, errors carrying `code` (Route 53's error code), `message`
 * and `$metadata.httpStatusCode`, no retries of its own (core's provider retries, as with
 * ROUTE53_CLIENT_DEFAULTS' maxAttempts 1). The signature is checked against the SDK's signer in
 * test/dns/route53-worker-client.test.ts, which also runs the whole Route 53 provider suite on it.
 */
import { LifeboatError, MissingDependencyError } from '#core/errors.ts';
import type {
  Change, ChangeResourceRecordSetsCommandInput, ChangeResourceRecordSetsCommandOutput, GetChangeCommandInput,
  GetChangeCommandOutput, ListResourceRecordSetsCommandInput, ListResourceRecordSetsCommandOutput, ResourceRecordSet,
} from '@aws-sdk/client-route-53';

export type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53';

const API = '/2013-04-01';
const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
/** Route 53 is global: its API is signed for us-east-1 at this host. */
const DEFAULT_ENDPOINT = 'https://route53.amazonaws.com';

export interface AwsCredentials { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }

export interface Route53ClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials: AwsCredentials;
  /** Accepted for the SDK's config shape; this client never retries (core's provider does). */
  readonly maxAttempts?: number;
}

export class ChangeResourceRecordSetsCommand {
  constructor(readonly input: ChangeResourceRecordSetsCommandInput) {}
}
export class ListResourceRecordSetsCommand {
  constructor(readonly input: ListResourceRecordSetsCommandInput) {}
}
export class GetChangeCommand {
  constructor(readonly input: GetChangeCommandInput) {}
}

/**
 * What Route 53 answered with an error. `code` is its error code (the SDK puts it in `name`;
 * core/dns/route53.ts reads either), `$metadata` as the SDK's.
 */
export class Route53ServiceError extends LifeboatError {
  override readonly name: string = 'Route53ServiceError';
  readonly code: string;
  readonly $metadata: { readonly httpStatusCode: number; readonly requestId?: string };
  constructor(code: string, message: string, status: number, requestId?: string) {
    super(message);
    this.code = code;
    this.$metadata = { httpStatusCode: status, ...(requestId ? { requestId } : {}) };
  }
}

interface Call { readonly method: 'GET' | 'POST'; readonly path: string; readonly query?: Record<string, string | undefined>; readonly body?: string }

export class Route53Client {
  private readonly endpoint: string;
  private readonly region: string;

  constructor(private readonly config: Route53ClientConfig) {
    this.endpoint = (config.endpoint ?? DEFAULT_ENDPOINT).replace(/\/$/, '');
    this.region = config.region ?? 'us-east-1';
  }

  send(command: ChangeResourceRecordSetsCommand): Promise<ChangeResourceRecordSetsCommandOutput>;
  send(command: ListResourceRecordSetsCommand): Promise<ListResourceRecordSetsCommandOutput>;
  send(command: GetChangeCommand): Promise<GetChangeCommandOutput>;
  async send(command: ChangeResourceRecordSetsCommand | ListResourceRecordSetsCommand | GetChangeCommand): Promise<unknown> {
    if (command instanceof ChangeResourceRecordSetsCommand) {
      const { HostedZoneId, ChangeBatch } = command.input;
      const xml = await this.call({ method: 'POST', path: `${API}/hostedzone/${bareId(HostedZoneId)}/rrset/`, body: changeBatchXml(ChangeBatch?.Comment, ChangeBatch?.Changes ?? []) });
      return { ChangeInfo: changeInfo(xml), $metadata: {} };
    }
    if (command instanceof ListResourceRecordSetsCommand) {
      const i = command.input;
      const xml = await this.call({
        method: 'GET', path: `${API}/hostedzone/${bareId(i.HostedZoneId)}/rrset`,
        query: { name: i.StartRecordName, type: i.StartRecordType, identifier: i.StartRecordIdentifier, maxitems: i.MaxItems === undefined ? undefined : String(i.MaxItems) },
      });
      const next = (tag: string) => text(xml.replace(/<ResourceRecordSets>[\s\S]*<\/ResourceRecordSets>/, ''), tag);
      return {
        ResourceRecordSets: elements(xml, 'ResourceRecordSet').map(recordSet),
        IsTruncated: text(xml, 'IsTruncated') === 'true',
        ...defined({ NextRecordName: next('NextRecordName'), NextRecordType: next('NextRecordType'), NextRecordIdentifier: next('NextRecordIdentifier') }),
        MaxItems: Number(text(xml, 'MaxItems') ?? i.MaxItems ?? 0),
        $metadata: {},
      };
    }
    if (command instanceof GetChangeCommand) {
      const xml = await this.call({ method: 'GET', path: `${API}/change/${bareId(command.input.Id).replace(/^change\//, '')}` });
      return { ChangeInfo: changeInfo(xml), $metadata: {} };
    }
    // E.g. a command built from the real SDK module while this client was aliased in only partly.
    throw new MissingDependencyError('Route53Client (Worker): only ChangeResourceRecordSets, ListResourceRecordSets and GetChange commands from this module are supported');
  }

  private async call(call: Call): Promise<string> {
    const url = new URL(`${this.endpoint}${call.path}`);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = call.body === undefined ? {} : { 'content-type': 'application/xml' };
    const signed = await signV4({ method: call.method, url, headers, body: call.body ?? '', service: 'route53', region: this.region, credentials: this.config.credentials, now: new Date() });
    // fetch sets Host itself, from the same URL the signature covers.
    const { host: _host, ...sent } = signed;
    const res = await fetch(url, { method: call.method, headers: sent, ...(call.body === undefined ? {} : { body: call.body }) });
    const body = await res.text();
    if (res.ok) return body;
    throw serviceError(body, res.status, res.headers.get('x-amzn-requestid') ?? undefined);
  }
}

/** `/hostedzone/Z1` and `/change/C1` as the SDK accepts them: the bare id goes in the path. */
const bareId = (id: string | undefined): string => (id ?? '').replace(/^\/?(hostedzone\/)?/, '');

function serviceError(xml: string, status: number, requestId?: string): Route53ServiceError {
  // <ErrorResponse><Error><Code>…</Code><Message>…</Message></Error>, or a root named after the
  // error (<InvalidChangeBatch><Messages><Message>…) as Route 53 answers rejected batches.
  const root = /<([A-Za-z]+)[\s>]/.exec(xml.replace(/<\?xml[^>]*\?>/, ''))?.[1];
  const code = text(xml, 'Code') ?? (root && root !== 'ErrorResponse' ? root : undefined) ?? `Http${status}Error`;
  const messages = elements(xml, 'Message').map(unescapeXml);
  return new Route53ServiceError(code, messages.length > 0 ? messages.join('; ') : `HTTP ${status}`, status, requestId ?? text(xml, 'RequestId'));
}

function changeInfo(xml: string): NonNullable<ChangeResourceRecordSetsCommandOutput['ChangeInfo']> {
  const submitted = text(xml, 'SubmittedAt');
  return {
    Id: text(xml, 'Id'), Status: text(xml, 'Status') as 'PENDING' | 'INSYNC' | undefined,
    SubmittedAt: submitted ? new Date(submitted) : undefined,
    ...defined({ Comment: text(xml, 'Comment') }),
  };
}

function recordSet(xml: string): ResourceRecordSet {
  const ttl = text(xml, 'TTL');
  const alias = elements(xml, 'AliasTarget')[0];
  return {
    Name: text(xml, 'Name'), Type: text(xml, 'Type') as ResourceRecordSet['Type'],
    ...defined({ SetIdentifier: text(xml, 'SetIdentifier'), TTL: ttl === undefined ? undefined : Number(ttl) }),
    ...(alias === undefined ? {} : { AliasTarget: { HostedZoneId: text(alias, 'HostedZoneId'), DNSName: text(alias, 'DNSName'), EvaluateTargetHealth: text(alias, 'EvaluateTargetHealth') === 'true' } }),
    ResourceRecords: elements(xml, 'ResourceRecord').map((r) => ({ Value: text(r, 'Value') })),
  };
}

function changeBatchXml(comment: string | undefined, changes: readonly Change[]): string {
  // Element order as in the API reference: ... TTL, ResourceRecords, AliasTarget.
  const records = (s: ResourceRecordSet) => s.ResourceRecords === undefined ? ''
    : `<ResourceRecords>${s.ResourceRecords.map((r) => `<ResourceRecord><Value>${escapeXml(r.Value ?? '')}</Value></ResourceRecord>`).join('')}</ResourceRecords>`;
  const alias = ({ AliasTarget: a }: ResourceRecordSet) => a === undefined ? ''
    : `<AliasTarget><HostedZoneId>${escapeXml(a.HostedZoneId ?? '')}</HostedZoneId><DNSName>${escapeXml(a.DNSName ?? '')}</DNSName>`
      + `<EvaluateTargetHealth>${a.EvaluateTargetHealth === true}</EvaluateTargetHealth></AliasTarget>`;
  const set = (s: ResourceRecordSet) => `<ResourceRecordSet><Name>${escapeXml(s.Name ?? '')}</Name><Type>${escapeXml(s.Type ?? '')}</Type>`
    + `${s.TTL === undefined ? '' : `<TTL>${s.TTL}</TTL>`}${records(s)}${alias(s)}</ResourceRecordSet>`;
  return `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="${NS}"><ChangeBatch>`
    + `${comment === undefined ? '' : `<Comment>${escapeXml(comment)}</Comment>`}<Changes>`
    + `${changes.map((c) => `<Change><Action>${escapeXml(c.Action ?? '')}</Action>${c.ResourceRecordSet ? set(c.ResourceRecordSet) : ''}</Change>`).join('')}`
    + '</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>';
}

/** The inner XML of every <tag> element (Route 53's answers nest no element in one of its own name). */
function elements(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
}

/** The text of the first <tag>, unescaped; undefined when absent. */
function text(xml: string, tag: string): string | undefined {
  const inner = elements(xml, tag)[0];
  return inner === undefined ? undefined : unescapeXml(inner);
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const unescapeXml = (s: string): string => s.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (_, e: string) =>
  e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITIES[e.toLowerCase()]!);
const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------
// AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).

export interface SignInput {
  readonly method: string;
  readonly url: URL;
  /** Lower-case names; host, x-amz-date, x-amz-content-sha256 (and the session token) are added. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly now: Date;
}

const encoder = new TextEncoder();
/** UTF-8 bytes; TextEncoder gives a fresh buffer of exactly these bytes. */
const utf8 = (s: string): ArrayBuffer => encoder.encode(s).buffer as ArrayBuffer;
const hex = (bytes: ArrayBuffer): string => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (data: string): Promise<string> => hex(await crypto.subtle.digest('SHA-256', utf8(data)));
async function hmac(key: ArrayBuffer, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', k, utf8(data));
}
/** RFC 3986 unreserved characters stay; everything else is %XX (upper case), as SigV4 requires. */
const uriEncode = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The request's headers with the SigV4 Authorization (and what it signs) added. */
export async function signV4(input: SignInput): Promise<Record<string, string>> {
  const amzDate = input.now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = await sha256(input.body);
  const headers: Record<string, string> = {
    ...input.headers, host: input.url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash,
    ...(input.credentials.sessionToken ? { 'x-amz-security-token': input.credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  // As the SDK does for every service but S3: the (already encoded) path is encoded once more.
  const path = uriEncode(input.url.pathname).replace(/%2F/g, '/');
  const query = [...input.url.searchParams].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
  const canonicalRequest = [input.method, path, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, await sha256(canonicalRequest)].join('\n');
  let key = await hmac(utf8(`AWS4${input.credentials.secretAccessKey}`), day);
  for (const part of [input.region, input.service, 'aws4_request']) key = await hmac(key, part);
  const signature = hex(await hmac(key, stringToSign));
  return { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}` };
}
