/**
 * The coordinator, runtime-agnostic: takes authenticated observation batches and overrides,
 * runs the decision engine per service with a compare-and-swap on stored state, then carries out
 * the actions (DNS flip, notifications, audit). The Lambda and the Durable Object both wrap this
 * class; neither holds any decision logic of its own.
 *
 * Crash safety: a decision is saved with `pendingFlip` BEFORE DNS is touched, and cleared only
 * after every provider confirmed. A coordinator that dies in between finds the pending flip on
 * its next evaluation and re-applies it; the DNS compare-and-swap makes that idempotent.
 */
import type { LifeboatConfig, ServiceConfig } from '../config/schema.ts';
import { policyFor, vantagePointsOf } from '../config/validate.ts';
import { evaluate } from '../engine/decide.ts';
import { inMaintenance } from '../engine/maintenance.ts';
import type { Action, AuditEntry, Decision, Evidence, NotifyEvent } from '../engine/actions.ts';
import type { Policy } from '../engine/policy.ts';
import { initialServiceState, type ServiceState } from '../engine/state.ts';
import { evidenceOf } from '../engine/votes.ts';
import { flipService, type FlipResult, type ProviderTarget } from '../dns/flip.ts';
import { normaliseName, type Observation, type ObservationBatch, type OverrideCommand, type ServiceName, type VantagePoint } from '../model.ts';
import type { Clock, Logger } from '../ports.ts';
import type { AuditQuery, StateStore } from './store.ts';

export type NotifyAction = Extract<Action, { type: 'notify' }>;

export interface Notifier {
  /** Must not throw for delivery problems it can retry itself; a throw is logged and dropped. */
  send(notification: NotifyAction): Promise<void>;
}

export interface CoordinatorDeps {
  readonly config: LifeboatConfig;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The DNS providers a service is flipped at. */
  readonly dnsFor: (service: ServiceConfig) => readonly ProviderTarget[];
  readonly notifier?: Notifier;
  /** Name of this coordinator in logs and status (`aws`, `cloudflare`, `local`...). */
  readonly name: string;
}

/** A request the coordinator refuses, with the field at fault. Maps to HTTP 400/404/403. */
export class CoordinatorInputError extends Error {
  override readonly name = 'CoordinatorInputError';
  constructor(readonly status: 400 | 403 | 404, readonly field: string, message: string) {
    super(message);
  }
}

export interface IngestResult {
  readonly accepted: number;
  readonly ignored: number;
  readonly decisions: readonly Decision[];
}

export interface FlipReport {
  readonly decision: Decision;
  readonly results: readonly FlipResult[];
  /** True when this coordinator's write changed DNS at one provider at least. */
  readonly won: boolean;
  readonly complete: boolean;
}

const MAX_CAS_ATTEMPTS = 8;

/**
 * How long a failed flip waits before the next try: 1 s, 2 s, 4 s ... capped at 30 s. Without it,
 * every batch (24 a round) would retry at once and spend the DNS API's rate limit (Route 53:
 * about 10 requests/s per account) while it is already refusing us.
 */
export function flipRetryDelayMs(attempts: number): number {
  return attempts <= 0 ? 0 : Math.min(30_000, 1_000 * 2 ** (attempts - 1));
}
const MAX_DNS_CONFLICT_RETRIES = 3;

export class Coordinator {
  private readonly services = new Map<ServiceName, ServiceConfig>();
  private readonly policies = new Map<ServiceName, Policy>();
  private readonly vantagePoints: ReadonlySet<VantagePoint>;

  constructor(private readonly deps: CoordinatorDeps) {
    for (const s of deps.config.services) {
      const name = normaliseName(s.name);
      this.services.set(name, s);
      this.policies.set(name, policyFor(deps.config, s));
    }
    this.vantagePoints = new Set(vantagePointsOf(deps.config));
  }

  get name(): string {
    return this.deps.name;
  }

  serviceNames(): ServiceName[] {
    return [...this.services.keys()];
  }

