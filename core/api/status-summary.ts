/**
 * One view of several coordinators' status reports (one per coordinator): what each service is
 * doing, the freshest vote of every vantage point, and whether the coordinators agree. Pure; the
 * CLI table, `--json` and the status page all read this.
 */
import type { StatusReport, ServiceStatus, VoteView, RecentEntry } from './status.ts';
import { HISTORY_BUCKETS, HISTORY_BUCKET_MS, type HistoryBucket, type HistorySeries, type ServiceHistory } from './status-history.ts';
import { TARGET_ROLES, type TargetRole, type UnixMs, type VantagePoint } from '../model.ts';

export interface CoordinatorView {
  readonly coordinator: string;
  readonly active: TargetRole;
  readonly epoch: number;
  readonly override: string | null;
}

export interface ServiceSummary {
  readonly service: string;
  /** One word or phrase: "healthy", "failed over", "override freeze", "hold: secondary-unhealthy", "flip pending". */
  readonly state: string;
  readonly active: TargetRole;
  readonly epoch: number;
  readonly perCoordinator: readonly CoordinatorView[];
  /** True when every coordinator that answered has the same active target, epoch and override. */
  readonly agree: boolean;
  /** The freshest vote of each vantage point on each target, across coordinators. */
  readonly votes: Readonly<Record<VantagePoint, Partial<Record<TargetRole, VoteView>>>>;
  readonly lastDecision: ServiceStatus['lastDecision'];
  /** e.g. "primary 4/6 unhealthy; secondary 0/6 unhealthy". */
  readonly evidence: string;
  readonly override: ServiceStatus['override'];
  readonly hold: ServiceStatus['hold'];
  readonly pendingFlip: ServiceStatus['pendingFlip'];
  /** e.g. "aws unhealthy 3/3, cloudflare healthy 0/2" for the primary. */
  readonly providers: string;
  /** Every coordinator whose decided flip has failed to write DNS (each writes DNS on its own). */
  readonly dnsFailing: readonly { readonly coordinator: string; readonly pendingFlip: NonNullable<ServiceStatus['pendingFlip']> }[];
  /** The last hour of votes, merged across coordinators (empty series when none kept any). */
  readonly history: ServiceHistory;
  /** Per coordinator and zone: "route53 Z123 epoch 4: propagated at 12:00:41Z (aws)" or "pending since …". */
  readonly propagation: readonly string[];
}

export function serviceState(s: ServiceStatus): string {
  if (s.override) return `override ${s.override.action}`;
  if (s.pendingFlip) {
    const p = s.pendingFlip;
    const failing = p.failingSince ? `, failing since ${new Date(p.failingSince).toISOString().slice(11, 19)}Z` : '';
    return `flip to ${p.to} pending${p.attempts > 1 || failing ? ` (${p.attempts} attempts${failing})` : ''}`;
  }
  if (s.hold) return `hold: ${s.hold.reason}`;
  if (s.tally.primary.fresh === 0 && s.tally.secondary.fresh === 0) return 'no fresh votes';
  return s.active === 'secondary' ? 'failed over' : 'healthy';
}

const hms = (t: UnixMs) => `${new Date(t).toISOString().slice(11, 19)}Z`;

/** One line per followed DNS change: where, which epoch, and whether it is live on every name server. */
export function propagationTexts(s: ServiceStatus, coordinator: string): string[] {
  return (s.propagation ?? []).map((p) => `${p.provider} ${p.zone} epoch ${p.epoch}: ${
    p.state === 'propagated' ? `propagated at ${hms(p.propagatedAt!)}`
      : p.state === 'pending' ? `pending since ${hms(p.since)}`
        : `not confirmed live (written ${hms(p.since)})`} (${coordinator})`);
}

export function evidenceText(s: ServiceStatus): string {
  const t = (role: TargetRole) => {
    const c = s.tally[role];
    return `${role} ${c.unhealthy}/${c.fresh} unhealthy${c.abstain ? `, ${c.abstain} abstain` : ''}${c.stale ? `, ${c.stale} stale` : ''}`;
  };
  return `${t('primary')}; ${t('secondary')}`;
}

/** Each provider's verdict on the primary: "aws unhealthy 3/3, cloudflare no verdict 0/1". */
export function providersText(s: ServiceStatus): string {
  return (s.providers?.primary ?? []).map((p) => `${p.provider} ${p.verdict ?? 'no verdict'} ${p.tally.unhealthy}/${p.tally.fresh}`).join(', ');
}

