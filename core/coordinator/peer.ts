/**
 * Each provider watches the other: once a minute a coordinator reads its peer's `GET /v1/status`,
 * signed with a `read` key (status and audit only), and raises
 *  - `peer-unreachable` when the peer does not answer, answers an error, or reports a clock more
 *    than `staleAfterMs` away from ours (a stuck or replayed answer);
 *  - `coordinators-disagree` when the peer serves another target than we do for a service for
 *    longer than `disagreeAfterMs` (one round of lag during a flip is normal).
 * Each incident is notified once, then reminded every `remindEveryMs`, and shown in status while
 * it lasts. Notifications reuse the engine's events (`degraded`, `disagreement`) so every webhook
 * filter that exists keeps working.
 */
import type { StatusAlert } from '../api/alerts.ts';
import { COORDINATOR_METRICS, type MetricsSink } from '../notify/metrics.ts';
import type { Clock, Fetch, Logger } from '../ports.ts';
import { signRequest } from '../signing/lb1.ts';
import type { Notifier } from './coordinator.ts';
import type { TargetRole, UnixMs } from '../model.ts';

export interface PeerWatchOptions {
  /** This coordinator's name, and the peer's name and base URL. */
  readonly self: string;
  readonly peer: { readonly name: string; readonly url: string };
  /** A `read` key: never one that can override. */
  readonly key: { readonly id: string; readonly secret: Uint8Array };
  readonly fetch: Fetch;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly notifier?: Notifier;
  readonly metrics?: MetricsSink;
  /** This coordinator's view: the active target per service. */
  readonly ownActive: () => Promise<ReadonlyMap<string, TargetRole>>;
  readonly checkEveryMs?: number;
  readonly timeoutMs?: number;
  readonly staleAfterMs?: number;
  readonly disagreeAfterMs?: number;
  readonly remindEveryMs?: number;
}

export type PeerProblem = 'unreachable' | 'stale' | 'disagrees';

export interface PeerHealth {
  readonly peer: string;
  readonly checkedAt: UnixMs;
  readonly ok: boolean;
  readonly problem?: PeerProblem;
  readonly detail?: string;
}

interface Incident { since: UnixMs; notifiedAt: UnixMs | null; detail: string }

export const PEER_CHECK_EVERY_MS = 60_000;

export class PeerWatch {
  private last: PeerHealth | null = null;
  private lastCheckAt: UnixMs | null = null;
  private unreachable: Incident | null = null;
  /** Per service: since when the peer has served another target. */
  private readonly disagreeing = new Map<string, Incident>();
  /** What the last read reported (null: not read), for data-plane memory (core/dns/data-plane-memory.ts). */
  private lastRead: { at: UnixMs; active: ReadonlyMap<string, TargetRole> | null } | null = null;

  constructor(private readonly o: PeerWatchOptions) {}

  health(): PeerHealth | null {
    return this.last;
  }

  /** The peer's active target per service from a read at most `maxAgeMs` old; null when it could not be read. */
  verdicts(maxAgeMs: number = this.o.checkEveryMs ?? PEER_CHECK_EVERY_MS): ReadonlyMap<string, TargetRole> | null {
    if (!this.lastRead || this.o.clock.now() - this.lastRead.at > maxAgeMs) return null;
    return this.lastRead.active;
  }

  /** Checks unless one ran less than `checkEveryMs` ago (the DO's alarm runs every interval). */
  async maybeCheck(): Promise<PeerHealth | null> {
    const now = this.o.clock.now();
    if (this.lastCheckAt !== null && now - this.lastCheckAt < (this.o.checkEveryMs ?? PEER_CHECK_EVERY_MS) - 1_000) return null;
    return this.check();
  }

