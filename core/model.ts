/**
 * The words of Lifeboat (see docs/design.md), as types. Everything here is plain data that
 * serialises to JSON unchanged, so it can cross HTTP, DynamoDB and Durable Object storage.
 */

/** Milliseconds since the Unix epoch. Every time inside core is one of these. */
export type UnixMs = number;

/** The two clouds that host vantage points and coordinators. */
export type Provider = 'aws' | 'cloudflare' | 'local';

/** One prober at one place, `provider:region`, e.g. `aws:ap-northeast-2`, `cloudflare:apac`. */
export type VantagePoint = `${Provider}:${string}`;

/** The protected DNS name of a service, e.g. `app.example.com`. */
export type ServiceName = string;

/** A DNS name as Lifeboat compares it everywhere: lower case, without the final dot. */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

// Each closed set of words is written once, as a list: the type is read from it, and the API's
// zod schemas (core/api/bodies.ts) and the config's are built from the same list.

/** Which of a service's two sites, in the order they are shown and probed. */
export const TARGET_ROLES = ['primary', 'secondary'] as const;
export type TargetRole = (typeof TARGET_ROLES)[number];

/** Why a probe failed. Every failure is put in exactly one of these classes. */
export const FAILURE_KINDS = ['timeout', 'dns', 'refused', 'tls', 'network', 'status', 'body', 'latency'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/**
 * A vote. `abstain` means the vantage point could not reach its own control check this round,
 * so it knows nothing about the target and must not vote it down.
 */
export const VERDICTS = ['healthy', 'unhealthy', 'abstain'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** What one probe of one target saw (after the rapid recheck, if there was one). */
export interface ProbeResult {
  readonly ok: boolean;
  readonly failure?: FailureKind;
  /** Time to the answer, or to giving up. */
  readonly latencyMs: number;
  readonly status?: number;
  /** One line for humans; never contains secrets or response bodies. */
  readonly detail?: string;
  /** True when the first attempt failed and a recheck was made. */
  readonly rechecked?: boolean;
}

/** One vantage point's result for one target of one service in one round. */
export interface Observation {
  readonly service: ServiceName;
  readonly target: TargetRole;
  readonly vantagePoint: VantagePoint;
  readonly verdict: Verdict;
  /** When the vantage point observed it, by the vantage point's own clock. Orders one VP's votes. */
  readonly observedAt: UnixMs;
  /** When the coordinator accepted it, by the coordinator's clock. Decides freshness. */
  readonly receivedAt: UnixMs;
  readonly failure?: FailureKind;
  readonly latencyMs?: number;
  /** Cloudflare colo (or AWS region) the probe actually ran in, when it differs from the VP name. */
  readonly ranIn?: string;
}

/** What a vantage point posts to `POST /v1/observations` after one round. */
export interface ObservationBatch {
  readonly vantagePoint: VantagePoint;
  /** Round counter of this VP; with `sentAt`, makes a batch unique. */
  readonly round: number;
  readonly sentAt: UnixMs;
  readonly ranIn?: string;
  /** Whether the VP reached its control check; when false every verdict is `abstain`. */
  readonly controlOk: boolean;
  readonly results: readonly BatchResult[];
}

export interface BatchResult {
  readonly service: ServiceName;
  readonly target: TargetRole;
  readonly verdict: Verdict;
  readonly observedAt: UnixMs;
  readonly failure?: FailureKind;
  readonly latencyMs?: number;
}

/** Operator actions on a service. */
export const OVERRIDE_ACTIONS = ['force-primary', 'force-secondary', 'freeze', 'auto'] as const;
export type OverrideAction = (typeof OVERRIDE_ACTIONS)[number];

/** An operator's instruction, as received (already authenticated). */
export interface OverrideCommand {
  readonly service: ServiceName;
  readonly action: OverrideAction;
  /** Expiry; absent means until cleared. */
  readonly until?: UnixMs;
  readonly reason: string;
  /** Key id of the operator who signed it. */
  readonly by: string;
  readonly at: UnixMs;
}

/** An override in force. */
export interface ActiveOverride {
  readonly action: Exclude<OverrideAction, 'auto'>;
  readonly until?: UnixMs;
  readonly reason: string;
  readonly by: string;
  readonly since: UnixMs;
}
