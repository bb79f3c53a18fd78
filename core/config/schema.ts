import * as z from 'zod';
import { rfc2136RecordSchema } from './rfc2136-schema.ts';
import { normaliseName } from '../model.ts';
import { NOTIFY_EVENTS } from '../engine/decision.ts';
import { DEFAULT_INTERVAL_SECONDS } from '../engine/policy.ts';
import { policySchema } from './policy-schema.ts';
import { TIME_RE, TIMEZONE_RE, WEEKDAYS } from '../engine/maintenance.ts';
import { isP256PublicKeyText } from '../signing/ecdsa.ts';

/**
 * The one Lifeboat config, validated with zod. Objects are strict: an unknown key (a typo) is an
 * error that names it, not something silently ignored. Secrets never appear here, only key ids.
 */

const hostname = z.string().min(1).max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/i,
    'must be a DNS name such as app.example.com');
const ipv4 = z.ipv4();
const ipv6 = z.ipv6();
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** A status code (`200`) or an inclusive range (`"200-299"`). */
export const statusMatcher = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^[1-5]\d\d-[1-5]\d\d$/, 'must be a status code or a range such as "200-299"')
    .refine((r) => {
      const [lo, hi] = r.split('-').map(Number);
      return lo! <= hi!;
    }, 'range must go from low to high'),
]);

const httpCheck = z.strictObject({
  type: z.literal('http'),
  path: z.string().startsWith('/', 'must start with /').default('/'),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a header name'), z.string())
    .default({}),
  expectStatus: z.array(statusMatcher).min(1).default(['200-299']),
  bodyContains: z.string().min(1).optional(),
  bodyMatches: z.string().min(1).refine((src) => {
    try { new RegExp(src); return true; } catch { return false; }
  }, 'must be a valid regular expression').optional(),
  jsonField: z.strictObject({
    path: z.string().min(1).describe('Dotted path into the JSON body, e.g. "checks.db.status".'),
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()]),
  }).optional(),
  maxLatencyMs: z.number().int().positive().optional()
    .describe('A response slower than this is a failure of class "latency".'),
  timeoutMs: z.number().int().min(100).max(30_000).default(5_000),
});

const tcpCheck = z.strictObject({
  type: z.literal('tcp'),
  port: z.number().int().min(1).max(65535),
  timeoutMs: z.number().int().min(100).max(30_000).default(5_000),
});

export const healthCheckSchema = z.discriminatedUnion('type', [httpCheck, tcpCheck]);

/** Route 53 hosted zone ids: Z and up to 31 upper-case letters and digits. */
const route53ZoneId = z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id such as Z0123456789ABC');

/**
 * A Route 53 alias record (an ALB, NLB, CloudFront distribution, API Gateway...): the name is
 * answered with the resource's own addresses. `hostedZoneId` is the resource's zone (the ALB's
 * CanonicalHostedZoneID, Z2FDTNDATAQYW2 for CloudFront), not the zone the record lives in.
 */
export const aliasTargetSchema = z.strictObject({
  dnsName: hostname.describe('The resource\'s DNS name, e.g. my-alb-123.eu-west-1.elb.amazonaws.com or d111111abcdef8.cloudfront.net.'),
  hostedZoneId: route53ZoneId.describe('The hosted zone id of the resource (an ALB\'s CanonicalHostedZoneID; Z2FDTNDATAQYW2 for CloudFront).'),
  evaluateTargetHealth: z.boolean().default(false)
    .describe('Route 53 answers only while the resource is healthy (EvaluateTargetHealth). Default false: Lifeboat decides.'),
  ipv6: z.boolean().default(false)
    .describe('Also write an AAAA alias (a dual-stack ALB or CloudFront with IPv6 on). Default: an A alias only.'),
});

/** One site: where probes go, and what DNS says while it is active. */
export const targetSchema = z.strictObject({
  url: httpUrl.describe('Base URL the health check is sent to (the check path is appended). With alias, a URL that reaches the same resource with a valid certificate.'),
  a: z.array(ipv4).min(1).optional().describe('A records while this target is active.'),
  aaaa: z.array(ipv6).min(1).optional().describe('AAAA records while this target is active.'),
  cname: hostname.optional().describe('CNAME while this target is active (excludes a and aaaa).'),
  alias: aliasTargetSchema.optional().describe('Route 53 zones only: an alias record to an AWS resource while this target is active (excludes a, aaaa and cname).'),
}).check((ctx) => {
  const t = ctx.value;
  if (t.alias && (t.a || t.aaaa || t.cname)) {
    ctx.issues.push({ code: 'custom', input: t, path: ['alias'], message: `an alias cannot be combined with ${['a', 'aaaa', 'cname'].filter((k) => t[k as 'a' | 'aaaa' | 'cname'] !== undefined).join(', ')}: give alias alone` });
  } else if (t.cname && (t.a || t.aaaa)) {
    ctx.issues.push({ code: 'custom', input: t, path: ['cname'], message: 'a CNAME cannot be combined with a or aaaa records' });
  }
  if (!t.cname && !t.a && !t.aaaa && !t.alias) {
    ctx.issues.push({ code: 'custom', input: t, path: ['a'], message: 'give the records this target serves: a, aaaa, cname or alias (Route 53)' });
  }
});

