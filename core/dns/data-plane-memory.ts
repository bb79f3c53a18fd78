/**
 * Memory for data-plane mode (docs/data-plane.md, "Memory"). Route 53's endpoint checks remember
 * nothing: once the coordinator that said "fail over" stops answering, its check reads "stay". So
 * each coordinator's verdict is also published as a CloudWatch metric (1 = fail over, 0 = stay)
 * watched by an alarm and a CLOUDWATCH_METRIC health check with InsufficientDataHealthStatus =
 * LastKnownStatus: when the publisher stops, the alarm has no data and the check keeps the last
 * verdict it saw, instead of flipping DNS back.
 *
 * The AWS coordinator publishes every tick: its own verdict, and the Cloudflare coordinator's as
 * read by the peer watch. What it does NOT know it does not publish, so the last known verdict
 * stands. One exception keeps failback possible while the peer is lost: when this coordinator
 * itself fails back (secondary -> primary) while the peer cannot be read, its decision supersedes
 * the lost peer's last verdict, and it publishes "stay" for the peer until the peer is read again.
 */
import type { ServiceName, TargetRole } from '../model.ts';

/** The metric's name (namespace `Lifeboat`); dimensions Service and Coordinator. */
export const VERDICT_METRIC = 'FailoverVerdict';
export const SERVICE_DIMENSION = 'Service';

export interface VerdictDatapoint {
  readonly service: ServiceName;
  /** Whose verdict this is (`aws`, `cloudflare`), not who publishes it. */
  readonly coordinator: string;
  /** 1 = that coordinator's saved decision is the secondary ("fail over"); 0 = stay. */
  readonly value: 0 | 1;
}

/** The peer's verdicts from a read this tick, or null: not read (unreachable, stale, no watch). */
export type PeerVerdicts = ReadonlyMap<ServiceName, TargetRole> | null;

const asValue = (active: TargetRole): 0 | 1 => (active === 'secondary' ? 1 : 0);

export class VerdictMemory {
  /** Own verdict at the previous tick, to see a failback happen. */
  private readonly lastOwn = new Map<ServiceName, TargetRole>();
  /** Services this coordinator failed back while the peer could not be read. */
  private readonly supersedes = new Set<ServiceName>();

  constructor(readonly self: string, readonly peer: string) {}

  /**
   * The datapoints of one tick. `own` holds every data-plane service (a service without saved
   * state is `primary`); `peer` what the peer reported this tick, or null.
   */
  datapoints(own: ReadonlyMap<ServiceName, TargetRole>, peer: PeerVerdicts): VerdictDatapoint[] {
    const out: VerdictDatapoint[] = [];
    for (const [service, active] of own) {
      out.push({ service, coordinator: this.self, value: asValue(active) });
      const before = this.lastOwn.get(service);
      this.lastOwn.set(service, active);
      if (peer !== null) {
        this.supersedes.delete(service);
        const theirs = peer.get(service);
        // A peer that does not report the service says nothing about it: its last verdict stands.
        if (theirs !== undefined) out.push({ service, coordinator: this.peer, value: asValue(theirs) });
        continue;
      }
      if (active === 'secondary') this.supersedes.delete(service);
      else if (before === 'secondary') this.supersedes.add(service);
      if (this.supersedes.has(service)) out.push({ service, coordinator: this.peer, value: 0 });
    }
    return out;
  }
}
