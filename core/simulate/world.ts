/**
 * The simulated world: what a probe from a given vantage point sees at a given virtual time,
 * given the scenario's faults. Also the ground truth the report is judged against.
 */
import type { FailureKind, Provider, TargetRole, UnixMs, VantagePoint } from '../model.ts';
import type { Fault, Scenario } from './scenario.ts';

export interface ProbeOutcome {
  readonly ok: boolean;
  readonly failure?: FailureKind;
  readonly latencyMs: number;
}

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

  /** One probe attempt of one target from one vantage point. */
  probe(vp: VantagePoint, target: TargetRole, t: UnixMs): ProbeOutcome {
    const baseLatency = 20 + Math.floor(this.random() * 80);
    for (const f of this.active(t)) {
      if (target === 'secondary' && f.kind === 'secondary-down') return { ok: false, failure: 'refused', latencyMs: baseLatency };
      if (target !== 'primary') continue;
      switch (f.kind) {
        case 'primary-down':
          return { ok: false, failure: 'timeout', latencyMs: 5000 };
        case 'primary-slow':
          if (f.latencyMs > this.scenario.maxLatencyMs) return { ok: false, failure: 'latency', latencyMs: f.latencyMs };
          return { ok: true, latencyMs: f.latencyMs };
        case 'primary-flaky':
          if (this.random() < f.failureRate) return { ok: false, failure: 'status', latencyMs: baseLatency };
          break;
        case 'primary-flapping':
          if (flappingDown(f, t)) return { ok: false, failure: 'refused', latencyMs: baseLatency };
          break;
        case 'false-failures':
          if ((f.vantagePoints?.includes(vp) ?? false) || (f.provider !== undefined && providerOf(vp) === f.provider)) {
            return { ok: false, failure: 'timeout', latencyMs: 5000 };
          }
          break;
        default:
          break;
      }
    }
    return { ok: true, latencyMs: baseLatency };
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