const ttl = z.number().int().min(1).max(86_400);

export const dnsRecordSchema = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('route53'),
    hostedZoneId: route53ZoneId,
    ttl: ttl.default(60),
    checkPropagation: z.boolean().optional()
      .describe('After a change, follow it with GetChange until Route 53 reports it INSYNC on its name servers, and show "propagated at" in the status. Default true.'),
  }),
  z.strictObject({
    provider: z.literal('cloudflare'),
    zoneId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a 32-character Cloudflare zone id'),
    ttl: ttl.default(60).describe('1 means automatic; otherwise at least 60 (30 on Enterprise).'),
    proxied: z.boolean().default(false),
  }),
  z.strictObject({
    provider: z.literal('embedded'),
    ttl: ttl.default(5),
  }),
  // A zone on BIND, Knot, PowerDNS...: RFC 2136 updates signed with TSIG (docs/rfc2136.md).
  rfc2136RecordSchema,
]);

export const serviceSchema = z.strictObject({
  name: hostname.describe('The protected DNS name.'),
  primary: targetSchema,
  secondary: targetSchema,
  healthCheck: healthCheckSchema,
  dns: z.array(dnsRecordSchema).min(1),
  policy: policySchema.partial().default({}),
  mode: z.enum(['control-plane', 'data-plane']).optional()
    .describe('control-plane (default): a flip writes DNS records. data-plane (Route 53 zones only): Route 53 failover records follow the coordinators\' verdicts through health checks, with no Route 53 API call during an incident (docs/data-plane.md).'),
});

const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as ap-northeast-2');
export const CLOUDFLARE_LOCATION_HINTS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'] as const;

/** Five regions on four continents, Seoul among them: a fire in one region cannot silence a quorum. */
export const DEFAULT_AWS_REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-2', 'ap-southeast-2', 'sa-east-1'];

export const vantagePointsSchema = z.strictObject({
  aws: z.array(awsRegion).default(DEFAULT_AWS_REGIONS)
    .describe('AWS regions that run a probe Lambda; [] for none. Default: five regions on four continents.'),
  cloudflare: z.array(z.enum(CLOUDFLARE_LOCATION_HINTS)).default([]),
});

export const probingSchema = z.strictObject({
  intervalSeconds: z.number().int().min(1).max(300).default(DEFAULT_INTERVAL_SECONDS),
  recheckDelayMs: z.number().int().min(0).max(10_000).default(1_000)
    .describe('A failed probe is repeated once after this delay before it counts.'),
  controlUrls: z.array(httpUrl).default([])
    .describe('Canaries: a VP that reaches none of these, nor any target, abstains.'),
});

export const KEY_ALGORITHMS = ['hmac-sha256', 'ecdsa-p256'] as const;

/** `aws`, `cloudflare` (every vantage point of that provider) or one vantage point, `aws:us-east-1`. */
const speaksForEntry = z.string().regex(/^(aws|cloudflare)(:[a-z0-9-]{1,40})?$/,
  'must be a provider ("aws", "cloudflare") or a vantage point such as "aws:us-east-1" or "cloudflare:apac"');

const SPEAKS_FOR_HOW = 'name the vantage points this key may post for, e.g. speaksFor: ["aws"] (every AWS region) or ["cloudflare:apac"]; '
  + 'use one probe key per provider, so a stolen key of one cannot vote as the other';

