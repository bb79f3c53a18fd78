/**
 * Carrying out the DNS actions of one evaluation round, across services: every service's flip
 * at one provider goes to that provider together (core/dns/batch.ts), so a whole site failing
 * costs a few API calls per zone instead of several per service, inside the providers' rate
 * limits. Each provider is worked on its own (one failing does not stop the others); a service
 * whose state record moved under the write is re-planned, a bounded number of times.
 */
import type { ServiceConfig } from '../config/schema.ts';
import { flipMany, type FlipItem } from '../dns/batch.ts';
import type { FlipResult, ProviderTarget } from '../dns/flip.ts';
import type { DnsProvider } from '../dns/types.ts';
import type { FlipOutcome, ProviderOutcome } from '../engine/actions.ts';
import type { Decision } from '../engine/decision.ts';
import { classifyFlip } from '../engine/flip.ts';
import type { ServiceName } from '../model.ts';
import type { Clock, Logger } from '../ports.ts';
import { canCheckSync, propagationOf, type SyncCheckingProvider } from './propagation.ts';

export interface FlipReport {
  readonly decision: Decision;
  readonly results: readonly FlipResult[];
  /** True when this coordinator's write changed DNS at one provider at least. */
  readonly won: boolean;
  readonly complete: boolean;
}

/** One engine `dns` action to carry out. */
export interface DnsWork {
  readonly service: ServiceName;
  readonly config: ServiceConfig;
  readonly decision: Decision;
  readonly epoch: number;
}

export interface DnsWorkDone {
  readonly work: DnsWork;
  readonly report: FlipReport;
  readonly outcome: FlipOutcome;
}

export interface CarryOutDeps {
  readonly dnsFor: (service: ServiceConfig) => readonly ProviderTarget[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** The coordinator's name, for logs. */
  readonly name: string;
  /** Told every service's results once its writes are done (metrics: attempted, applied, failed). */
  readonly onFlip?: (service: ServiceName, results: readonly FlipResult[]) => void;
}

export const MAX_DNS_CONFLICT_RETRIES = 3;

interface Slot { readonly work: number; readonly target: ProviderTarget }

/** Carries out every piece of work; one result per piece, in order. */
export async function carryOutDns(works: readonly DnsWork[], deps: CarryOutDeps): Promise<DnsWorkDone[]> {
  // Earlier changes still propagating are checked alongside this round's writes, never before them.
  const propagation = propagationOf(deps);
  const following = propagation.follow(deps.clock.now(), deps.logger);
  const byProvider = new Map<DnsProvider, Slot[]>();
  works.forEach((w, work) => {
    for (const target of deps.dnsFor(w.config)) {
      const slots = byProvider.get(target.provider);
      if (slots) slots.push({ work, target });
      else byProvider.set(target.provider, [{ work, target }]);
    }
  });
  const results: FlipResult[][] = works.map(() => []);
  const disagreements: string[][] = works.map(() => []);
  await Promise.all([...byProvider].map(async ([provider, all]) => {
    let slots = all;
    for (let round = 0; round <= MAX_DNS_CONFLICT_RETRIES && slots.length > 0; round++) {
      const items: FlipItem[] = slots.map((s) => ({ dns: s.target.dns, to: works[s.work]!.decision.to, epoch: works[s.work]!.epoch }));
      const flipped = await flipMany(provider, items, deps.clock.now());
      const retry: Slot[] = [];
      flipped.forEach((r, i) => {
        const slot = slots[i]!;
        const w = works[slot.work]!;
        // A conflict means someone changed the state record between our read and write: re-plan.
        if (r.ok && r.outcome === 'conflict' && r.state && r.state.active !== w.decision.to) disagreements[slot.work]!.push(`${r.provider} ${r.zone} serves ${r.state.active} (epoch ${r.state.epoch})`);
        if (r.ok && r.outcome === 'applied' && r.changeId && followsPropagation(w.config, slot.target.provider)) {
          propagation.record(w.service, slot.target.provider, { changeId: r.changeId, epoch: r.plan.newState.epoch }, deps.clock.now());
        }
        if (r.ok && r.outcome === 'conflict' && round < MAX_DNS_CONFLICT_RETRIES) retry.push(slot);
        else results[slot.work]!.push(r);
        // Reported to the engine as a conflict like any other; logged here so the give-up shows.
        if (r.ok && r.outcome === 'conflict' && round === MAX_DNS_CONFLICT_RETRIES) {
          deps.logger.warn('gave up a DNS write: the state record kept changing under every re-plan', { coordinator: deps.name, service: w.service, provider: r.provider, zone: r.zone, attempts: round + 1 });
        }
      });
      slots = retry;
    }
  }));
  await following;
  return works.map((work, i) => {
    deps.onFlip?.(work.service, results[i]!);
    for (const r of results[i]!) {
      if (!r.ok) deps.logger.error('DNS flip failed', { coordinator: deps.name, service: work.service, provider: r.provider, zone: r.zone, error: r.error.message });
    }
    const outcome: FlipOutcome = {
      epoch: work.epoch, to: work.decision.to, at: deps.clock.now(), providers: results[i]!.map(providerOutcome),
      ...(disagreements[i]!.length ? { disagreements: disagreements[i]! } : {}),
    };
    const { won, complete } = classifyFlip(outcome);
    return { work, report: { decision: work.decision, results: results[i]!, won, complete }, outcome };
  });
}

/** Route 53 zones follow their changes to INSYNC unless the entry says checkPropagation: false. */
function followsPropagation(config: ServiceConfig, provider: DnsProvider): provider is SyncCheckingProvider {
  if (!canCheckSync(provider)) return false;
  const entry = config.dns.find((d) => d.provider === 'route53' && d.hostedZoneId.replace(/^\/?hostedzone\//, '') === provider.zone);
  return entry?.provider === 'route53' && entry.checkPropagation !== false;
}

function providerOutcome(r: FlipResult): ProviderOutcome {
  if (!r.ok) return { provider: r.provider, zone: r.zone, outcome: 'failed', dns: null, error: r.error.message };
  return { provider: r.provider, zone: r.zone, outcome: r.outcome, dns: r.state ? { active: r.state.active, epoch: r.state.epoch } : null };
}
