/**
 * The simulated world: what the network gives a request from a given vantage point at a given
 * virtual time, given the scenario's faults (the probe code judges it, as it would a real answer).
 * Also the ground truth the report is judged against.
 *
 * Composition (order-independent, docs/simulate.md): every fault active on a target contributes
 * at once; the answer is the most severe failure among them (silent > refused > 503), else a
 * response after the slowest latency. Flaky faults combine into one draw (fails with
 * 1 - Π(1 - rate)), so the result does not depend on the order the faults are listed in.
 */
import type { Provider, TargetRole, UnixMs, VantagePoint } from '../model.ts';
import type { Fault, Scenario } from './scenario.ts';

/** What one request meets on the wire. */
export type WireAnswer =
  /** An HTTP answer after this long. */
  | { readonly kind: 'response'; readonly status: number; readonly latencyMs: number }
  /** The connection is refused after this long. */
  | { readonly kind: 'refused'; readonly latencyMs: number }
  /** Nothing ever comes back: the prober's own deadline decides. */
  | { readonly kind: 'silent' }
  /** This vantage point has no route out: the request fails at once. */
  | { readonly kind: 'unreachable' };

/** Who a request is for: a service's target, or a control URL. */
export type Destination = TargetRole | 'control';

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Virtual time starts at a real moment, so signatures carry plausible timestamps: the fire at
 * SK C&C Pangyo, 15 October 2022, 15:33 KST.
 */
export const SIMULATION_START: UnixMs = Date.UTC(2022, 9, 15, 6, 33);

/** Scenario seconds to virtual time. */
export const ms = (s: number): UnixMs => SIMULATION_START + s * 1000;

export function faultActive(f: { at: number; until?: number | undefined }, t: UnixMs): boolean {
  return t >= ms(f.at) && (f.until === undefined || t < ms(f.until));
}

export function providerOf(vp: VantagePoint): Provider {
  return vp.slice(0, vp.indexOf(':')) as Provider;
}

/** Whether a fault with `vantagePoints`/`provider` (neither: everyone) applies to `vp`. */
export function appliesTo(f: { vantagePoints?: readonly string[] | undefined; provider?: string | undefined }, vp: VantagePoint): boolean {
  if (f.vantagePoints !== undefined) return f.vantagePoints.includes(vp);
  if (f.provider !== undefined) return providerOf(vp) === f.provider;
  return true;
}

/** How bad a failure is, for composing faults: the worst wins. */
const SEVERITY = { silent: 3, refused: 2, status: 1 } as const;
type Failure = keyof typeof SEVERITY;

export class World {
  /** Times the primary really failed a probe, ascending, with the start of the fault episode. */
  private readonly realFailures: { at: UnixMs; since: UnixMs }[] = [];

  constructor(private readonly scenario: Scenario, private readonly random: () => number) {}

  private active(t: UnixMs): Fault[] {
    return this.scenario.faults.filter((f) => faultActive(f, t));
  }

  /** True while the vantage point sends nothing (its provider is down, or it is silent). */
  vpSilent(vp: VantagePoint, t: UnixMs): boolean {
    return this.active(t).some((f) => (f.kind === 'provider-down' && f.provider === providerOf(vp)) || (f.kind === 'vp-silent' && appliesTo(f, vp)));
  }

  /** True while the vantage point cannot reach the internet: it must abstain. */
  vpCutOff(vp: VantagePoint, t: UnixMs): boolean {
    return this.active(t).some((f) => f.kind === 'vp-cutoff' && f.vantagePoints.includes(vp));
  }

  /** True while posts from `vp` cannot reach coordinator `name` (a partition between them). */
  partitioned(vp: VantagePoint, name: 'aws' | 'cloudflare', t: UnixMs): boolean {
    return this.active(t).some((f) => f.kind === 'partition' && f.coordinators.includes(name) && appliesTo(f, vp));
  }

  coordinatorDown(name: 'aws' | 'cloudflare', t: UnixMs): boolean {
    return this.active(t).some((f) =>
      (f.kind === 'coordinator-down' && f.coordinator === name) || (f.kind === 'provider-down' && f.provider === name));
  }

