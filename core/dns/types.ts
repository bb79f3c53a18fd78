/**
 * The DNS provider contract: read the current records, plan a change as a diff, apply it
 * idempotently with a compare-and-swap on the TXT state record `_lifeboat.<name>`.
 * Route 53, Cloudflare DNS, the embedded server and the in-memory provider all implement it.
 */
import type { ServiceName, TargetRole, UnixMs } from '../model.ts';
import { LifeboatError } from '../errors.ts';

export type DnsProviderName = 'route53' | 'cloudflare' | 'rfc2136' | 'embedded' | 'memory';
export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT';

/** A set of records of one name and type, as DNS holds them. Names are lower case, no final dot. */
export interface RecordSet {
  readonly name: string;
  readonly type: RecordType;
  readonly ttl: number;
  /** A/AAAA: addresses; CNAME: one host name; TXT: the unquoted strings. Sorted. */
  readonly values: readonly string[];
  /** Cloudflare only: served through Cloudflare's edge. */
  readonly proxied?: boolean;
  /**
   * Route 53 only: an alias record (A or AAAA) pointing at an AWS resource (an ALB, CloudFront...).
   * Its `values` are empty and its `ttl` is 0: Route 53 answers with the target's own records and TTL.
   */
  readonly alias?: AliasTarget;
}

/** Route 53's AliasTarget: the resource's DNS name (lower case, no final dot) and its hosted zone. */
export interface AliasTarget {
  readonly dnsName: string;
  readonly hostedZoneId: string;
  readonly evaluateTargetHealth: boolean;
}

/** What the TXT record `_lifeboat.<name>` says: which target is active, since which epoch. */
export interface StateRecord {
  readonly active: TargetRole;
  /** Increases by one on every change of the active target; the compare-and-swap token. */
  readonly epoch: number;
  readonly at: UnixMs;
}

/** What one provider holds for one service right now. */
export interface CurrentRecords {
  /** The service's own record sets (A, AAAA or CNAME at the service name). */
  readonly records: readonly RecordSet[];
  /** The parsed state record, or null when there is none yet. */
  readonly state: StateRecord | null;
}

export type RecordChange =
  | { readonly kind: 'create'; readonly after: RecordSet }
  | { readonly kind: 'update'; readonly before: RecordSet; readonly after: RecordSet }
  | { readonly kind: 'delete'; readonly before: RecordSet };

/** A change to one service at one provider, computed against what the provider held. */
export interface DnsPlan {
  readonly provider: DnsProviderName;
  /** Hosted zone id, Cloudflare zone id, or the embedded zone apex. */
  readonly zone: string;
  readonly service: ServiceName;
  readonly to: TargetRole;
  /** The record changes, state record excluded. Empty when DNS already serves `to`. */
  readonly changes: readonly RecordChange[];
  /** The state record the plan was computed against; the apply succeeds only if it still holds. */
  readonly expectedState: StateRecord | null;
  readonly newState: StateRecord;
}

export type ApplyOutcome =
  /** The change was written (this caller won the compare-and-swap). */
  | 'applied'
  /** DNS already served the target: nothing was sent. */
  | 'unchanged'
  /** The state record no longer held the expected value: someone else changed it first. */
  | 'conflict';

export interface ApplyResult {
  readonly provider: DnsProviderName;
  readonly zone: string;
  readonly outcome: ApplyOutcome;
  /** The provider's change id (Route 53) or similar, when there is one. */
  readonly changeId?: string;
  /** The state record after the call, as far as the provider knows. */
  readonly state: StateRecord | null;
}

/** What a provider is told about a service: its name and the records of each target. */
export interface ServiceDns {
  readonly service: ServiceName;
  readonly ttl: number;
  readonly proxied?: boolean;
  readonly targets: Readonly<Record<TargetRole, readonly RecordSet[]>>;
}

export interface DnsProvider {
  readonly name: DnsProviderName;
  /** The zone this provider instance writes to, for messages and results. */
  readonly zone: string;
  read(service: ServiceDns): Promise<CurrentRecords>;
  /**
   * Writes the plan atomically, only if the state record still equals `plan.expectedState`.
   * Must be idempotent: a plan whose changes are empty and whose state matches sends nothing.
   */
  apply(plan: DnsPlan): Promise<ApplyResult>;
}

/** Base of every DNS error: names the provider, zone and record at fault. */
export class DnsError extends LifeboatError {
  override readonly name: string = 'DnsError';
  constructor(
    message: string,
    readonly provider: DnsProviderName,
    readonly zone: string,
    readonly record?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The plan breaks a safety rail (would delete, empty a name, or touch a name not configured). */
export class UnsafePlanError extends DnsError {
  override readonly name: string = 'UnsafePlanError';
}

/** The provider kept failing after the bounded retries. */
export class DnsRetryExhaustedError extends DnsError {
  override readonly name: string = 'DnsRetryExhaustedError';
}
