/**
 * The simulated world: what the network gives a request from a given vantage point at a given
 * virtual time, given the scenario's faults (the probe code judges it, as it would a real answer).
 * Also the ground truth the report is judged against.
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

export class World {
  constructor(private readonly scenario: Scenario, private readonly random: () => number) {}

  private active(t: UnixMs): Fault[] {
    return this.scenario.faults.filter((f) => faultActive(f, t));
  }

  /** True while the vantage point is silent (its provider is down). */
  vpSilent(vp: VantagePoint, t: UnixMs): boolean {
    return this.active(t).some((f) => f.kind === 'provider-down' && f.provider === providerOf(vp));
  }

  /** True while the vantage point cannot reach the internet: it must abstain. */
  vpCutOff(vp: VantagePoint, t: UnixMs): boolean {
    return this.active(t).some((f) => f.kind === 'vp-cutoff' && f.vantagePoints.includes(vp));
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
    const healthy = { kind: 'response', status: 200, latencyMs: baseLatency } as const;
    if (to === 'control') return healthy;
    for (const f of this.active(t)) {
      if (to === 'secondary' && f.kind === 'secondary-down') return { kind: 'refused', latencyMs: baseLatency };
      if (to !== 'primary') continue;
      switch (f.kind) {
        case 'primary-down':
          return { kind: 'silent' };
        case 'primary-slow':
          // Answers, slowly: the health check's latency limit (or its timeout) judges it.
          return { kind: 'response', status: 200, latencyMs: f.latencyMs };
        case 'primary-flaky':
          if (this.random() < f.failureRate) return { kind: 'response', status: 503, latencyMs: baseLatency };
          break;
        case 'primary-flapping':
          if (flappingDown(f, t)) return { kind: 'refused', latencyMs: baseLatency };
          break;
        case 'false-failures':
          if ((f.vantagePoints?.includes(vp) ?? false) || (f.provider !== undefined && providerOf(vp) === f.provider)) {
            return { kind: 'silent' };
          }
          break;
        default:
          break;
      }
    }
    return healthy;
  }

  /**
   * Ground truth: was the primary really failing at time t (or within `lookbackMs` before it)?
   * A failover then is a true one; a failover with no real fault in that span is false.
   */
  primaryReallyFailing(t: UnixMs, lookbackMs: number): boolean {
    return this.scenario.faults.some((f) => {
      const real = f.kind === 'primary-down' || f.kind === 'primary-flaky' || f.kind === 'primary-flapping'
        || (f.kind === 'primary-slow' && f.latencyMs > this.scenario.maxLatencyMs);
      if (!real) return false;
      const start = ms(f.at);
      const end = f.until === undefined ? Infinity : ms(f.until);
      return start <= t && end >= t - lookbackMs;
    });
  }

  /** When the first real primary fault began, for time-to-decision. */
  firstRealFaultAt(): UnixMs | null {
    const starts = this.scenario.faults
      .filter((f) => f.kind === 'primary-down' || f.kind === 'primary-flapping' || (f.kind === 'primary-slow' && f.latencyMs > this.scenario.maxLatencyMs))
      .map((f) => ms(f.at));
    return starts.length ? Math.min(...starts) : null;
  }
}

function flappingDown(f: Extract<Fault, { kind: 'primary-flapping' }>, t: UnixMs): boolean {
  const period = (f.downSeconds + f.upSeconds) * 1000;
  return (t - ms(f.at)) % period < f.downSeconds * 1000;
}