  dnsError(name: 'aws' | 'cloudflare', t: UnixMs): 'throttling' | '5xx' | 'timeout' | null {
    const f = this.active(t).find((x) => x.kind === 'dns-errors' && (x.coordinator === undefined || x.coordinator === name));
    return f?.kind === 'dns-errors' ? f.error : null;
  }

  clockSkewMs(vp: VantagePoint, t: UnixMs): number {
    return this.scenario.faults.reduce((sum, f) => (f.kind === 'clock-skew' && t >= ms(f.at) && f.vantagePoints.includes(vp) ? sum + f.seconds * 1000 : sum), 0);
  }

  /** What one request from `vp` to `to` meets at time t. */
  answer(vp: VantagePoint, to: Destination, t: UnixMs): WireAnswer {
    if (this.vpCutOff(vp, t)) return { kind: 'unreachable' };
    const baseLatency = 20 + Math.floor(this.random() * 80);
    if (to === 'control') return { kind: 'response', status: 200, latencyMs: baseLatency };
    const active = this.active(t);
    const real = this.targetState(to, active, t, baseLatency);
    if (to === 'primary' && real.since !== null) this.realFailures.push({ at: t, since: real.since });
    // A vantage point that sees failures that are not there: silence, for it alone.
    const lied = to === 'primary' && active.some((f) => f.kind === 'false-failures' && appliesTo(f, vp));
    const failure: Failure | null = lied ? 'silent' : real.failure;
    switch (failure) {
      case 'silent': return { kind: 'silent' };
      case 'refused': return { kind: 'refused', latencyMs: real.latencyMs };
      case 'status': return { kind: 'response', status: 503, latencyMs: real.latencyMs };
      case null: return { kind: 'response', status: 200, latencyMs: real.latencyMs };
    }
  }

  /**
   * What a target really does at t, from every fault on it at once. `since` is the start of the
   * fault episode when the answer is a real failure (for the primary's ground truth), else null.
   */
  private targetState(to: TargetRole, active: readonly Fault[], t: UnixMs, baseLatency: number): { failure: Failure | null; latencyMs: number; since: UnixMs | null } {
    let failure: Failure | null = null;
    let since: UnixMs | null = null;
    let latencyMs = baseLatency;
    let survive = 1;
    let flakySince = Infinity;
    const fail = (kind: Failure, start: UnixMs) => {
      if (failure === null || SEVERITY[kind] > SEVERITY[failure]) failure = kind;
      since = Math.min(since ?? Infinity, start);
    };
    for (const f of active) {
      switch (f.kind) {
        case 'primary-down': if (to === 'primary') fail('silent', ms(f.at)); break;
        case 'secondary-down': if (to === 'secondary') fail('refused', ms(f.at)); break;
        case 'primary-slow':
        case 'secondary-slow':
          if (f.kind.startsWith(to)) {
            latencyMs = Math.max(latencyMs, f.latencyMs);
            if (f.latencyMs > this.scenario.maxLatencyMs) since = Math.min(since ?? Infinity, ms(f.at));
          }
          break;
        case 'primary-flaky':
        case 'secondary-flaky':
          if (f.kind.startsWith(to)) { survive *= 1 - f.failureRate; flakySince = Math.min(flakySince, ms(f.at)); }
          break;
        case 'primary-flapping': {
          if (to !== 'primary') break;
          const period = (f.downSeconds + f.upSeconds) * 1000;
          const into = (t - ms(f.at)) % period;
          if (into < f.downSeconds * 1000) fail('refused', t - into);
          break;
        }
        default: break;
      }
    }
    // One draw for all flaky faults, made whenever one is active: order-independent.
    if (flakySince !== Infinity && this.random() >= survive) fail('status', flakySince);
    return { failure, latencyMs, since };
  }

  /**
   * Ground truth: did the primary really fail a probe at time t or within `lookbackMs` before it?
   * A failover then is a true one; a failover with no real failure in that span is false.
   */
  primaryReallyFailing(t: UnixMs, lookbackMs: number): boolean {
    const list = this.realFailures;
    for (let i = list.length - 1; i >= 0; i--) {
      const at = list[i]!.at;
      if (at > t) continue;
      return at >= t - lookbackMs;
    }
    return false;
  }

  /** When the fault episode behind the first real failure began, for time-to-decision. */
  firstRealFaultAt(): UnixMs | null {
    return this.realFailures[0]?.since ?? null;
  }
}
