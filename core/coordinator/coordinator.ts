/**
 * The coordinator, runtime-agnostic: takes authenticated observation batches and overrides, and
 * runs one path per service: load state -> evaluate -> save with compare-and-swap -> carry out the
 * engine's actions (audit, DNS, notices) -> hand the DNS outcomes back to the engine as input of
 * the next evaluation -> save and carry out again. It decides nothing itself; the Lambda and the
 * Durable Object both wrap this class and hold no decision logic either.
 *
 * Crash safety: a decision and each attempt are saved BEFORE DNS is touched, and the flip is
 * cleared only once the engine has seen every provider confirm. A coordinator that dies in between
 * finds the pending flip on a later evaluation and the engine retries it; the DNS compare-and-swap
 * makes that idempotent.
 */
import type { LifeboatConfig, ServiceConfig } from '../config/schema.ts';
import { policyFor, vantagePointsOf } from '../config/access.ts';
import { evaluate } from '../engine/decide.ts';
import { inMaintenance } from '../engine/maintenance.ts';
import type { Action, AuditEntry, FlipOutcome } from '../engine/actions.ts';
import type { Decision } from '../engine/decision.ts';
import type { Evidence } from '../engine/evidence.ts';
import type { Policy } from '../engine/policy.ts';
import { initialServiceState, upgradeState, type ServiceState } from '../engine/state.ts';
import { evidenceOf, isFresh, judge, MAX_OBSERVATION_SKEW_MS, refuseObservationTime, type ProviderJudgement, type TimeRefusal } from '../engine/votes.ts';
import type { FlipResult, ProviderTarget } from '../dns/flip.ts';
import { carryOutDns, type DnsWork, type FlipReport } from './carry-out.ts';
import { propagationOf, type PropagationView } from './propagation.ts';
import { normaliseName, type Observation, type ObservationBatch, type OverrideCommand, type ServiceName, type VantagePoint } from '../model.ts';
import type { Clock, Logger } from '../ports.ts';
import { replayRefused, type AuditQuery, type StateStore, type StoreSnapshot, type Versioned } from './store.ts';
import { grayBucketsOf, indexLedger, mergeBooks, planRecord, sumBuckets, votesOf, type Heartbeat, type LedgerIndex, type SignedBatchMark, type VoteSheet } from './ledger.ts';
import { VoteColumns } from '../engine/columns.ts';
import { withBook, withColumns } from '../engine/state-columns.ts';
import { sameValue } from './same-value.ts';
import { InputError, StorageError } from '../errors.ts';

export { flipRetryDelayMs } from '../engine/flip.ts';
export type { FlipReport } from './carry-out.ts';

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
  /** Told every DNS write's results (flip metrics: attempted, applied, failed). */
  readonly onFlip?: (service: ServiceName, results: readonly FlipResult[]) => void;
}

/** A request the coordinator refuses, with the field at fault. Maps to HTTP 400/404/403. */
export class CoordinatorInputError extends InputError {
  override readonly name: string = 'CoordinatorInputError';
  constructor(readonly status: 400 | 403 | 404, readonly field: string, message: string) {
    super(message);
  }
}

export interface IngestResult {
  readonly accepted: number;
  /** Results for services not in the config. */
  readonly ignored: number;
  /** Results refused for their time (core/engine/votes.ts refuseObservationTime): not stored. */
  readonly refused: number;
  /** Count per reason, e.g. {"observedAt in the future": 2}. */
  readonly refusedReasons: Readonly<Partial<Record<TimeRefusal, number>>>;
  readonly decisions: readonly Decision[];
  /**
   * True when the batch's heartbeat write was its replay guard (a signed ingest with accepted
   * observations); false when nothing was written, so the caller must guard it another way (the nonce store).
   */
  readonly replayChecked: boolean;
}

/** A signed observation batch already recorded (a replay), or older than its slice's last one. Maps to 401 replayed_nonce. */
export class BatchReplayError extends InputError {
  override readonly name: string = 'BatchReplayError';
  constructor(readonly vantagePoint: VantagePoint, readonly slice: string) {
    super(`a batch of ${vantagePoint} for the slice starting at ${slice} sent at the same time or later is already recorded`);
  }
}

/** A thrown give-up: the state kept changing under every compare-and-swap attempt. */
export class StateContentionError extends StorageError {
  override readonly name: string = 'StateContentionError';
}

