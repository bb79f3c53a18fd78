/**
 * The config entry of a service's `dns` list for an RFC 2136 server (zod, checked when the config
 * is validated). The provider that uses it is core/dns/rfc2136.ts.
 */
import * as z from 'zod';
import { TSIG_ALGORITHM } from '../dns/tsig.ts';

const hostname = z.string().min(1).max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/i, 'must be a DNS name such as example.com');

/** The config entry of a service's `dns` list for an RFC 2136 server. */
export const rfc2136RecordSchema = z.strictObject({
  provider: z.literal('rfc2136'),
  server: z.union([z.ipv4(), z.ipv6(), hostname]).describe('The primary (master) server that accepts updates: an address or host name.'),
  port: z.number().int().min(1).max(65_535).default(53),
  zone: hostname.describe('The zone apex the service name lives in, e.g. example.com.'),
  keyName: hostname.describe('The TSIG key name, as the server knows it (tsig-keygen NAME).'),
  algorithm: z.literal(TSIG_ALGORITHM).default(TSIG_ALGORITHM),
  secretFrom: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be a secret name such as LIFEBOAT_TSIG_SECRET')
    .describe('Name of the secret holding the base64 TSIG secret (SSM parameter suffix, Worker secret, or environment variable).'),
  ttl: z.number().int().min(1).max(86_400).default(60),
  tcp: z.boolean().default(true).describe('TCP (default; the only choice in a Worker) or UDP.'),
});
export type Rfc2136RecordConfig = z.output<typeof rfc2136RecordSchema>;