/** Services of every report, merged by name, in the order first seen. */
export function summarise(reports: readonly StatusReport[]): ServiceSummary[] {
  const names: string[] = [];
  for (const r of reports) for (const s of r.services) if (!names.includes(s.service)) names.push(s.service);
  return names.map((name) => {
    const views = reports.flatMap((r) => r.services.filter((s) => s.service === name).map((s) => ({ r, s })));
    // The coordinator with the newest epoch speaks for the service; ties go to the first listed.
    const lead = views.reduce((best, v) => (v.s.epoch > best.s.epoch ? v : best), views[0]!).s;
    const perCoordinator = views.map(({ r, s }) => ({ coordinator: r.coordinator, active: s.active, epoch: s.epoch, override: s.override?.action ?? null }));
    const key = (c: CoordinatorView) => `${c.active}|${c.epoch}|${c.override ?? ''}`;
    const votes: Record<VantagePoint, Partial<Record<TargetRole, VoteView>>> = {};
    for (const { s } of views) {
      for (const [vp, byTarget] of Object.entries(s.votes) as [VantagePoint, Partial<Record<TargetRole, VoteView>>][]) {
        const merged = (votes[vp] ??= {});
        for (const role of TARGET_ROLES) {
          const v = byTarget[role];
          if (v && (!merged[role] || v.ageSeconds < merged[role]!.ageSeconds)) merged[role] = v;
        }
      }
    }
    return {
      service: name, state: serviceState(lead), active: lead.active, epoch: lead.epoch, perCoordinator,
      agree: new Set(perCoordinator.map(key)).size <= 1,
      votes: Object.fromEntries(Object.entries(votes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      lastDecision: lead.lastDecision, evidence: evidenceText(lead), override: lead.override, hold: lead.hold,
      pendingFlip: lead.pendingFlip, providers: providersText(lead),
      dnsFailing: views.flatMap(({ r, s }) => (s.pendingFlip?.failingSince ? [{ coordinator: r.coordinator, pendingFlip: s.pendingFlip }] : [])),
      history: mergeHistory(views.map(({ s }) => s.history), Math.max(...views.map(({ r }) => r.now))),
      propagation: views.flatMap(({ r, s }) => propagationTexts(s, r.coordinator)),
    };
  });
}

const votesIn = (b: HistoryBucket) => b.healthy + b.unhealthy + b.abstain;

/**
 * One history from each coordinator's. Probes post every batch to every coordinator, so the same
 * votes are in each: per minute the coordinator that counted more is taken, never the sum.
 */
export function mergeHistory(histories: readonly (ServiceHistory | undefined)[], now: UnixMs): ServiceHistory {
  const from = Math.floor(now / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS - (HISTORY_BUCKETS - 1) * HISTORY_BUCKET_MS;
  const merged = new Map<string, { vantagePoint: VantagePoint; target: TargetRole; buckets: Map<UnixMs, HistoryBucket> }>();
  for (const h of histories) {
    for (const s of h?.series ?? []) {
      const key = `${s.vantagePoint}|${s.target}`;
      let m = merged.get(key);
      if (!m) merged.set(key, (m = { vantagePoint: s.vantagePoint, target: s.target, buckets: new Map() }));
      for (const b of s.buckets) {
        if (b.at < from) continue;
        const had = m.buckets.get(b.at);
        if (!had || votesIn(b) > votesIn(had)) m.buckets.set(b.at, b);
      }
    }
  }
  const series: HistorySeries[] = [...merged.values()]
    .map((m) => ({ vantagePoint: m.vantagePoint, target: m.target, buckets: [...m.buckets.values()].sort((a, b) => a.at - b.at) }))
    .sort((a, b) => (a.vantagePoint === b.vantagePoint ? (a.target < b.target ? -1 : 1) : a.vantagePoint < b.vantagePoint ? -1 : 1));
  return { bucketSeconds: HISTORY_BUCKET_MS / 1000, from, series };
}

/** One minute of a target's availability across vantage points; abstentions count for neither side. */
export interface AvailabilityBucket {
  readonly at: UnixMs;
  readonly healthy: number;
  readonly unhealthy: number;
  readonly abstain: number;
}

/** A target's availability per minute (every minute of the hour, empty ones with zero votes) and over the hour. */
export function availability(history: ServiceHistory, target: TargetRole): { buckets: AvailabilityBucket[]; ratio: number | null } {
  const byMinute = new Map<UnixMs, { healthy: number; unhealthy: number; abstain: number }>();
  for (const s of history.series) {
    if (s.target !== target) continue;
    for (const b of s.buckets) {
      const m = byMinute.get(b.at) ?? { healthy: 0, unhealthy: 0, abstain: 0 };
      byMinute.set(b.at, { healthy: m.healthy + b.healthy, unhealthy: m.unhealthy + b.unhealthy, abstain: m.abstain + b.abstain });
    }
  }
  const step = history.bucketSeconds * 1000;
  const buckets: AvailabilityBucket[] = [];
  let healthy = 0, judged = 0;
  for (let i = 0; i < HISTORY_BUCKETS; i++) {
    const at = history.from + i * step;
    const m = byMinute.get(at) ?? { healthy: 0, unhealthy: 0, abstain: 0 };
    buckets.push({ at, ...m });
    healthy += m.healthy;
    judged += m.healthy + m.unhealthy;
  }
  return { buckets, ratio: judged ? healthy / judged : null };
}

/** Decisions, holds and abandoned flips: the audit entries an incident list shows, with their evidence. */
export const INCIDENT_KINDS: ReadonlySet<string> = new Set(['decision', 'hold', 'abandoned', 'degraded']);

/** Audit entries of every report, newest first, each marked with its coordinator. */
export function timeline(reports: readonly StatusReport[], limit = 50): (RecentEntry & { coordinator: string })[] {
  return reports
    .flatMap((r) => r.recent.map((e) => ({ ...e, coordinator: r.coordinator })))
    .sort((a, b) => b.at - a.at)
    .slice(0, limit);
}

export function ageText(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
