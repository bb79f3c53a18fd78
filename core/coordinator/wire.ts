/** The JSON bodies of the coordinator API, validated with zod so bad input names its field. */
import { z } from 'zod';
import { formatPath } from '../config/validate.ts';

const vantagePoint = z.string().regex(/^(aws|cloudflare|local):[a-z0-9-]{1,40}$/, 'must be provider:region, e.g. aws:ap-northeast-2');
const unixMs = z.number().int().nonnegative();
const failure = z.enum(['timeout', 'dns', 'refused', 'tls', 'network', 'status', 'body', 'latency']);

export const batchResultSchema = z.strictObject({
  service: z.string().min(1).max(253),
  target: z.enum(['primary', 'secondary']),
  verdict: z.enum(['healthy', 'unhealthy', 'abstain']),
  observedAt: unixMs,
  failure: failure.optional(),
  latencyMs: z.number().nonnegative().optional(),
});

export const observationBatchSchema = z.strictObject({
  vantagePoint,
  round: z.number().int().nonnegative(),
  sentAt: unixMs,
  ranIn: z.string().max(64).optional(),
  controlOk: z.boolean(),
  results: z.array(batchResultSchema).max(20_000),
});

export const overrideRequestSchema = z.strictObject({
  service: z.string().min(1).max(253),
  action: z.enum(['force-primary', 'force-secondary', 'freeze', 'auto']),
  until: z.union([z.iso.datetime({ offset: true }), unixMs]).optional()
    .describe('Expiry: an ISO 8601 time or unix milliseconds.'),
  reason: z.string().trim().min(3, 'give a reason (at least 3 characters): it goes in the audit log').max(500),
});

export type OverrideRequest = z.output<typeof overrideRequestSchema>;

/** Bad request body: the first field at fault, and all of them. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(readonly field: string, message: string, readonly problems: readonly { path: string; message: string }[]) {
    super(message);
  }
}

export function parseWire<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const first = problems[0]!;
  throw new WireError(first.path, problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
}

export function untilToMs(until: string | number | undefined): number | undefined {
  if (until === undefined) return undefined;
  return typeof until === 'number' ? until : Date.parse(until);
}