  async check(): Promise<PeerHealth> {
    const now = this.o.clock.now();
    this.lastCheckAt = now;
    const read = await this.readPeer(now);
    this.lastRead = { at: now, active: read.ok ? read.active : null };
    if (!read.ok) {
      this.unreachable ??= { since: now, notifiedAt: null, detail: read.detail };
      this.unreachable.detail = read.detail;
      this.o.metrics?.count(COORDINATOR_METRICS.peerUnhealthy, 1);
      await this.remind(this.unreachable, 'degraded', `peer:${this.o.peer.name}:unreachable:${this.unreachable.since}`,
        `coordinator ${this.o.peer.name} is ${read.problem === 'stale' ? 'stale' : 'unreachable'} from ${this.o.self} since ${iso(this.unreachable.since)}: ${read.detail}. If its provider is down, failover still works through this one; fix it before this one fails too.`);
      return (this.last = { peer: this.o.peer.name, checkedAt: now, ok: false, problem: read.problem, detail: read.detail });
    }
    if (this.unreachable) this.o.logger.info('peer coordinator reachable again', { peer: this.o.peer.name, since: this.unreachable.since });
    this.unreachable = null;

    const own = await this.o.ownActive();
    const differ: string[] = [];
    for (const [service, active] of read.active) {
      const mine = own.get(service);
      if (mine === undefined || mine === active) { this.disagreeing.delete(service); continue; }
      const detail = `${this.o.self} serves ${mine}, ${this.o.peer.name} serves ${active}`;
      const incident = this.disagreeing.get(service) ?? { since: now, notifiedAt: null, detail };
      incident.detail = detail;
      this.disagreeing.set(service, incident);
      if (now - incident.since >= (this.o.disagreeAfterMs ?? 5 * 60_000)) {
        differ.push(`${service}: ${detail}`);
        await this.remind(incident, 'disagreement', `peer:${this.o.peer.name}:disagree:${service}:${incident.since}`,
          `${service}: coordinators disagree since ${iso(incident.since)}: ${detail}. Check both with \`lifeboat status\`.`, service);
      }
    }
    for (const service of [...this.disagreeing.keys()]) if (!read.active.has(service)) this.disagreeing.delete(service);
    if (differ.length) this.o.metrics?.count(COORDINATOR_METRICS.peerUnhealthy, 1);
    return (this.last = differ.length
      ? { peer: this.o.peer.name, checkedAt: now, ok: false, problem: 'disagrees', detail: differ.join('; ') }
      : { peer: this.o.peer.name, checkedAt: now, ok: true });
  }

  /** What `GET /v1/status` shows while an incident lasts. */
  alerts(): StatusAlert[] {
    const out: StatusAlert[] = [];
    if (this.unreachable) out.push({ kind: 'peer-unreachable', since: this.unreachable.since, message: `coordinator ${this.o.peer.name} unreachable or stale since ${iso(this.unreachable.since)}: ${this.unreachable.detail}` });
    const after = this.o.disagreeAfterMs ?? 5 * 60_000;
    const now = this.o.clock.now();
    for (const [service, i] of this.disagreeing) {
      if (now - i.since >= after) out.push({ kind: 'coordinators-disagree', service, since: i.since, message: `coordinators disagree since ${iso(i.since)}: ${i.detail}` });
    }
    return out;
  }

  private async remind(incident: Incident, event: 'degraded' | 'disagreement', key: string, text: string, service = '*'): Promise<void> {
    const now = this.o.clock.now();
    if (incident.notifiedAt !== null && now - incident.notifiedAt < (this.o.remindEveryMs ?? 60 * 60_000)) return;
    const reminder = incident.notifiedAt !== null;
    incident.notifiedAt = now;
    this.o.logger.error(event === 'degraded' ? 'peer coordinator unreachable' : 'coordinators disagree', { peer: this.o.peer.name, service, since: incident.since, detail: incident.detail });
    try {
      await this.o.notifier?.send({ type: 'notify', event, service, key: reminder ? `${key}:${now}` : key, text: reminder ? `(reminder) ${text}` : text });
    } catch (err) {
      this.o.logger.error('notification failed', { event, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async readPeer(now: UnixMs): Promise<{ ok: true; active: Map<string, TargetRole> } | { ok: false; problem: 'unreachable' | 'stale'; detail: string }> {
    const url = new URL('/v1/status', this.o.peer.url);
    try {
      const headers = await signRequest({ method: 'GET', url, keyId: this.o.key.id, secret: this.o.key.secret, now });
      const res = await this.o.fetch(url.toString(), { method: 'GET', headers, signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000) });
      if (!res.ok) {
        const body = await res.text().catch(() => '');
        return { ok: false, problem: 'unreachable', detail: `HTTP ${res.status} ${body.slice(0, 200)}` };
      }
      const report = (await res.json()) as { now?: unknown; services?: { service?: unknown; active?: unknown }[] };
      if (typeof report.now !== 'number' || !Array.isArray(report.services)) return { ok: false, problem: 'unreachable', detail: 'answered something that is not a status report' };
      const skew = Math.abs(now - report.now);
      if (skew > (this.o.staleAfterMs ?? 120_000)) return { ok: false, problem: 'stale', detail: `its status is ${Math.round(skew / 1000)} s away from this coordinator's clock` };
      const active = new Map<string, TargetRole>();
      for (const s of report.services) if (typeof s.service === 'string' && (s.active === 'primary' || s.active === 'secondary')) active.set(s.service, s.active);
      return { ok: true, active };
    } catch (err) {
      return { ok: false, problem: 'unreachable', detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    }
  }
}

const iso = (ms: UnixMs) => new Date(ms).toISOString();
