/**
 * What the flood sender (test/e2e/flood-sender.ts, a child process) is told and what it reports:
 * shared by the child and the test that starts it, so both sides read the same shapes. Pure: no
 * I/O here, only the request plan and the checks on the spec.
 */

export interface FloodTarget {
  readonly name: string;
  /** A coordinator's base URL; loopback only (127.0.0.0/8, ::1, localhost). */
  readonly url: string;
}

export interface FloodSpec {
  readonly targets: readonly FloodTarget[];
  readonly unsigned: number;
  readonly badlySigned: number;
  /** Requests in flight at once. */
  readonly inFlight: number;
  /** The flood is paced over this long so it covers a whole failover (pacing only). */
  readonly spreadMs: number;
  /** Hard bound: after this the sender stops, aborts what is in flight and reports `timedOut`. */
  readonly maxMs: number;
  /** Real key ids signed with a wrong secret: the badly signed requests look as honest as can be. */
  readonly probeKeyId: string;
  readonly operatorKeyId: string;
  readonly service: string;
  /** A progress line every this many answers. */
  readonly progressEvery: number;
}

export type FloodRoute = '/v1/observations' | '/v1/override';

export interface PlannedRequest {
  readonly target: FloodTarget;
  readonly unsigned: boolean;
  readonly route: FloodRoute;
}

export interface FloodReport {
  readonly sent: number;
  /** Answers by HTTP status; 0 is no answer (the errors say why). */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly perCoordinator: Readonly<Record<string, { unsigned: number; bad: number }>>;
  readonly errors: readonly string[];
  readonly timedOut: boolean;
}

export type FloodLine = { readonly type: 'progress'; readonly sent: number } | ({ readonly type: 'done' } & FloodReport);

/** Hard caps: the sender is a bounded test tool, not a load generator for anything else. */
export const FLOOD_LIMITS = { requests: 20_000, inFlight: 64, maxMs: 300_000 } as const;

/**
 * Request `i` of the flood: every coordinator gets the same share of unsigned and badly signed
 * requests, each half on the probe route and half on the operator route (target, kind and route
 * vary independently, so no coordinator sees only one kind).
 */
export function planRequest(spec: Pick<FloodSpec, 'targets' | 'unsigned' | 'badlySigned'>, i: number): PlannedRequest {
  const n = spec.targets.length;
  const target = spec.targets[i % n]!;
  const k = Math.floor(i / n);
  // Interleaved kinds while both remain; whatever is left over comes last.
  const pairs = Math.min(spec.unsigned, spec.badlySigned);
  const unsigned = k < 2 * pairs ? k % 2 === 0 : spec.unsigned > spec.badlySigned;
  const route: FloodRoute = Math.floor(k / 2) % 2 === 0 ? '/v1/observations' : '/v1/override';
  return { target, unsigned, route };
}

const isLoopbackHost = (host: string) => host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

export class FloodSpecError extends Error {
  override readonly name = 'FloodSpecError';
}

const count = (v: unknown, field: string, max: number, min = 0): number => {
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) throw new FloodSpecError(`${field}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v as number;
};

const text = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || v.length === 0) throw new FloodSpecError(`${field}: expected a non-empty string`);
  return v;
};

/** Checks a spec from the command line; errors name the field. Targets must be loopback. */
export function parseFloodSpec(raw: unknown): FloodSpec {
  if (typeof raw !== 'object' || raw === null) throw new FloodSpecError('spec: expected a JSON object');
  const r = raw as Record<string, unknown>;
  if (!Array.isArray(r.targets) || r.targets.length === 0) throw new FloodSpecError('targets: expected a non-empty array');
  const targets = r.targets.map((t: unknown, i): FloodTarget => {
    const o = (typeof t === 'object' && t !== null ? t : {}) as Record<string, unknown>;
    const url = text(o.url, `targets[${i}].url`);
    let parsed: URL;
    try { parsed = new URL(url); } catch { throw new FloodSpecError(`targets[${i}].url: not a URL: ${JSON.stringify(url)}`); }
    if (parsed.protocol !== 'http:') throw new FloodSpecError(`targets[${i}].url: only http: on loopback, got ${parsed.protocol}`);
    if (!isLoopbackHost(parsed.hostname)) throw new FloodSpecError(`targets[${i}].url: ${parsed.hostname} is not a loopback address (127.0.0.0/8, ::1, localhost)`);
    return { name: text(o.name, `targets[${i}].name`), url: url.replace(/\/$/, '') };
  });
  const unsigned = count(r.unsigned, 'unsigned', FLOOD_LIMITS.requests);
  const badlySigned = count(r.badlySigned, 'badlySigned', FLOOD_LIMITS.requests);
  if (unsigned + badlySigned > FLOOD_LIMITS.requests) throw new FloodSpecError(`unsigned + badlySigned: at most ${FLOOD_LIMITS.requests} requests in all`);
  return {
    targets, unsigned, badlySigned,
    inFlight: count(r.inFlight, 'inFlight', FLOOD_LIMITS.inFlight, 1),
    spreadMs: count(r.spreadMs, 'spreadMs', FLOOD_LIMITS.maxMs),
    maxMs: count(r.maxMs, 'maxMs', FLOOD_LIMITS.maxMs, 1),
    probeKeyId: text(r.probeKeyId, 'probeKeyId'),
    operatorKeyId: text(r.operatorKeyId, 'operatorKeyId'),
    service: text(r.service, 'service'),
    progressEvery: count(r.progressEvery, 'progressEvery', FLOOD_LIMITS.requests, 1),
  };
}