/**
 * Compare-and-swap attempts on one service's decision state. Votes are recorded before any
 * evaluation (the ledger, ./ledger.ts), and an evaluation writes only when the decision state
 * changes, so a lost swap means another evaluation changed it after reading a ledger that may
 * lack our votes; the retry reads both again, our votes included, and stops as soon as nothing
 * is left to change. Concurrent evaluations that saw the same votes make the same change: after
 * the first one wins, the others find nothing to write.
 */
const MAX_CAS_ATTEMPTS = 8;

interface EvaluationInput {
  readonly service: ServiceName;
  readonly observations: Observation[];
  readonly overrides: OverrideCommand[];
}

interface Evaluated {
  readonly decision: Decision | null;
  readonly flip: FlipReport | null;
}
/** Evaluate -> carry out -> report rounds per call; a DNS attempt per round at most. */
const MAX_OUTCOME_ROUNDS = 4;

export class Coordinator {
  private readonly services = new Map<ServiceName, ServiceConfig>();
  private readonly policies = new Map<ServiceName, Policy>();
  private readonly vantagePoints: ReadonlySet<VantagePoint>;
  /** The longest gray-failure window of any service: how much receive history a heartbeat keeps. */
  private readonly grayWindowMs: number;

  constructor(private readonly deps: CoordinatorDeps) {
    let window = 0;
    for (const s of deps.config.services) {
      const name = normaliseName(s.name);
      this.services.set(name, s);
      const policy = policyFor(deps.config, s);
      this.policies.set(name, policy);
      window = Math.max(window, policy.degradedWindowMs);
    }
    this.vantagePoints = new Set(vantagePointsOf(deps.config));
    this.grayWindowMs = window;
  }

  get name(): string {
    return this.deps.name;
  }

  serviceNames(): ServiceName[] {
    return [...this.services.keys()];
  }

  /**
   * `POST /v1/observations`: one VP's round (or one slice of it). With `signed` (the API passes the
   * request's nonce), the slice's heartbeat write is the batch's replay guard: a replay, or a batch
   * older than the one recorded, throws BatchReplayError having written nothing and counted no vote.
   */
  async ingest(batch: ObservationBatch, keyId: string, signed?: { readonly nonce: string }): Promise<IngestResult> {
    // Vantage point names come from the config only: the vote book can never outgrow it.
    if (!this.vantagePoints.has(batch.vantagePoint)) {
      throw new CoordinatorInputError(403, 'vantagePoint', `vantage point ${batch.vantagePoint} is not in the config`);
    }
    const now = this.deps.clock.now();
    // A signed batch's sentAt orders the replay guard (store.ts replayRefused): one far ahead would
    // refuse every later batch of its vantage point, so it gets the observations' own future bound.
    if (signed && batch.sentAt > now + MAX_OBSERVATION_SKEW_MS) {
      throw new CoordinatorInputError(400, 'sentAt', `${batch.sentAt} (Unix ms) is more than ${MAX_OBSERVATION_SKEW_MS / 1000} s ahead of this coordinator's clock`);
    }
    const byService = new Map<ServiceName, Observation[]>();
    let ignored = 0;
    const refusedReasons: Partial<Record<TimeRefusal, number>> = {};
    let refused = 0;
    // The slice is the first configured service the batch names, time-refused or not: a replay
    // whose older results are now refused for their time still lands on the same heartbeat.
    let slice: ServiceName | null = null;
    for (const r of batch.results) {
      const service = normaliseName(r.service);
      if (!this.services.has(service)) { ignored++; continue; }
      if (slice === null || service < slice) slice = service;
      const reason = refuseObservationTime({ observedAt: r.observedAt, receivedAt: now }, this.policies.get(service)!);
      if (reason) { refused++; refusedReasons[reason] = (refusedReasons[reason] ?? 0) + 1; continue; }
      // controlOk=false already made every verdict `abstain` in the probe round (core/probe).
      const obs: Observation = {
        service, target: r.target, vantagePoint: batch.vantagePoint, verdict: r.verdict,
        observedAt: r.observedAt, receivedAt: now,
        ...(r.failure ? { failure: r.failure } : {}),
        ...(r.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {}),
        ...(batch.ranIn ? { ranIn: batch.ranIn } : {}),
      };
      const list = byService.get(service);
      if (list) list.push(obs);
      else byService.set(service, [obs]);
    }
    if (refused > 0) {
      this.deps.logger.warn('observations refused for their time', { coordinator: this.name, vantagePoint: batch.vantagePoint, round: batch.round, keyId, refused, reasons: refusedReasons });
    }
    const decisions: Decision[] = [];
    let replayChecked = false;
    if (byService.size > 0 && slice !== null) {
      const mark = signed ? { sentAt: batch.sentAt, round: batch.round, nonce: signed.nonce } : undefined;
      // Record first, then read: of concurrent batches, the one that reads last sees every vote.
      const before = await this.record(batch.vantagePoint, slice, [...byService.values()].flat(), now, mark);
      if (before === 'replayed') {
        this.deps.logger.warn('observation batch refused as a replay', { coordinator: this.name, vantagePoint: batch.vantagePoint, round: batch.round, keyId });
        throw new BatchReplayError(batch.vantagePoint, slice);
      }
      replayChecked = mark !== undefined;
      const view = viewOf(await this.deps.store.snapshot(), before, [...byService.keys()]);
      // All services of the batch together: their DNS actions go to each provider as one batch.
      const evaluated = await this.evaluateServices([...byService].map(([service, observations]) => ({ service, observations, overrides: [] })), view);
      for (const e of evaluated) if (e.decision) decisions.push(e.decision);
    }
    const accepted = batch.results.length - ignored - refused;
    this.deps.logger.debug('observations accepted', { vantagePoint: batch.vantagePoint, round: batch.round, keyId, accepted, ignored, refused });
    return { accepted, ignored, refused, refusedReasons, decisions, replayChecked };
  }

