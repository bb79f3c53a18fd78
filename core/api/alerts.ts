/**
 * `GET /v1/status` `alerts`: every way a decision is not taking effect, or nobody would hear of
 * it, as one list operators and the status page read first ("DNS write failing since ...").
 * Derived from the report (pending flips), the composition's degradations and, from the runtime,
 * the peer coordinator's health (core/coordinator/peer.ts).
 */
import type { UnixMs } from '../model.ts';
import type { StatusReport } from './status.ts';

export type AlertKind = 'flip-failing' | 'degraded' | 'peer-unreachable' | 'coordinators-disagree';

export interface StatusAlert {
  readonly kind: AlertKind;
  readonly service?: string;
  /** When the condition began, when known. */
  readonly since: UnixMs | null;
  readonly message: string;
}

/** The alerts a report and the degradations imply. */
export function alertsOf(report: Pick<StatusReport, 'services'>, degraded: readonly { what: string; secret: string; detail: string }[]): StatusAlert[] {
  const out: StatusAlert[] = [];
  for (const s of report.services) {
    const p = s.pendingFlip;
    if (p?.failingSince != null) {
      out.push({
        kind: 'flip-failing', service: s.service, since: p.failingSince,
        message: `DNS write failing since ${new Date(p.failingSince).toISOString()}: ${s.service} decided ${p.to} (epoch ${p.epoch}), ${p.attempts} attempt(s) so far`,
      });
    }
  }
  for (const d of degraded) out.push({ kind: 'degraded', since: null, message: `${d.what}: ${d.secret} is missing or unusable; ${d.detail}` });
  return out;
}
