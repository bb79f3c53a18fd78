/**
 * Runs a scenario in virtual time through the real parts: the real vantage round of the Lambdas
 * and probers (core/probe/vantage.ts: probe, rapid recheck, control check and abstain, HMAC
 * signing, parallel posts), the real HTTP API (Hono app, called in-process), two real coordinators
 * (aws and cloudflare, each with its own state store) and the real DNS plan/apply with
 * compare-and-swap on one shared in-memory zone. Only the network is modelled (World answers each
 * request in virtual time, network.ts), since virtual time cannot open sockets.
 */
import { createApi } from '../api/app.ts';
import { loadConfig } from '../config/validate.ts';
import type { LifeboatConfigInput } from '../config/schema.ts';
import { Coordinator, type NotifyAction } from '../coordinator/coordinator.ts';
import { MemoryStateStore } from '../coordinator/store.ts';
import { serviceDns } from '../dns/desired.ts';
import { MemoryDnsProvider, MemoryZone } from '../dns/memory.ts';
import { parseStateRecord, stateRecordName } from '../dns/state-record.ts';
import { resolvePolicy } from '../engine/policy.ts';
import type { ObservationBatch, TargetRole, UnixMs, VantagePoint } from '../model.ts';
import { silentLogger, type Clock, type Fetch } from '../ports.ts';
import { configuredCoordinators } from '../probe/post.ts';
import { runVantageRound } from '../probe/vantage.ts';
import { staticKeyResolver } from '../signing/keys.ts';
import { signRequest } from '../signing/lb1.ts';
import { MemoryNonceStore } from '../signing/nonce-store.ts';
import { hmacSigner, type RequestSigner } from '../signing/signer.ts';
import { networkError, probeFetch, requestUrl } from './network.ts';
import { ms, seededRandom, SIMULATION_START, World } from './world.ts';
import type { CountExpectation, Scenario } from './scenario.ts';
import { VirtualTime } from './virtual-time.ts';

export interface TimelineEntry {
  readonly t: number;
  readonly what: string;
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly property?: string;
  readonly failovers: number;
  readonly falseFailovers: number;
  readonly failbacks: number;
  /** From the first real primary fault to the first failover decision; null if none. */
  readonly timeToDecisionSeconds: number | null;
  /** From the same fault to DNS serving the secondary, including the modelled DNS write time. */
  readonly timeToDnsSeconds: number | null;
  /** Shortest gap between two failovers; null with fewer than two. */
  readonly minSecondsBetweenFailovers: number | null;
  readonly notifications: number;
  readonly rejected: number;
  readonly finalActive: TargetRole;
  readonly passed: boolean;
  /** Unmet expectations, one line each. */
  readonly failures: readonly string[];
  readonly timeline: readonly TimelineEntry[];
}

const SERVICE = 'app.example.com';
const PROBE_KEY = 'sim-probe';
const OPERATOR_KEY = 'sim-operator';
const COORDINATORS = ['aws', 'cloudflare'] as const;
type CoordinatorName = (typeof COORDINATORS)[number];
const TARGETS = { primary: 'https://primary.example.net', secondary: 'https://secondary.example.net' } as const;
const COORDINATOR_URLS: Readonly<Record<CoordinatorName, string>> = { aws: 'https://aws.coordinator.example', cloudflare: 'https://cloudflare.coordinator.example' };

function simConfig(s: Scenario): LifeboatConfigInput {
  return {
    services: [{
      name: SERVICE,
      primary: { url: TARGETS.primary, a: ['203.0.113.10'] },
      secondary: { url: TARGETS.secondary, a: ['198.51.100.20'] },
      healthCheck: { type: 'http', path: '/healthz', maxLatencyMs: s.maxLatencyMs },
      dns: [{ provider: 'embedded', ttl: 5 }],
      policy: s.policy,
    }],
    vantagePoints: { aws: s.vantagePoints.aws, cloudflare: s.vantagePoints.cloudflare },
    probing: { intervalSeconds: s.intervalSeconds, recheckDelayMs: s.recheckDelayMs, controlUrls: ['https://control.example.org/'] },
    coordinators: { aws: { url: COORDINATOR_URLS.aws }, cloudflare: { url: COORDINATOR_URLS.cloudflare } },
    keys: [{ id: PROBE_KEY, scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: OPERATOR_KEY, scope: 'operator' }],
  };
}