export const keySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/, 'must be 3-64 letters, digits, ".", "_" or "-"'),
  scope: z.enum(['probe', 'operator', 'read'])
    .describe('probe: posts observations; operator: overrides, reads status and audit; read: reads status and audit only (what each coordinator uses to watch the other).'),
  algorithm: z.enum(KEY_ALGORITHMS).optional()
    .describe('Signature scheme: ecdsa-p256 (LB1-ECDSA-P256-SHA256, probe keys only) or hmac-sha256 (LB1-HMAC-SHA256). Default: ecdsa-p256 when publicKey is given, else hmac-sha256.'),
  publicKey: z.string().refine(isP256PublicKeyText, 'must be a P-256 public key: base64 SPKI DER or PEM, as `lifeboat keygen --scope probe` prints').optional()
    .describe('Public key of an ecdsa-p256 probe key. Coordinators verify with it; the private key stays with the probes of its provider.'),
  speaksFor: z.array(speaksForEntry).min(1).optional()
    .describe('Probe keys only: the vantage points (aws:us-east-1) or providers (aws) this key may post observations for.'),
}).check((ctx) => {
  const k = ctx.value;
  const algorithm = k.algorithm ?? (k.publicKey !== undefined ? 'ecdsa-p256' : 'hmac-sha256');
  if (k.scope === 'probe' && k.speaksFor === undefined) {
    ctx.issues.push({ code: 'custom', input: k, path: ['speaksFor'], message: `a probe key must say what it speaks for: ${SPEAKS_FOR_HOW}` });
  }
  if (k.scope !== 'probe' && k.speaksFor !== undefined) {
    ctx.issues.push({ code: 'custom', input: k.speaksFor, path: ['speaksFor'], message: `only probe keys speak for vantage points; remove it from this ${k.scope} key` });
  }
  if (k.scope !== 'probe' && algorithm !== 'hmac-sha256') {
    ctx.issues.push({ code: 'custom', input: k, path: [k.publicKey !== undefined ? 'publicKey' : 'algorithm'], message: `${k.scope} keys use LB1-HMAC-SHA256: remove publicKey/algorithm` });
  }
  if (algorithm === 'ecdsa-p256' && k.publicKey === undefined) {
    ctx.issues.push({ code: 'custom', input: k, path: ['publicKey'], message: 'an ecdsa-p256 key needs its publicKey (base64 SPKI DER or PEM); `lifeboat keygen --scope probe` makes one' });
  }
  if (algorithm === 'hmac-sha256' && k.publicKey !== undefined) {
    ctx.issues.push({ code: 'custom', input: k.publicKey, path: ['publicKey'], message: 'an hmac-sha256 key has no public key: remove publicKey or set algorithm "ecdsa-p256"' });
  }
});

export const coordinatorSchema = z.strictObject({
  url: httpUrl,
});

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, e.g. 2026-03-01T02:00:00Z' });