  /** `POST /v1/observations`: one VP's round. */
  async ingest(batch: ObservationBatch, keyId: string): Promise<IngestResult> {
    if (!this.vantagePoints.has(batch.vantagePoint) && !batch.vantagePoint.startsWith('local:')) {
      throw new CoordinatorInputError(403, 'vantagePoint', `vantage point ${batch.vantagePoint} is not in the config`);
    }
    const now = this.deps.clock.now();
    const byService = new Map<ServiceName, Observation[]>();
    let ignored = 0;
    for (const r of batch.results) {
      const service = normaliseName(r.service);
      if (!this.services.has(service)) { ignored++; continue; }
      const obs: Observation = {
        service, target: r.target, vantagePoint: batch.vantagePoint,
        // A VP that failed its control check knows nothing: whatever it sent, it abstains.
        verdict: batch.controlOk ? r.verdict : 'abstain',
        observedAt: r.observedAt, receivedAt: now,
        ...(r.failure ? { failure: r.failure } : {}),
        ...(r.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {}),
        ...(batch.ranIn ? { ranIn: batch.ranIn } : {}),
      };
      const list = byService.get(service);
      if (list) list.push(obs);
      else byService.set(service, [obs]);
    }
    const decisions: Decision[] = [];
    for (const [service, observations] of byService) {
      const { decision } = await this.evaluateService(service, observations, []);
      if (decision) decisions.push(decision);
    }
    this.deps.logger.debug('observations accepted', { vantagePoint: batch.vantagePoint, round: batch.round, keyId, accepted: batch.results.length - ignored, ignored });
    return { accepted: batch.results.length - ignored, ignored, decisions };
  }

  /** `POST /v1/override`: takes effect at once (DNS in the same call when the target changes). */
  async override(command: OverrideCommand): Promise<{ state: ServiceState; flip: FlipReport | null }> {
    const service = normaliseName(command.service);
    if (!this.services.has(service)) throw new CoordinatorInputError(404, 'service', `no service named ${command.service} in the config`);
    const { flip } = await this.evaluateService(service, [], [{ ...command, service }]);
    // Read back: the flip has cleared (or counted) the pending DNS change since the evaluation.
    const state = (await this.deps.store.get(service))?.value ?? initialServiceState(service);
    return { state, flip };
  }

  /** The coordinator's own schedule: notices silence, expires overrides, retries pending flips. */
  async tick(): Promise<Decision[]> {
    const decisions: Decision[] = [];
    for (const service of this.services.keys()) {
      const { decision } = await this.evaluateService(service, [], []);
      if (decision) decisions.push(decision);
    }
    return decisions;
  }

  /** Records a refused request in the audit log (the API calls this; nothing else changes). */
  async auditRejected(message: string, data: Record<string, unknown>, by?: string): Promise<void> {
    await this.deps.store.appendAudit([{ at: this.deps.clock.now(), service: null, kind: 'rejected', message, data, ...(by ? { by } : {}) }]);
  }

