/**
 * The live timeline of the local run: polls every coordinator's signed `GET /v1/status` and the
 * embedded DNS server, and prints a line whenever something changes (votes, decisions, holds,
 * overrides, the DNS answer). One line per change keeps it readable at a 2 s interval.
 */
import { Resolver } from 'node:dns/promises';
import type { StatusReport } from '#core/api/status.ts';
import type { CoordinatorEndpoint } from '#core/probe/post.ts';
import { fetchStatus } from '../coordinator-client.ts';
import type { OperatorCredentials } from '../credentials.ts';

export interface TimelineOptions {
  readonly coordinators: () => readonly CoordinatorEndpoint[];
  readonly operator: OperatorCredentials;
  readonly services: readonly string[];
  readonly dnsPort: number;
  readonly intervalMs: number;
  readonly print: (line: string) => void;
  readonly startedAt?: number;
}

export interface Timeline {
  /** Latest status per coordinator (for the demo and the status page). */
  latest(): Map<string, StatusReport>;
  /** Latest DNS answer (A/AAAA/CNAME values) per service. */
  dnsAnswer(service: string): string[] | undefined;
  stop(): void;
}

export async function resolveService(name: string, port: number): Promise<string[]> {
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    return (await resolver.resolve4(name)).sort();
  } catch {
    try {
      return [(await resolver.resolveCname(name))[0] ?? ''];
    } catch {
      return [];
    }
  }
}

export function startTimeline(options: TimelineOptions): Timeline {
  const t0 = options.startedAt ?? Date.now();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
  const seen = new Map<string, string>();
  const latest = new Map<string, StatusReport>();
  const answers = new Map<string, string[]>();
  const changed = (key: string, value: string) => {
    if (seen.get(key) === value) return false;
    seen.set(key, value);
    return true;
  };
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const { reports, unreachable } = await fetchStatus(options.coordinators(), options.operator, { timeoutMs: 2000 });
      for (const { coordinator, error } of unreachable) {
        if (changed(`up:${coordinator}`, 'down')) options.print(`${stamp()} ${coordinator.padEnd(10)} coordinator not answering: ${error}`);
      }
      for (const report of reports) {
        const c = report.coordinator;
        latest.set(c, report);
        if (changed(`up:${c}`, 'up')) options.print(`${stamp()} ${c.padEnd(10)} coordinator answering`);
        for (const s of report.services) {
          const p = s.tally.primary;
          const q = s.tally.secondary;
          const votes = `primary ${p.healthy}/${p.fresh} healthy${p.abstain ? ` (${p.abstain} abstain)` : ''}, secondary ${q.healthy}/${q.fresh} healthy`;
          if (changed(`votes:${c}:${s.service}`, votes)) options.print(`${stamp()} ${c.padEnd(10)} ${s.service}: ${votes}`);
          if (changed(`active:${c}:${s.service}`, `${s.active}#${s.epoch}`) && s.lastDecision) {
            options.print(`${stamp()} ${c.padEnd(10)} DECIDES ${s.service} -> ${s.active} (epoch ${s.epoch}, ${s.lastDecision.cause})`);
          }
          if (changed(`hold:${c}:${s.service}`, s.hold?.reason ?? '') && s.hold) options.print(`${stamp()} ${c.padEnd(10)} HOLD ${s.service}: ${s.hold.reason}`);
          const hadOverride = (seen.get(`override:${c}:${s.service}`) ?? '') !== '';
          if (changed(`override:${c}:${s.service}`, s.override ? `${s.override.action}:${s.override.until ?? ''}` : '') && (s.override || hadOverride)) {
            options.print(`${stamp()} ${c.padEnd(10)} override on ${s.service}: ${s.override ? `${s.override.action} by ${s.override.by}` : 'cleared'}`);
          }
        }
      }
      for (const service of options.services) {
        const answer = await resolveService(service, options.dnsPort);
        answers.set(service, answer);
        if (changed(`dns:${service}`, answer.join(','))) options.print(`${stamp()} dns        ${service} answers ${answer.join(', ') || '(nothing)'}`);
      }
    } finally {
      busy = false;
    }
  };
  void poll();
  const timer = setInterval(() => void poll(), Math.max(500, options.intervalMs / 2));
  return {
    latest: () => latest,
    dnsAnswer: (service) => answers.get(service),
    stop: () => clearInterval(timer),
  };
}
