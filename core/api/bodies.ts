/**
 * The JSON bodies of the coordinator API, validated with zod so bad input names its field. Every
 * field is range-checked: whatever a validly signed caller sends is either refused here with a 400
 * or safe for the engine and the stores (a representable date, a finite bounded number, a bounded
 * list). Nothing a signed body holds may reach a 500.
 *
 * zod/mini, not the full zod: the same checks and, with the English messages passed to each
 * parse, the same messages (test/api/body-errors.test.ts pins them), at a third of the bundle size.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { formatPath } from '../config/path.ts';
import {
  FAILURE_KINDS, OVERRIDE_ACTIONS, TARGET_ROLES, VERDICTS, type BatchResult, type ObservationBatch, type VantagePoint,
} from '../model.ts';
import { InputError } from '../errors.ts';

/** The full zod's default messages; passed per parse, so nothing global is configured. */
const englishMessages = en().localeError;

/** The largest time JavaScript's Date can represent (ECMA-262: 8.64e15 ms after 1970). */
export const MAX_DATE_MS = 8_640_000_000_000_000;
/** An override lasts at most this long: a forgotten force must not outlive the next incident by years. */
export const MAX_OVERRIDE_MS = 366 * 24 * 3600 * 1000;
/** More results than any sane config has services × 2 targets; the 64 KiB body cap bites first anyway. */
export const MAX_RESULTS = 1_000;
/** A probe answer slower than ten minutes is not a latency, it is a bug. */
export const MAX_LATENCY_MS = 600_000;

/** Names only; whether the config declares it, and whether the key speaks for it, is app.ts's check. */
const vantagePoint = z.pipe(
  z.string().check(z.regex(/^(aws|cloudflare):[a-z0-9-]{1,40}$/, 'must be provider:location, e.g. aws:ap-northeast-2')),
  z.transform((v) => v as VantagePoint),
);
const unixMs = z.number().check(z.int(), z.minimum(0), z.maximum(MAX_DATE_MS, 'must be a time JavaScript can represent (at most 8640000000000000)'));
const failure = z.enum(FAILURE_KINDS);
const serviceName = z.string().check(z.minLength(1), z.maxLength(253));

export const batchResultSchema = z.strictObject({
  service: serviceName,
  target: z.enum(TARGET_ROLES),
  verdict: z.enum(VERDICTS),
  observedAt: unixMs,
  failure: z.optional(failure),
  latencyMs: z.optional(z.number().check(z.minimum(0), z.maximum(MAX_LATENCY_MS))),
});

export const observationBatchSchema = z.strictObject({
  vantagePoint,
  round: z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER)),
  sentAt: unixMs,
  ranIn: z.optional(z.string().check(z.maxLength(64))),
  controlOk: z.boolean(),
  results: z.array(batchResultSchema).check(z.maxLength(MAX_RESULTS)),
}).check((ctx) => {
  // A VP that could not reach its control check cannot tell a dead target from its own broken
  // network: it must abstain, and a batch saying otherwise is malformed, not a vote.
  if (ctx.value.controlOk) return;
  ctx.value.results.forEach((r, i) => {
    if (r.verdict !== 'abstain') {
      ctx.issues.push({ code: 'custom', input: r.verdict, path: ['results', i, 'verdict'], message: 'must be "abstain" when controlOk is false' });
    }
  });
});

export const overrideRequestSchema = z.strictObject({
  service: serviceName,
  action: z.enum(OVERRIDE_ACTIONS),
  /** Expiry: an ISO 8601 time or unix milliseconds, in the future and at most a year ahead (untilToMs). */
  until: z.optional(z.union([z.iso.datetime({ offset: true }), unixMs])),
  reason: z.string().check(z.trim(), z.minLength(3, 'give a reason (at least 3 characters): it goes in the audit log'), z.maxLength(500)),
});

export type OverrideRequest = z.output<typeof overrideRequestSchema>;

/** What the schemas hand over: checked against the model both ways (a field on one side only fails to compile). */
export type ObservationBatchWire = z.output<typeof observationBatchSchema>;
export type BatchResultWire = z.output<typeof batchResultSchema>;
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Assert<T extends true> = T;
/** Compiles only while the wire types and the model types name the same fields. */
export type WireMatchesModel = Assert<
  [SameKeys<ObservationBatchWire, ObservationBatch>, SameKeys<BatchResultWire, BatchResult>] extends [true, true] ? true : false
>;

/** The schema's output is the model's batch, with no cast: a field type that drifts fails to compile here. */
export const batchFromWire = (b: ObservationBatchWire): ObservationBatch => b;

/** Bad request body: the first field at fault, and all of them. */
export class WireError extends InputError {
  override readonly name: string = 'WireError';
  constructor(readonly field: string, message: string, readonly problems: readonly { path: string; message: string }[]) {
    super(message);
  }
}

/** One problem, one field: the usual way app.ts refuses a value zod cannot judge alone. */
export function fieldError(field: string, message: string): WireError {
  return new WireError(field, `${field}: ${message}`, [{ path: field, message }]);
}

export function parseWire<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  const parsed = schema.safeParse(body, { error: englishMessages });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const first = problems[0]!;
  throw new WireError(first.path, problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
}

/**
 * An override's `until` as unix ms, checked against the coordinator's clock: in the future, at
 * most MAX_OVERRIDE_MS ahead. Throws a WireError naming `until` otherwise.
 */
export function untilToMs(until: string | number | undefined, now: number): number | undefined {
  if (until === undefined) return undefined;
  const ms = typeof until === 'number' ? until : Date.parse(until);
  if (!Number.isFinite(ms)) throw fieldError('until', 'must be a time JavaScript can represent');
  if (ms <= now) throw fieldError('until', 'must be in the future');
  if (ms > now + MAX_OVERRIDE_MS) throw fieldError('until', `must be at most ${MAX_OVERRIDE_MS / 86_400_000} days ahead; renew the override instead`);
  return ms;
}