  /** `POST /v1/override`: takes effect at once (DNS in the same call when the target changes). */
  async override(command: OverrideCommand): Promise<{ state: ServiceState; flip: FlipReport | null }> {
    const service = normaliseName(command.service);
    if (!this.services.has(service)) throw new CoordinatorInputError(404, 'service', `no service named ${command.service} in the config`);
    const [{ flip }] = await this.evaluateServices([{ service, observations: [], overrides: [{ ...command, service }] }]) as [Evaluated];
    // Read back: the flip has cleared (or counted) the pending DNS change since the evaluation.
    const view = viewOf(await this.deps.store.snapshot(), undefined, [service]);
    return { state: this.withVotes(service, view.states.get(service)?.value, view.index, this.deps.clock.now()), flip };
  }

  /** The coordinator's own schedule: notices silence, expires overrides, retries pending flips. */
  async tick(): Promise<Decision[]> {
    const view = viewOf(await this.deps.store.snapshot());
    const evaluated = await this.evaluateServices([...this.services.keys()].map((service) => ({ service, observations: [], overrides: [] })), view);
    return evaluated.flatMap((e) => (e.decision ? [e.decision] : []));
  }

  /** Records a refused request in the audit log (the API calls this; nothing else changes). */
  async auditRejected(message: string, data: Record<string, unknown>, by?: string): Promise<void> {
    await this.deps.store.appendAudit([{ at: this.deps.clock.now(), service: null, kind: 'rejected', message, data, ...(by ? { by } : {}) }]);
  }

  /** The service's latest DNS change per zone, followed until live (core/coordinator/propagation.ts). */
  propagation(service: ServiceName): PropagationView[] { return propagationOf(this.deps).view(service); }

