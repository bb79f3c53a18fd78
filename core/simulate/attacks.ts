/**
 * What attackers post: without a valid probe key (forged, replayed, expired, tampered, wrong
 * scope), and with one (a stolen key or a rogue prober: lies, impersonation of the other provider,
 * invented vantage point names, skewed `observedAt`, replays of old observations re-signed).
 */
import type { ObservationBatch, UnixMs, VantagePoint } from '../model.ts';
import { signRequest } from '../signing/lb1.ts';
import type { Fault } from './scenario.ts';
import { COORDINATORS, OPERATOR_KEY, PROBE_KEYS, SERVICE, type CoordinatorName } from './setup.ts';
import { providerOf } from './world.ts';

export interface SignedPost {
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface AttackDeps {
  readonly now: () => UnixMs;
  readonly random: () => number;
  readonly secrets: { readonly probe: Readonly<Record<CoordinatorName, Uint8Array>>; readonly operator: Uint8Array };
  readonly vantagePoints: readonly VantagePoint[];
  /** The last request a coordinator accepted (what a replaying attacker captured). */
  readonly lastAccepted: (name: CoordinatorName) => SignedPost | undefined;
  /** The batch `vp` sent at or before time t, if any. */
  readonly sentBefore: (vp: VantagePoint, t: UnixMs) => ObservationBatch | undefined;
}

function batchOf(vp: string, now: UnixMs, verdict: 'healthy' | 'unhealthy', observedAt: UnixMs): ObservationBatch {
  return {
    vantagePoint: vp as VantagePoint, round: Math.floor(now / 1000), sentAt: now, controlOk: true,
    results: [{ service: SERVICE, target: 'primary', verdict, observedAt, ...(verdict === 'unhealthy' ? { failure: 'timeout' as const } : {}) }],
  };
}

function sign(deps: AttackDeps, secret: Uint8Array, keyId: string, now: UnixMs, body: string): Promise<Record<string, string>> {
  return signRequest({
    method: 'POST', path: '/v1/observations', body, keyId, secret, now,
    randomBytes: (n) => randomBytes(deps.random, n),
  });
}

/** One keyless attack's request for one coordinator (undefined when there is nothing to replay). */
export async function keylessAttack(deps: AttackDeps, name: CoordinatorName, kind: Extract<Fault, { kind: 'forged-observations' }>['attack']): Promise<SignedPost | undefined> {
  const now = deps.now();
  const lie = batchOf(deps.vantagePoints[0]!, now, 'unhealthy', now);
  const body = JSON.stringify(lie);
  const key = PROBE_KEYS.aws;
  switch (kind) {
    case 'forged': return { headers: await sign(deps, randomBytes(deps.random, 32), key, now, body), body };
    case 'expired': return { headers: await sign(deps, deps.secrets.probe.aws, key, now - 600_000, body), body };
    case 'wrong-scope': return { headers: await sign(deps, deps.secrets.operator, OPERATOR_KEY, now, body), body };
    case 'tampered': {
      const honest = JSON.stringify({ ...lie, results: [{ ...lie.results[0]!, verdict: 'healthy' }] });
      return { headers: await sign(deps, deps.secrets.probe.aws, key, now, honest), body };
    }
    case 'replayed': return deps.lastAccepted(name);
  }
}

/** The batches a malicious vantage point with a valid key sends this interval, signed. */
export async function maliciousPosts(deps: AttackDeps, f: Extract<Fault, { kind: 'malicious-vp' }>): Promise<SignedPost[]> {
  const now = deps.now();
  const other = COORDINATORS.find((p) => p !== f.key)!;
  const ofProvider = (p: string): string[] => deps.vantagePoints.filter((vp) => providerOf(vp) === p);
  let batches: ObservationBatch[];
  switch (f.attack) {
    case 'lie': batches = (f.postAs ?? ofProvider(f.key)).map((vp) => batchOf(vp, now, f.verdict, now)); break;
    case 'impersonate': batches = (f.postAs ?? ofProvider(other)).map((vp) => batchOf(vp, now, f.verdict, now)); break;
    case 'invent': batches = Array.from({ length: f.count }, (_, i) => batchOf(`${f.key}:rogue-${i}`, now, f.verdict, now)); break;
    case 'skew': batches = (f.postAs ?? ofProvider(f.key)).map((vp) => batchOf(vp, now, f.verdict, now + f.skewSeconds * 1000)); break;
    case 'replay': batches = (f.postAs ?? ofProvider(f.key)).flatMap((vp) => {
      const old = deps.sentBefore(vp as VantagePoint, now - f.ageSeconds * 1000);
      return old ? [old] : [];
    }); break;
  }
  return Promise.all(batches.map(async (b) => {
    const body = JSON.stringify(b);
    return { headers: await sign(deps, deps.secrets.probe[f.key], PROBE_KEYS[f.key], now, body), body };
  }));
}

export function randomBytes(random: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
}