export async function runScenario(scenario: Scenario): Promise<ScenarioReport> {
  const random = seededRandom(scenario.seed);
  const world = new World(scenario, random);
  const time = new VirtualTime(SIMULATION_START);
  const clock = { now: () => time.now };
  const config = loadConfig(simConfig(scenario));
  const policy = resolvePolicy({ ...scenario.policy }, scenario.intervalSeconds);
  const intervalMs = policy.intervalMs;
  const endMs = ms(scenario.durationSeconds);
  const timeline: TimelineEntry[] = [];
  const note = (what: string) => timeline.push({ t: (time.now - SIMULATION_START) / 1000, what });

  const secrets = { probe: random32(random), operator: random32(random) };
  const keys = staticKeyResolver([
    { id: PROBE_KEY, scope: 'probe', secret: secrets.probe },
    { id: OPERATOR_KEY, scope: 'operator', secret: secrets.operator },
  ]);

  // DNS: one zone, as Route 53 or Cloudflare would hold it; each coordinator has its own client.
  const zone = new MemoryZone('example.com');
  const service = config.services[0]!;
  const dnsSpec = serviceDns(service, service.dns[0]!);
  zone.write(dnsSpec.targets.primary);
  let dnsActive: TargetRole = 'primary';
  let failovers = 0;
  let falseFailovers = 0;
  let failbacks = 0;
  let firstDnsFailoverAt: UnixMs | null = null;
  let lastDnsFailoverAt: UnixMs | null = null;
  let minFailoverGap: number | null = null;
  const lookbackMs = policy.freshForMs + policy.failAfter * intervalMs;
  zone.onChange(() => {
    const txt = zone.get(stateRecordName(SERVICE), 'TXT');
    const state = txt?.values[0] ? parseStateRecord(txt.values[0]) : null;
    if (!state || state.active === dnsActive) return;
    dnsActive = state.active;
    if (state.active === 'secondary') {
      failovers++;
      firstDnsFailoverAt ??= time.now;
      if (lastDnsFailoverAt !== null) minFailoverGap = Math.min(minFailoverGap ?? Infinity, time.now - lastDnsFailoverAt);
      lastDnsFailoverAt = time.now;
      const real = world.primaryReallyFailing(time.now, lookbackMs);
      if (!real) falseFailovers++;
      note(`DNS now serves the secondary (epoch ${state.epoch})${real ? '' : ' — FALSE FAILOVER'}`);
    } else {
      failbacks++;
      note(`DNS now serves the primary again (epoch ${state.epoch})`);
    }
  });

  let notifications = 0;
  const notifier = {
    async send(n: NotifyAction) {
      if (n.event === 'failover' || n.event === 'failback') notifications++;
      if (n.event !== 'override') note(`notify ${n.event}: ${n.text}`);
    },
  };

  // Coordinators: the store outlives the process (it is DynamoDB / Durable Object storage).
  const crashOnApply = new Set<CoordinatorName>();
  const nodes = new Map<CoordinatorName, { app: ReturnType<typeof createApi>; coordinator: Coordinator; store: MemoryStateStore; nonces: MemoryNonceStore }>();
  const boot = (name: CoordinatorName, store = new MemoryStateStore(), nonces = new MemoryNonceStore()) => {
    const provider = new MemoryDnsProvider(zone, {
      name: 'embedded',
      beforeCall: (call) => {
        if (call === 'apply' && crashOnApply.delete(name)) {
          note(`${name} coordinator dies while writing DNS; restarting`);
          queueMicrotask(() => boot(name, store, nonces));
          throw new Error('process killed');
        }
        const err = world.dnsError(name, time.now);
        if (err) throw new Error(`DNS API ${err}`);
      },
    });
    const coordinator = new Coordinator({ config, store, clock, logger: silentLogger, dnsFor: () => [{ provider, dns: dnsSpec }], notifier, name });
    nodes.set(name, { app: createApi({ coordinator, config, keys, nonces, clock, logger: silentLogger }), coordinator, store, nonces });
  };
  for (const name of COORDINATORS) boot(name);

  let firstDecisionAt: UnixMs | null = null;
  let rejected = 0;
  const lastValid = new Map<CoordinatorName, { headers: Record<string, string>; body: string }>();
  /** One POST /v1/observations, as the coordinator's HTTP API answers it; any status but 2xx and 401 is a bug. */
  const deliver = async (name: CoordinatorName, headers: Record<string, string>, body: string): Promise<Response> => {
    const res = await nodes.get(name)!.app.request('/v1/observations', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    const text = await res.text();
    if (res.status === 401) { rejected++; note(`refused: ${text}`); }
    else if (!res.ok) throw new Error(`${name} answered ${res.status}: ${text}`);
    else {
      lastValid.set(name, { headers, body });
      const out = JSON.parse(text) as { decisions: { to: TargetRole; cause: string; epoch: number }[] };
      for (const d of out.decisions) recordDecision(name, d.to, d.cause);
    }
    return new Response(text, { status: res.status, headers: res.headers });
  };
  /** The vantage points' route to the coordinators: a network delay, then the in-process app. */
  const byOrigin = new Map(COORDINATORS.map((name) => [new URL(COORDINATOR_URLS[name]).origin, name]));
  const coordinatorFetch: Fetch = async (input, init) => {
    const name = byOrigin.get(requestUrl(input).origin);
    if (!name) throw new Error(`simulated network: no coordinator at ${requestUrl(input).origin}`);
    await time.sleep(20 + Math.floor(random() * 130), init?.signal ?? undefined);
    if (world.coordinatorDown(name, time.now)) throw networkError('ECONNREFUSED');
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    return time.track(deliver(name, headers, String(init?.body)).catch((error: unknown) => {
      time.fail(error); // the round would log and carry on; the run must not
      return new Response('simulator bug', { status: 500 });
    }));
  };
  const recordDecision = (name: string, to: TargetRole, cause: string) => {
    note(`${name} coordinator decides: ${to} (${cause})`);
    if (to === 'secondary' && cause === 'primary-unhealthy') firstDecisionAt ??= time.now;
  };

  // Vantage points: each runs the real round every interval at its own phase, with its own clock.
  const endpoints = configuredCoordinators(config.coordinators);
  const hmac = hmacSigner(PROBE_KEY, secrets.probe);
  const signer: RequestSigner = (request) => time.track(hmac(request));
  const vps: VantagePoint[] = [
    ...scenario.vantagePoints.aws.map((r) => `aws:${r}` as const),
    ...scenario.vantagePoints.cloudflare.map((h) => `cloudflare:${h}` as const),
  ];
  vps.forEach((vp) => {
    let round = 0;
    const phase = Math.floor(random() * intervalMs);
    const vpClock: Clock = { now: () => time.now + world.clockSkewMs(vp, time.now) };
    const fetch = probeFetch(world, time, vp, TARGETS);
    time.every(SIMULATION_START + phase, intervalMs, endMs, () => {
      if (world.vpSilent(vp, time.now)) return;
      const input = { config, vantagePoint: vp, round: ++round, endpoints };
      time.spawn(() => runVantageRound(input, {
        fetch, postFetch: coordinatorFetch, sleep: time.sleep, timer: time.sleep, clock: vpClock, signer, logger: silentLogger,
      }));
    });
  });

  // Coordinator schedules (the Lambda's EventBridge rule, the Durable Object's alarm).
  for (const name of COORDINATORS) {
    time.every(SIMULATION_START + Math.floor(random() * intervalMs), intervalMs, endMs, async () => {
      if (world.coordinatorDown(name, time.now)) return;
      for (const d of await nodes.get(name)!.coordinator.tick()) recordDecision(name, d.to, d.cause);
    });
  }

  for (const f of scenario.faults) {
    time.at(ms(f.at), async () => {
      note(`fault: ${f.kind}${'until' in f && f.until !== undefined ? ` until ${f.until}s` : ''}`);
      if (f.kind === 'coordinator-restart') {
        if (f.duringFlip) crashOnApply.add(f.coordinator);
        else {
          const old = nodes.get(f.coordinator)!;
          boot(f.coordinator, old.store, old.nonces);
          note(`${f.coordinator} coordinator restarted from its stored state`);
        }
      }
      if (f.kind === 'forged-observations') {
        time.every(ms(f.at), intervalMs, Math.min(endMs, ms(f.until ?? scenario.durationSeconds)), async () => {
          for (const name of COORDINATORS) await attack(name, f.attack);
        });
      }
    });
  }

  const attack = async (name: CoordinatorName, kind: 'forged' | 'replayed' | 'expired' | 'tampered' | 'wrong-scope') => {
    const lie: ObservationBatch = {
      vantagePoint: vps[0]!, round: 1e9, sentAt: time.now, controlOk: true,
      results: [{ service: SERVICE, target: 'primary', verdict: 'unhealthy', observedAt: time.now + 60_000, failure: 'timeout' }],
    };
    const body = JSON.stringify(lie);
    const sign = (secret: Uint8Array, keyId: string, now: UnixMs, signedBody = body) =>
      signRequest({ method: 'POST', path: '/v1/observations', body: signedBody, keyId, secret, now, randomBytes: (n) => randomBytes(random, n) });
    let request: { headers: Record<string, string>; body: string } | undefined;
    switch (kind) {
      case 'forged': request = { headers: await sign(random32(random), PROBE_KEY, time.now), body }; break;
      case 'expired': request = { headers: await sign(secrets.probe, PROBE_KEY, time.now - 600_000), body }; break;
      case 'wrong-scope': request = { headers: await sign(secrets.operator, OPERATOR_KEY, time.now), body }; break;
      case 'tampered': {
        const honest = JSON.stringify({ ...lie, results: [{ ...lie.results[0]!, verdict: 'healthy' }] });
        request = { headers: await sign(secrets.probe, PROBE_KEY, time.now, honest), body };
        break;
      }
      case 'replayed': request = lastValid.get(name); break;
    }
    if (request && !world.coordinatorDown(name, time.now)) await deliver(name, request.headers, request.body);
  };

  await time.run(endMs);

  const faultAt = world.firstRealFaultAt();
  const finalActive = dnsActive;
  const report = {
    scenario: scenario.name,
    ...(scenario.property ? { property: scenario.property } : {}),
    failovers, falseFailovers, failbacks,
    timeToDecisionSeconds: faultAt !== null && firstDecisionAt !== null && firstDecisionAt >= faultAt ? round1((firstDecisionAt - faultAt) / 1000) : null,
    timeToDnsSeconds: faultAt !== null && firstDnsFailoverAt !== null && firstDnsFailoverAt >= faultAt ? round1((firstDnsFailoverAt + scenario.dnsWriteMs - faultAt) / 1000) : null,
    minSecondsBetweenFailovers: minFailoverGap === null ? null : round1(minFailoverGap / 1000),
    notifications, rejected, finalActive,
  };
  const failures = checkExpectations(scenario, report);
  return { ...report, passed: failures.length === 0, failures, timeline };
}

function checkExpectations(s: Scenario, r: Omit<ScenarioReport, 'passed' | 'failures' | 'timeline'>): string[] {
  const failures: string[] = [];
  const count = (field: string, actual: number, expected: CountExpectation | undefined) => {
    if (expected === undefined) return;
    const { min, max } = typeof expected === 'number' ? { min: expected, max: expected } : expected;
    if (actual < min || (max !== undefined && actual > max)) {
      failures.push(`${field}: expected ${max === min ? min : `${min}..${max ?? '∞'}`}, got ${actual}`);
    }
  };
  count('failovers', r.failovers, s.expect.failovers);
  count('falseFailovers', r.falseFailovers, s.expect.falseFailovers);
  count('failbacks', r.failbacks, s.expect.failbacks);
  count('notifications', r.notifications, s.expect.notifications);
  count('rejected', r.rejected, s.expect.rejected);
  if (s.expect.maxTimeToDecisionSeconds !== undefined) {
    if (r.timeToDecisionSeconds === null) failures.push('timeToDecisionSeconds: no failover decision was made');
    else if (r.timeToDecisionSeconds > s.expect.maxTimeToDecisionSeconds) {
      failures.push(`timeToDecisionSeconds: expected at most ${s.expect.maxTimeToDecisionSeconds}, got ${r.timeToDecisionSeconds}`);
    }
  }
  const gap = s.expect.minSecondsBetweenFailovers;
  if (gap !== undefined && r.minSecondsBetweenFailovers !== null && r.minSecondsBetweenFailovers < gap) {
    failures.push(`minSecondsBetweenFailovers: expected at least ${gap}, got ${r.minSecondsBetweenFailovers}`);
  }
  if (s.expect.finalActive !== undefined && r.finalActive !== s.expect.finalActive) {
    failures.push(`finalActive: expected ${s.expect.finalActive}, got ${r.finalActive}`);
  }
  return failures;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function randomBytes(random: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
}

function random32(random: () => number): Uint8Array {
  return randomBytes(random, 32);
}

