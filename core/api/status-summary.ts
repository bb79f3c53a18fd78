/**
 * One view of several coordinators' status reports (one per coordinator): what each service is
 * doing, the freshest vote of every vantage point, and whether the coordinators agree. Pure; the
 * CLI table, `--json` and the status page all read this.
 */
import type { StatusReport, ServiceStatus, VoteView } from './status.ts';
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
    };
  });
}

/** Audit entries of every report, newest first, each marked with its coordinator. */
export function timeline(reports: readonly StatusReport[], limit = 50): { at: UnixMs; service: string | null; kind: string; message: string; coordinator: string }[] {
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