  async audit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.deps.store.audit(query);
  }

  async states(): Promise<{ state: ServiceState; policy: Policy; evidence: Evidence }[]> {
    const now = this.deps.clock.now();
    return Promise.all(this.serviceNames().map(async (name) => {
      const policy = this.policies.get(name)!;
      const state = (await this.deps.store.get(name))?.value ?? initialServiceState(name);
      return { state, policy, evidence: evidenceOf(state.votes, now, policy) };
    }));
  }

  /** Evaluates with compare-and-swap on the stored state, then carries out the actions. */
  private async evaluateService(service: ServiceName, observations: Observation[], overrides: OverrideCommand[]): Promise<{ decision: Decision | null; flip: FlipReport | null }> {
    const policy = this.policies.get(service)!;
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const stored = await this.deps.store.get(service);
      const now = this.deps.clock.now();
      const maintenance = inMaintenance(this.deps.config.maintenance, service, now);
      const out = evaluate({ state: stored?.value ?? initialServiceState(service), observations, overrides, now, policy, inMaintenance: maintenance });
      const version = await this.deps.store.put(out.state, stored?.version ?? null);
      if (version === null) continue; // someone else wrote first: evaluate again on their state
      const flip = await this.carryOut(service, out.state, out.actions);
      return { decision: out.decision, flip };
    }
    throw new Error(`state of ${service} kept changing under ${MAX_CAS_ATTEMPTS} evaluations in a row; giving up this round`);
  }

  /** Audit, DNS, then notifications; returns the DNS flip made, if one was due. */
  private async carryOut(service: ServiceName, state: ServiceState, actions: readonly Action[]): Promise<FlipReport | null> {
    const audit: AuditEntry[] = [];
    let notes: NotifyAction[] = [];
    for (const a of actions) {
      if (a.type === 'audit') audit.push(a.entry);
      else if (a.type === 'notify') notes.push(a);
    }
    if (audit.length) await this.deps.store.appendAudit(audit);
    const pending = state.pendingFlip;
    let report: FlipReport | null = null;
    if (pending && (pending.lastAttemptAt === null || this.deps.clock.now() - pending.lastAttemptAt >= flipRetryDelayMs(pending.attempts))) {
      const made = await this.flip(service, state);
      report = made;
      // A forced change that the other coordinator already wrote (same target, same epoch in the
      // DNS state record) is its message to send, not ours: one incident, one message.
      const doneByPeer = made !== null && !made.won
        && made.results.some((r) => r.ok && r.state?.active === made.decision.to && r.state.epoch === made.decision.epoch);
      if (doneByPeer) notes = notes.filter((n) => n.event !== 'override');
      if (made?.won && made.decision.cause !== 'override') {
        notes.push(flipNotification(made.decision));
      }
    }
    await Promise.all(notes.map((n) => this.notify(n)));
    return report;
  }

  /** Applies the pending flip at every provider, then clears it; leaves it for a retry on failure. */
  private async flip(service: ServiceName, state: ServiceState): Promise<FlipReport | null> {
    const pending = state.pendingFlip!;
    const config = this.services.get(service)!;
    const decision = state.lastDecision?.epoch === pending.epoch ? state.lastDecision : null;
    let targets = [...this.deps.dnsFor(config)];
    const results: FlipResult[] = [];
    const disagreements: string[] = [];
    for (let round = 0; round <= MAX_DNS_CONFLICT_RETRIES && targets.length > 0; round++) {
      const now = this.deps.clock.now();
      const batch = await flipService(targets, pending.to, now);
      const retry: ProviderTarget[] = [];
      batch.forEach((r, i) => {
        // A conflict means someone changed the state record between our read and write: re-plan.
        // DNS naming another target than we decided means the other coordinator decided otherwise.
        if (r.ok && r.outcome === 'conflict' && r.state && r.state.active !== pending.to) disagreements.push(`${r.provider} ${r.zone} serves ${r.state.active} (epoch ${r.state.epoch})`);
        if (r.ok && r.outcome === 'conflict' && round < MAX_DNS_CONFLICT_RETRIES) retry.push(targets[i]!);
        else results.push(r);
      });
      targets = retry;
    }
    const complete = results.every((r) => r.ok && r.outcome !== 'conflict');
    const won = results.some((r) => r.ok && r.outcome === 'applied');
    const failures = results.filter((r): r is Extract<FlipResult, { ok: false }> => !r.ok);
    const now = this.deps.clock.now();
    await this.deps.store.appendAudit([{
      at: now, service, kind: 'dns',
      message: `${complete ? 'DNS serves' : 'DNS flip incomplete for'} ${pending.to} (epoch ${pending.epoch}): ${results.map((r) => `${r.provider} ${r.ok ? r.outcome : `failed: ${r.error.message}`}`).join(', ')}`,
      data: { to: pending.to, epoch: pending.epoch, outcomes: results.map((r) => ({ provider: r.provider, zone: r.zone, outcome: r.ok ? r.outcome : 'error' })) },
    }]);
    for (const f of failures) this.deps.logger.error('DNS flip failed', { coordinator: this.name, service, provider: f.provider, zone: f.zone, error: f.error.message });
    // Record the outcome: clear the pending flip when done, count the attempt when not.
    await this.updateState(service, (s) => {
      if (s.pendingFlip?.epoch !== pending.epoch) return null;
      return { ...s, pendingFlip: complete ? null : { ...pending, attempts: pending.attempts + 1, lastAttemptAt: now } };
    });
    if (disagreements.length > 0) {
      await this.notify({
        type: 'notify', event: 'disagreement', service, key: `${service}#${pending.epoch}#disagreement`,
        text: `${service}: coordinator ${this.name} decided ${pending.to} (epoch ${pending.epoch}) but DNS showed another target: ${[...new Set(disagreements)].join('; ')}`,
      });
    }
    return decision ? { decision, results, won, complete } : null;
  }

  /** Read-modify-write with compare-and-swap; `change` returns null when nothing is to be done. */
  private async updateState(service: ServiceName, change: (s: ServiceState) => ServiceState | null): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const stored = await this.deps.store.get(service);
      if (!stored) return;
      const next = change(stored.value);
      if (next === null) return;
      if ((await this.deps.store.put(next, stored.version)) !== null) return;
    }
  }

  private async notify(n: NotifyAction): Promise<void> {
    if (!this.deps.notifier) return;
    try {
      await this.deps.notifier.send(n);
    } catch (err) {
      this.deps.logger.error('notification failed', { coordinator: this.name, service: n.service, event: n.event, error: err instanceof Error ? err.message : String(err) });
    }
  }
}

function flipNotification(decision: Decision): NotifyAction {
  const event: NotifyEvent = decision.to === 'secondary' ? 'failover' : 'failback';
  return { type: 'notify', event, service: decision.service, key: `${decision.service}#${decision.epoch}#${event}`, text: decision.summary };
}