/** A window in which automation is frozen (docs/override.md): one-off (start/end) or weekly. */
export const maintenanceWindowSchema = z.strictObject({
  services: z.array(hostname).min(1).optional().describe('Services the window applies to; default all.'),
  start: isoTime.optional(),
  end: isoTime.optional(),
  recurring: z.strictObject({
    weekdays: z.array(z.enum(WEEKDAYS)).min(1),
    startTime: z.string().regex(TIME_RE, 'must be HH:MM, 24-hour, e.g. "02:30"'),
    durationMinutes: z.number().int().min(1).max(7 * 24 * 60),
    timezone: z.string().regex(TIMEZONE_RE, 'must be "UTC" or a fixed offset such as "+09:00"').default('UTC'),
  }).optional(),
  reason: z.string().max(200).optional(),
}).check((ctx) => {
  const w = ctx.value;
  if (w.recurring && (w.start || w.end)) {
    ctx.issues.push({ code: 'custom', input: w, path: ['recurring'], message: 'give either start/end (one-off) or recurring, not both' });
  } else if (!w.recurring) {
    if (!w.start) ctx.issues.push({ code: 'custom', input: w, path: ['start'], message: 'a one-off window needs start and end (or use recurring)' });
    if (!w.end) ctx.issues.push({ code: 'custom', input: w, path: ['end'], message: 'a one-off window needs start and end (or use recurring)' });
    if (w.start && w.end && Date.parse(w.end) <= Date.parse(w.start)) {
      ctx.issues.push({ code: 'custom', input: w.end, path: ['end'], message: 'must be after start' });
    }
  }
});

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A webhook; its URL may hold a secret (Slack's do), so it can come from an env var instead. */
export const webhookSchema = z.strictObject({
  url: httpUrl.optional(),
  urlFromEnv: z.string().regex(ENV_NAME, 'must be an environment variable name such as LIFEBOAT_SLACK_URL').optional(),
  events: z.array(z.enum(NOTIFY_EVENTS)).min(1).optional().describe('Events sent to this webhook; default all.'),
}).check((ctx) => {
  const w = ctx.value;
  if ((w.url === undefined) === (w.urlFromEnv === undefined)) {
    ctx.issues.push({ code: 'custom', input: w, path: ['url'], message: 'give exactly one of url or urlFromEnv' });
  }
});

export const notificationsSchema = z.strictObject({
  webhooks: z.array(webhookSchema).default([]),
});

/**
 * Who hears the AWS alarms (SNS subscriptions; each topic refuses anything but TLS), and how the
 * two coordinators watch each other: each checks the other's `GET /v1/status` every minute,
 * signed with a `read` key, and alerts when it is unreachable, stale or disagrees.
 */
export const alertsSchema = z.strictObject({
  email: z.array(z.email('must be an email address')).max(20).default([])
    .describe('Email addresses subscribed to every Lifeboat alarm topic (each confirms by mail).'),
  https: z.array(httpUrl.refine((u) => u.startsWith('https://'), 'must be an https:// URL (topics deliver over TLS only)')).max(20).default([])
    .describe('HTTPS endpoints subscribed to every Lifeboat alarm topic (e.g. a paging service).'),
  peerKey: z.string().optional()
    .describe('Id of the key (scope "read") each coordinator signs its peer checks with; default: the first key with scope "read". No read key: no peer checks.'),
  disagreeAfterMinutes: z.number().int().min(1).max(60).default(5)
    .describe('How long the coordinators may serve different targets before coordinators-disagree is raised.'),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  services: z.array(serviceSchema).min(1),
  vantagePoints: vantagePointsSchema,
  probing: probingSchema.default({ intervalSeconds: DEFAULT_INTERVAL_SECONDS, recheckDelayMs: 1_000, controlUrls: [] }),
  policy: policySchema.partial().default({}).describe('Defaults for every service; a service may override any field.'),
  coordinators: z.strictObject({
    aws: coordinatorSchema.optional(),
    cloudflare: coordinatorSchema.optional(),
  }).default({}),
  keys: z.array(keySchema).min(1),
  notifications: notificationsSchema.default({ webhooks: [] }),
  alerts: alertsSchema.optional(),
  maintenance: z.array(maintenanceWindowSchema).default([]),
}).check((ctx) => {
  const cfg = ctx.value;
  if (cfg.alerts?.peerKey !== undefined) {
    const key = cfg.keys.find((k) => k.id === cfg.alerts!.peerKey);
    if (!key || key.scope !== 'read') {
      ctx.issues.push({ code: 'custom', input: cfg.alerts.peerKey, path: ['alerts', 'peerKey'], message: `must name a key with scope "read" in keys (make one with \`lifeboat keygen --scope read\`)${key ? `; "${key.id}" has scope ${key.scope}` : ''}` });
    }
  }
  const seen = new Map<string, number>();
  cfg.services.forEach((s, i) => {
    const name = normaliseName(s.name);
    if (seen.has(name)) {
      ctx.issues.push({ code: 'custom', input: s.name, path: ['services', i, 'name'], message: `duplicates services[${seen.get(name)}].name` });
    } else seen.set(name, i);
    const providers = new Set<string>();
    s.dns.forEach((d, j) => {
      if (providers.has(d.provider)) {
        ctx.issues.push({ code: 'custom', input: d, path: ['services', i, 'dns', j, 'provider'], message: `${d.provider} is listed twice for this service` });
      }
      providers.add(d.provider);
    });
    const shape = (t: typeof s.primary) => (t.cname ? 'cname' : 'address');
    if (shape(s.primary) !== shape(s.secondary)) {
      ctx.issues.push({ code: 'custom', input: s.secondary, path: ['services', i, 'secondary'], message: 'primary and secondary must both use cname, or both use a/aaaa records or alias' });
    }
    // An alias is a Route 53 record: no other provider can hold it (Cloudflare: use a CNAME).
    for (const role of ['primary', 'secondary'] as const) {
      if (!s[role].alias) continue;
      s.dns.forEach((d, j) => {
        if (d.provider !== 'route53') {
          ctx.issues.push({ code: 'custom', input: d, path: ['services', i, 'dns', j, 'provider'], message: `${role}.alias is a Route 53 alias record, which a ${d.provider} zone cannot hold${d.provider === 'cloudflare' ? ' (Cloudflare has no Route 53 alias: give the target a cname to the resource\'s DNS name instead)' : ''}; use Route 53 zones only for this service, or give ${role} a, aaaa or cname` });
        }
      });
      if (s.mode === 'data-plane') {
        ctx.issues.push({ code: 'custom', input: s[role].alias, path: ['services', i, role, 'alias'], message: 'alias targets are control-plane only: data-plane mode\'s failover records hold addresses (use mode "control-plane" or a/aaaa)' });
      }
    }
  });
  cfg.maintenance.forEach((w, i) => {
    w.services?.forEach((name, j) => {
      if (!seen.has(normaliseName(name))) {
        ctx.issues.push({ code: 'custom', input: name, path: ['maintenance', i, 'services', j], message: `no service named ${name} in services` });
      }
    });
  });
  const keyIds = new Set<string>();
  cfg.keys.forEach((k, i) => {
    if (keyIds.has(k.id)) ctx.issues.push({ code: 'custom', input: k.id, path: ['keys', i, 'id'], message: 'duplicate key id' });
    keyIds.add(k.id);
  });
  cfg.keys.forEach((k, i) => k.speaksFor?.forEach((entry, j) => {
    const [provider, location] = entry.split(':') as ['aws' | 'cloudflare', string | undefined];
    const list: readonly string[] = cfg.vantagePoints[provider];
    // A whole provider with no vantage points yet is harmless; a named vantage point must exist.
    if (location !== undefined && !list.includes(location)) {
      ctx.issues.push({ code: 'custom', input: entry, path: ['keys', i, 'speaksFor', j], message: `no vantage point ${entry} in vantagePoints.${provider}` });
    }
  }));
  if (!cfg.keys.some((k) => k.scope === 'probe')) {
    ctx.issues.push({ code: 'custom', input: cfg.keys, path: ['keys'], message: 'at least one key with scope "probe" is needed for vantage points to post observations' });
  }
  const vpCount = cfg.vantagePoints.aws.length + cfg.vantagePoints.cloudflare.length;
  if (vpCount === 0) {
    ctx.issues.push({ code: 'custom', input: cfg.vantagePoints, path: ['vantagePoints'], message: 'configure at least one AWS region or Cloudflare location' });
  }
  for (const [field, list] of [['aws', cfg.vantagePoints.aws], ['cloudflare', cfg.vantagePoints.cloudflare]] as [string, readonly string[]][]) {
    const dup = list.find((v, i) => list.indexOf(v) !== i);
    if (dup) ctx.issues.push({ code: 'custom', input: list, path: ['vantagePoints', field], message: `${dup} is listed twice` });
  }
});

export type LifeboatConfigInput = z.input<typeof configSchema>;
export type LifeboatConfig = z.output<typeof configSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type AliasTargetConfig = z.output<typeof aliasTargetSchema>;
export type HealthCheckConfig = z.output<typeof healthCheckSchema>;
export type HttpCheckConfig = Extract<HealthCheckConfig, { type: 'http' }>;
export type TcpCheckConfig = Extract<HealthCheckConfig, { type: 'tcp' }>;
export type DnsRecordConfig = z.output<typeof dnsRecordSchema>;
export type KeyConfig = z.output<typeof keySchema>;
export type MaintenanceWindowConfig = z.output<typeof maintenanceWindowSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;
export type StatusMatcher = z.output<typeof statusMatcher>;

/** Typed identity helper for `lifeboat.config.ts`: editors complete and check every field. */
export function defineConfig(config: LifeboatConfigInput): LifeboatConfigInput {
  return config;
}

/** Key set-ups that are valid but weaker than they should be (shown by `lifeboat validate`). */
export function keyWarnings(config: Pick<LifeboatConfig, 'keys' | 'vantagePoints'>): { path: string; message: string }[] {
  const warnings: { path: string; message: string }[] = [];
  config.keys.forEach((k, i) => {
    if (k.scope !== 'probe') return;
    if (k.publicKey === undefined && k.algorithm !== 'ecdsa-p256') {
      warnings.push({ path: `keys[${i}]`, message: `probe key "${k.id}" uses LB1-HMAC-SHA256, deprecated for probe keys: every coordinator that verifies it holds its secret, so whoever reads a coordinator's secrets can sign as this probe. Make an ECDSA key (lifeboat keygen --scope probe --speaks-for ${k.speaksFor?.[0]?.split(':')[0] ?? 'aws'}), deploy it, then remove this one` });
    }
    const providers = new Set((k.speaksFor ?? []).map((s) => s.split(':')[0]));
    if (providers.size > 1) {
      warnings.push({ path: `keys[${i}].speaksFor`, message: `probe key "${k.id}" speaks for both providers: a stolen copy can vote as either; use one probe key per provider` });
    }
  });
  for (const provider of ['aws', 'cloudflare'] as const) {
    config.vantagePoints[provider].forEach((location, j) => {
      const vp = `${provider}:${location}`;
      const covered = config.keys.some((k) => k.scope === 'probe' && (k.speaksFor ?? []).some((s) => s === provider || s === vp));
      if (!covered) warnings.push({ path: `vantagePoints.${provider}[${j}]`, message: `no probe key speaks for ${vp}: its observations will be refused (403); add it to a key's speaksFor` });
    });
  }
  return warnings;
}