  async audit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.deps.store.audit(query);
  }

  async states(): Promise<{ state: ServiceState; policy: Policy; evidence: Evidence; providers: Record<'primary' | 'secondary', readonly ProviderJudgement[]> }[]> {
    const now = this.deps.clock.now();
    const view = viewOf(await this.deps.store.snapshot());
    return this.serviceNames().map((name) => {
      const policy = this.policies.get(name)!;
      const state = this.withVotes(name, view.states.get(name)?.value, view.index, now);
      const providers = { primary: judge(state.votes, 'primary', now, policy).providers, secondary: judge(state.votes, 'secondary', now, policy).providers };
      return { state, policy, evidence: evidenceOf(state.votes, now, policy), providers };
    });
  }

  /**
   * Records one batch in the vote ledger: its heartbeat, and its vote sheet when a vote changed.
   * Returns the slice's items as they were before, for evaluating the batch as news.
   */
  private async record(vantagePoint: VantagePoint, slice: string, observations: readonly Observation[], now: number, signed?: SignedBatchMark): Promise<SliceBefore | 'replayed'> {
    const mine = await this.deps.store.ledger(vantagePoint);
    const heartbeat = mine.heartbeats.find((h) => h.slice === slice) ?? null;
    const sheet = mine.sheets.find((s) => s.slice === slice) ?? null;
    const planned = planRecord({ heartbeat, sheet }, vantagePoint, slice, observations, now, this.grayWindowMs);
    const write = signed ? { ...planned, heartbeat: { ...planned.heartbeat, signed } } : planned;
    // Checked before writing, so a replay writes no sheet; the store's conditional write decides races.
    if (replayRefused(write.heartbeat, heartbeat)) return 'replayed';
    if (await this.deps.store.writeLedger(write) === 'replayed') return 'replayed';
    return { vantagePoint, slice, heartbeat, sheet };
  }

  /** The state the engine evaluates: the stored decision state with its votes and gray counts from the ledger. */
  private withVotes(service: ServiceName, stored: ServiceState | undefined, index: LedgerIndex, now: number): ServiceState {
    const policy = this.policies.get(service)!;
    const state = upgradeState(stored ?? initialServiceState(service));
    const counted = grayBucketsOf(index, service, now, policy.intervalMs, policy.degradedWindowMs, state.gray.countedFrom ?? null);
    // countedFrom always present here: the engine's restart of the count (initialGrayState) drops it, which persistable() detects.
    // The ledger's votes as columns (the engine reads them so); votes saved by 0.1/0.2 are merged in the stored shape.
    const ledger = votesOf(index, service);
    const votes = state.votes.length === 0 ? ledger : VoteColumns.fromBook(mergeBooks(state.votes, ledger.toBook()));
    return withColumns({ ...state, gray: { ...state.gray, buckets: sumBuckets(state.gray.buckets, counted), countedFrom: state.gray.countedFrom ?? null } }, votes);
  }

  /**
   * What is saved of an evaluated state: the decision, without what the ledger holds. Votes and
   * gray counts saved by 0.1/0.2 stay while they still count (fresh, inside the window).
   */
  private persistable(out: ServiceState, stored: ServiceState, now: number): ServiceState {
    const policy = this.policies.get(out.service)!;
    // The engine restarts the gray count on a decision or an abandoned flip (core/engine/decide.ts).
    const restarted = out.gray.countedFrom === undefined;
    const fresh = (v: { receivedAt: number } | null) => v !== null && isFresh(v, now, policy);
    // The engine's votes are the ledger's: replaced without being built as a book (withBook).
    return {
      ...withBook(out, stored.votes.filter((e) => fresh(e.primary) || fresh(e.secondary))),
      gray: {
        ...out.gray,
        // After a restart the ledger's rounds so far no longer count.
        buckets: restarted ? [] : stored.gray.buckets.filter((b) => b.at > now - policy.degradedWindowMs),
        countedFrom: restarted ? now : stored.gray.countedFrom ?? null,
      },
    };
  }

  /**
   * The one path, for many services at once: evaluate each with compare-and-swap and carry out its
   * audit and notices, then carry out every service's DNS actions together (one batch per zone,
   * core/coordinator/carry-out.ts), and feed each service's DNS outcomes back into its next
   * evaluation until the engine asks for no more DNS work. One service's evaluation failing does
   * not hold back the others' DNS; its error is thrown once they are done.
   */
  private async evaluateServices(inputs: readonly EvaluationInput[], view?: View): Promise<Evaluated[]> {
    const done = new Map<ServiceName, { decision: Decision | null; flip: FlipReport | null }>(inputs.map((i) => [i.service, { decision: null, flip: null }]));
    let pending: (EvaluationInput & { flipOutcomes: FlipOutcome[] })[] = inputs.map((i) => ({ ...i, flipOutcomes: [] }));
    let failure: unknown;
    for (let round = 1; round <= MAX_OUTCOME_ROUNDS && pending.length > 0; round++) {
      const work: DnsWork[] = [];
      for (const p of pending) {
        try {
          // Later rounds read afresh: the first one has written.
          const out = await this.evaluateAndSave(p.service, p.observations, p.overrides, p.flipOutcomes, round === 1 ? view : undefined);
          const entry = done.get(p.service)!;
          entry.decision ??= out.decision;
          const config = this.services.get(p.service)!;
          for (const a of await this.carryOutNonDns(out.actions)) work.push({ service: p.service, config, decision: a.decision, epoch: a.epoch });
        } catch (err) {
          failure ??= err;
        }
      }
      const flipped = await carryOutDns(work, this.deps);
      const outcomes = new Map<ServiceName, FlipOutcome[]>();
      for (const f of flipped) {
        done.get(f.work.service)!.flip = f.report;
        outcomes.set(f.work.service, [...(outcomes.get(f.work.service) ?? []), f.outcome]);
      }
      pending = [...outcomes].map(([service, flipOutcomes]) => ({ service, observations: [], overrides: [], flipOutcomes }));
    }
    // Unreported outcomes are not lost for good: the pending flip stays, and its next attempt
    // finds DNS as this one left it.
    for (const p of pending) this.deps.logger.error('gave up reporting DNS outcomes to the engine', { coordinator: this.name, service: p.service, rounds: MAX_OUTCOME_ROUNDS });
    if (failure !== undefined) throw failure;
    return inputs.map((i) => done.get(i.service)!);
  }

  private async evaluateAndSave(service: ServiceName, observations: Observation[], overrides: OverrideCommand[], flipOutcomes: FlipOutcome[], view?: View) {
    const policy = this.policies.get(service)!;
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const v = attempt === 1 && view ? view : viewOf(await this.deps.store.snapshot(), undefined, [service]);
      const stored = v.states.get(service) ?? null;
      const now = this.deps.clock.now();
      const maintenance = inMaintenance(this.deps.config.maintenance, service, now);
      // A given view may predate this batch's record (ingest); a re-read holds it, so it is not news twice.
      const news = attempt === 1 && view ? observations : [];
      const before = this.withVotes(service, stored?.value, v.index, now);
      const out = evaluate({ state: before, observations: news, overrides, flipOutcomes, now, policy, inMaintenance: maintenance });
      const storedValue = upgradeState(stored?.value ?? initialServiceState(service));
      const next = this.persistable(out.state, storedValue, now);
      // Nothing to save and nothing to do: no write, so nothing to contend on.
      if (out.actions.length === 0 && sameValue(next, storedValue)) return out;
      const version = await this.deps.store.put(next, stored?.version ?? null);
      if (version !== null) return out;
      // Someone else changed it first: evaluate again on their state (MAX_CAS_ATTEMPTS says why this ends).
    }
    this.deps.logger.error('gave up saving state: it kept changing under every compare-and-swap', { coordinator: this.name, service, attempts: MAX_CAS_ATTEMPTS });
    throw new StateContentionError(`state of ${service} kept changing under ${MAX_CAS_ATTEMPTS} evaluations in a row; giving up this round`);
  }

  /** Audit, then notices, exactly as the engine said; returns the DNS actions for carryOutDns. */
  private async carryOutNonDns(actions: readonly Action[]): Promise<Extract<Action, { type: 'dns' }>[]> {
    const audit: AuditEntry[] = [];
    const notes: NotifyAction[] = [];
    const dns: Extract<Action, { type: 'dns' }>[] = [];
    for (const a of actions) {
      if (a.type === 'audit') audit.push(a.entry);
      else if (a.type === 'notify') notes.push(a);
      else dns.push(a);
    }
    if (audit.length) await this.deps.store.appendAudit(audit);
    await Promise.all(notes.map((n) => this.notify(n)));
    return dns;
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

/** The slice of a batch as it was before the batch was recorded. */
interface SliceBefore {
  readonly vantagePoint: VantagePoint;
  readonly slice: string;
  readonly heartbeat: Heartbeat | null;
  readonly sheet: VoteSheet | null;
}

/** One read of the store, indexed for evaluating many services. */
interface View {
  readonly states: ReadonlyMap<ServiceName, Versioned<ServiceState>>;
  readonly index: LedgerIndex;
}

/**
 * `only`: the services the view is read for (a batch's); the others are left out of it. A batch
 * of 250 services out of 1,000 indexed the whole ledger each time (issue 13).
 */
function viewOf(snapshot: StoreSnapshot, before?: SliceBefore, only?: readonly ServiceName[]): View {
  const wanted = only ? new Set(only) : null;
  const states = new Map<ServiceName, Versioned<ServiceState>>();
  for (const s of snapshot.states) if (wanted === null || wanted.has(s.value.service)) states.set(s.value.service, s);
  return { states, index: indexLedger(snapshot.ledger, before, only) };
}
