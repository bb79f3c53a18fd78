/**
 * Runs a scenario in virtual time through the real parts: the real vantage round of the Lambdas
 * and probers (core/probe/vantage.ts: probe, rapid recheck, control check and abstain, signing,
 * parallel posts), the real HTTP API (Hono app, called in-process), two real coordinators (aws
 * and cloudflare, each with its own state store) and the real DNS plan/apply with compare-and-swap
 * on one shared in-memory zone. Only the network is modelled (World answers each request in
 * virtual time, network.ts), since virtual time cannot open sockets.
 *
 * A crashed coordinator is really dead: its store, DNS client and notifier refuse every call from
 * the moment it dies (so nothing it was doing completes), its in-flight requests get a reset
 * connection, and it restarts as a new process from its store.
 */
import { createApi } from '../api/app.ts';
import { loadConfig } from '../config/validate.ts';
import { Coordinator, type NotifyAction } from '../coordinator/coordinator.ts';
import { MemoryStateStore, type StateStore } from '../coordinator/store.ts';
import { serviceDns } from '../dns/desired.ts';
import { MemoryDnsProvider, MemoryZone } from '../dns/memory.ts';
import { parseStateRecord, stateRecordName } from '../dns/state-record.ts';
import type { DnsProvider } from '../dns/types.ts';
import { resolvePolicy } from '../engine/policy.ts';
import type { ObservationBatch, TargetRole, UnixMs, VantagePoint } from '../model.ts';
import { silentLogger, type Clock, type Fetch } from '../ports.ts';
import { configuredCoordinators } from '../probe/post.ts';
import { probeJitterMaxMs, probePhaseMs } from '../probe/schedule.ts';
import { runVantageRound } from '../probe/vantage.ts';
import { staticKeyResolver } from '../signing/keys.ts';
import { signRequest } from '../signing/lb1.ts';
import { MemoryNonceStore } from '../signing/nonce-store.ts';
import { hmacSigner, type RequestSigner } from '../signing/signer.ts';
import { keylessAttack, maliciousPosts, randomBytes, type AttackDeps, type SignedPost } from './attacks.ts';
import { checkExpectations, type ReportNumbers, type ScenarioReport, type TimelineEntry } from './expect.ts';
import { networkError, probeFetch, requestUrl } from './network.ts';
import type { Fault, Scenario } from './scenario.ts';
import { COORDINATOR_URLS, COORDINATORS, OPERATOR_KEY, PROBE_KEYS, SERVICE, simConfig, TARGETS, vantagePointsOf, type CoordinatorName } from './setup.ts';
import { VirtualTime } from './virtual-time.ts';
import { faultActive, ms, providerOf, seededRandom, SIMULATION_START, World } from './world.ts';
import { LifeboatError } from '../errors.ts';

export type { ScenarioReport, TimelineEntry } from './expect.ts';

/** Something the simulated world does to the real parts (a failing DNS API, a refused call). */
class SimulatedFailure extends LifeboatError {
  override readonly name: string = 'SimulatedFailure';
}

/** What a dead process's every call meets. */
class ProcessKilled extends SimulatedFailure {
  override readonly name: string = 'ProcessKilled';
}

interface Life { dead: boolean }

/** A store only a living process can use (the durable store itself outlives the process). */
function fenced<T extends object>(target: T, life: Life): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value: unknown = Reflect.get(t, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (life.dead) throw new ProcessKilled('this coordinator process is dead');
        return (value as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
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
  const vps = vantagePointsOf(scenario);

  const secrets = { probe: { aws: randomBytes(random, 32), cloudflare: randomBytes(random, 32) }, operator: randomBytes(random, 32) };
  const keys = staticKeyResolver([
    { id: PROBE_KEYS.aws, scope: 'probe', secret: secrets.probe.aws },
    { id: PROBE_KEYS.cloudflare, scope: 'probe', secret: secrets.probe.cloudflare },
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
      // An operator's force-secondary is their call, never a false failover.
      const forced = scenario.faults.some((f) => f.kind === 'override' && f.action === 'force-secondary' && faultActive(f, time.now));
      const real = forced || world.primaryReallyFailing(time.now, lookbackMs);
      if (!real) falseFailovers++;
      note(`DNS now serves the secondary (epoch ${state.epoch})${forced ? ' by the operator' : real ? '' : ' — FALSE FAILOVER'}`);
    } else {
      failbacks++;
      note(`DNS now serves the primary again (epoch ${state.epoch})`);
    }
  });

  // Notices: every one sent, by whom; receivers de-duplicate on the idempotency key.
  let notifications = 0;
  const sentKeys = new Map<string, { event: string; hold?: string | undefined }>();
  const keyTexts = new Map<string, string>();
  const conflictingKeys = new Set<string>();
  const notifierFor = (name: CoordinatorName, life: Life) => ({
    async send(n: NotifyAction) {
      if (life.dead) throw new ProcessKilled('dead processes send nothing');
      if (n.event === 'failover' || n.event === 'failback') notifications++;
      const sameFrom = `${name}|${n.key}`;
      const seen = keyTexts.get(sameFrom);
      if (seen !== undefined && seen !== `${n.event}|${n.text}`) conflictingKeys.add(n.key);
      keyTexts.set(sameFrom, `${n.event}|${n.text}`);
      if (!sentKeys.has(n.key)) sentKeys.set(n.key, { event: n.event, hold: n.hold });
      if (n.event !== 'override') note(`${name} notifies ${n.event}: ${n.text}`);
    },
  });

  // Coordinators: the store outlives the process (it is DynamoDB / Durable Object storage).
  type CrashPoint = 'before-dns-write' | 'after-dns-write';
  const crashArmed = new Map<CoordinatorName, { point: CrashPoint; restartAfterMs: number }>();
  interface Node { app: ReturnType<typeof createApi>; coordinator: Coordinator; store: MemoryStateStore; nonces: MemoryNonceStore; life: Life }
  const nodes = new Map<CoordinatorName, Node>();
  const crash = (name: CoordinatorName, restartAfterMs: number, where: string) => {
    const node = nodes.get(name)!;
    if (node.life.dead) return;
    node.life.dead = true;
    note(`${name} coordinator process dies ${where}; its memory is gone`);
    time.at(time.now + restartAfterMs, () => {
      boot(name, node.store, node.nonces);
      note(`${name} coordinator restarted from its stored state`);
    });
  };
  const boot = (name: CoordinatorName, store = new MemoryStateStore(), nonces = new MemoryNonceStore()) => {
    const life: Life = { dead: false };
    const armedAt = (point: CrashPoint) => {
      const armed = crashArmed.get(name);
      if (armed?.point !== point) return false;
      crashArmed.delete(name);
      crash(name, armed.restartAfterMs, point === 'before-dns-write' ? 'between saving the flip and writing DNS' : 'right after writing DNS, before recording it');
      return true;
    };
    const memory = new MemoryDnsProvider(zone, {
      name: 'embedded',
      beforeCall: (call) => {
        if (life.dead) throw new ProcessKilled('this coordinator process is dead');
        if (call === 'apply' && armedAt('before-dns-write')) throw new ProcessKilled('killed before writing DNS');
        const err = world.dnsError(name, time.now);
        if (err) throw new SimulatedFailure(`DNS API ${err}`);
      },
    });
    const provider: DnsProvider = {
      name: memory.name, zone: memory.zone,
      read: (s) => memory.read(s),
      apply: async (plan) => {
        const result = await memory.apply(plan);
        if (armedAt('after-dns-write')) throw new ProcessKilled('killed after writing DNS');
        return result;
      },
    };
    const coordinator = new Coordinator({
      config, store: fenced<StateStore>(store, life), clock, logger: silentLogger, dnsFor: () => [{ provider, dns: dnsSpec }], notifier: notifierFor(name, life), name,
    });
    nodes.set(name, { app: createApi({ coordinator, config, keys, nonces: fenced(nonces, life), clock, logger: silentLogger }), coordinator, store, nonces, life });
  };
  for (const name of COORDINATORS) boot(name);
  const reachable = (name: CoordinatorName) => !world.coordinatorDown(name, time.now) && !nodes.get(name)!.life.dead;

  let rejected = 0;
  let refusedObservations = 0;
  const lastValid = new Map<CoordinatorName, SignedPost>();
  /** One signed request to a coordinator's in-process app; a reset connection if it dies meanwhile. */
  const request = async (name: CoordinatorName, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> => {
    const node = nodes.get(name)!;
    const res = await node.app.request(path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    const text = await res.text();
    if (node.life.dead) throw networkError('ECONNRESET');
    return { status: res.status, text };
  };
  /** One POST /v1/observations; any status but 2xx, 401 and 403 is a bug. */
  const deliver = async (name: CoordinatorName, post: SignedPost): Promise<Response> => {
    const { status, text } = await request(name, '/v1/observations', post.headers, post.body);
    if (status === 401 || status === 403) { rejected++; note(`${name} refused: ${text}`); }
    else if (status < 200 || status > 299) throw new SimulatedFailure(`${name} answered ${status}: ${text}`);
    else {
      lastValid.set(name, post);
      const out = JSON.parse(text) as { accepted: number; ignored: number; decisions: { to: TargetRole; cause: string; epoch: number }[] };
      const sent = (JSON.parse(post.body) as ObservationBatch).results.length;
      const refused = sent - out.accepted - out.ignored;
      if (refused > 0) { refusedObservations += refused; note(`${name} refused ${refused} observation(s) for their time`); }
      for (const d of out.decisions) recordDecision(name, d.to, d.cause);
    }
    return new Response(text, { status });
  };
  const recordDecision = (name: string, to: TargetRole, cause: string) => note(`${name} coordinator decides: ${to} (${cause})`);

  // What each vantage point sent, for replays (kept only when a scenario replays).
  const replays = scenario.faults.some((f) => f.kind === 'malicious-vp' && f.attack === 'replay');
  const sent = new Map<VantagePoint, { at: UnixMs; batch: ObservationBatch }[]>();

  /** The vantage points' route to the coordinators: a network delay, then the in-process app. */
  const byOrigin = new Map(COORDINATORS.map((name) => [new URL(COORDINATOR_URLS[name]).origin, name]));
  const coordinatorFetchFor = (vp: VantagePoint): Fetch => async (input, init) => {
    const name = byOrigin.get(requestUrl(input).origin);
    if (!name) throw new SimulatedFailure(`simulated network: no coordinator at ${requestUrl(input).origin}`);
    const signal = init?.signal ?? undefined;
    if (world.partitioned(vp, name, time.now)) {
      // The post is lost on the way: the poster's own deadline decides.
      return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    await time.sleep(20 + Math.floor(random() * 130), signal);
    if (!reachable(name)) throw networkError('ECONNREFUSED');
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const body = String(init?.body);
    if (replays) {
      const list = sent.get(vp) ?? [];
      if (list.at(-1)?.at !== time.now) list.push({ at: time.now, batch: JSON.parse(body) as ObservationBatch });
      sent.set(vp, list);
    }
    return time.track(deliver(name, { headers, body }).catch((error: unknown) => {
      if (error instanceof TypeError) throw error; // a reset connection: the poster sees it
      time.fail(error); // the round would log and carry on; the run must not
      return new Response('simulator bug', { status: 500 });
    }));
  };

  // Vantage points: each runs the real round every interval at its phase (plus jitter), with its own clock.
  const endpoints = configuredCoordinators(config.coordinators);
  const signers: Record<CoordinatorName, RequestSigner> = {
    aws: hmacSigner(PROBE_KEYS.aws, secrets.probe.aws),
    cloudflare: hmacSigner(PROBE_KEYS.cloudflare, secrets.probe.cloudflare),
  };
  const schedule = scenario.probeSchedule;
  const jitterMs = schedule.jitterMs ?? (schedule.phase === 'spread' ? probeJitterMaxMs(intervalMs) : 0);
  vps.forEach((vp) => {
    let round = 0;
    const drawn = Math.floor(random() * intervalMs);
    const explicit = schedule.phases[vp];
    const phase = explicit !== undefined ? Math.floor(explicit * 1000) % intervalMs
      : schedule.phase === 'spread' ? probePhaseMs(vp, intervalMs) : schedule.phase === 'aligned' ? 0 : drawn;
    const vpClock: Clock = { now: () => time.now + world.clockSkewMs(vp, time.now) };
    const fetch = probeFetch(world, time, vp, TARGETS);
    const sign = signers[providerOf(vp) as CoordinatorName];
    const signer: RequestSigner = (request) => time.track(sign(request));
    const postFetch = coordinatorFetchFor(vp);
    const start = () => {
      if (world.vpSilent(vp, time.now)) return;
      const input = { config, vantagePoint: vp, round: ++round, endpoints };
      time.spawn(() => runVantageRound(input, { fetch, postFetch, sleep: time.sleep, timer: time.sleep, clock: vpClock, signer, logger: silentLogger }));
    };
    time.every(SIMULATION_START + phase, intervalMs, endMs, () => {
      const jitter = jitterMs > 0 ? Math.floor(random() * jitterMs) : 0;
      if (jitter === 0) start();
      else time.at(time.now + jitter, start);
    });
  });

  // Coordinator schedules (the Lambda's EventBridge rule, the Durable Object's alarm).
  for (const name of COORDINATORS) {
    time.every(SIMULATION_START + Math.floor(random() * intervalMs), intervalMs, endMs, async () => {
      if (!reachable(name)) return;
      const node = nodes.get(name)!;
      try {
        for (const d of await node.coordinator.tick()) recordDecision(name, d.to, d.cause);
      } catch (error) {
        if (!node.life.dead) throw error; // a dead process's tick just stops
      }
    });
  }

  const attackDeps: AttackDeps = {
    now: () => time.now, random, secrets, vantagePoints: vps,
    lastAccepted: (name) => lastValid.get(name),
    sentBefore: (vp, t) => {
      const list = sent.get(vp) ?? [];
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.at <= t) return list[i]!.batch;
      return undefined;
    },
  };
  const attackerDeliver = async (name: CoordinatorName, post: SignedPost | undefined) => {
    if (!post || !reachable(name)) return;
    try { await deliver(name, post); } catch (error) { if (!(error instanceof TypeError)) throw error; }
  };
  const operator = async (f: Extract<Fault, { kind: 'override' }>) => {
    const body = JSON.stringify({ service: SERVICE, action: f.action, reason: f.reason, ...(f.until !== undefined ? { until: ms(f.until) } : {}) });
    for (const name of f.coordinators) {
      if (!reachable(name)) { note(`operator: ${name} coordinator unreachable`); continue; }
      const headers = await signRequest({ method: 'POST', path: '/v1/override', body, keyId: OPERATOR_KEY, secret: secrets.operator, now: time.now, randomBytes: (n) => randomBytes(random, n) });
      const { status, text } = await request(name, '/v1/override', headers, body).catch(() => ({ status: 0, text: 'connection reset' }));
      note(`operator ${f.action}${f.until !== undefined ? ` until ${f.until}s` : ''} at ${name}: ${status} ${status === 200 ? '' : text}`);
      if (status !== 200 && status !== 0) throw new SimulatedFailure(`${name} refused the operator's override: ${status} ${text}`);
    }
  };

  for (const f of scenario.faults) {
    time.at(ms(f.at), async () => {
      note(`fault: ${f.kind}${'until' in f && f.until !== undefined ? ` until ${f.until}s` : ''}`);
      switch (f.kind) {
        case 'coordinator-restart':
          if (f.duringFlip) crashArmed.set(f.coordinator, { point: 'before-dns-write', restartAfterMs: 0 });
          else {
            const old = nodes.get(f.coordinator)!;
            old.life.dead = true;
            boot(f.coordinator, old.store, old.nonces);
            note(`${f.coordinator} coordinator restarted from its stored state`);
          }
          break;
        case 'coordinator-crash':
          if (f.point === 'now') crash(f.coordinator, f.restartAfterSeconds * 1000, 'now');
          else crashArmed.set(f.coordinator, { point: f.point, restartAfterMs: f.restartAfterSeconds * 1000 });
          break;
        case 'forged-observations':
          time.every(ms(f.at), intervalMs, Math.min(endMs, ms(f.until ?? scenario.durationSeconds)), async () => {
            for (const name of COORDINATORS) await attackerDeliver(name, await keylessAttack(attackDeps, name, f.attack));
          });
          break;
        case 'malicious-vp':
          time.every(ms(f.at), intervalMs, Math.min(endMs, ms(f.until ?? scenario.durationSeconds)), async () => {
            const posts = await maliciousPosts(attackDeps, f);
            for (const name of COORDINATORS) for (const post of posts) await attackerDeliver(name, post);
          });
          break;
        case 'override':
          await operator(f);
          break;
        default:
          break;
      }
    });
  }

  await time.run(endMs);

  // Decisions as each coordinator audited them (before touching DNS): a decision whose answer
  // never came back, because its coordinator died, still counts.
  let firstDecisionAt: UnixMs | null = null;
  const decidedBy = new Set<string>();
  for (const name of COORDINATORS) {
    for (const entry of await nodes.get(name)!.store.audit({ limit: 10_000 })) {
      const cause = entry.kind === 'decision' ? entry.data?.['cause'] : undefined;
      if (cause === undefined || cause === 'override') continue;
      decidedBy.add(name);
      if (cause === 'primary-unhealthy' && (firstDecisionAt === null || entry.at < firstDecisionAt)) firstDecisionAt = entry.at;
    }
  }
  const faultAt = world.firstRealFaultAt();
  const events: Record<string, number> = {};
  const holds: Record<string, number> = {};
  for (const { event, hold } of sentKeys.values()) {
    events[event] = (events[event] ?? 0) + 1;
    if (hold) holds[hold] = (holds[hold] ?? 0) + 1;
  }
  const report: ReportNumbers = {
    scenario: scenario.name,
    ...(scenario.property ? { property: scenario.property } : {}),
    seed: scenario.seed,
    failovers, falseFailovers, failbacks,
    timeToDecisionSeconds: faultAt !== null && firstDecisionAt !== null && firstDecisionAt >= faultAt ? round1((firstDecisionAt - faultAt) / 1000) : null,
    timeToDnsSeconds: faultAt !== null && firstDnsFailoverAt !== null && firstDnsFailoverAt >= faultAt ? round1((firstDnsFailoverAt + scenario.dnsWriteMs - faultAt) / 1000) : null,
    minSecondsBetweenFailovers: minFailoverGap === null ? null : round1(minFailoverGap / 1000),
    notifications, events, holds, conflictingKeys: [...conflictingKeys], decidedBy: [...decidedBy].sort(),
    rejected, refusedObservations, finalActive: dnsActive,
  };
  const failures = checkExpectations(scenario, report);
  return { ...report, passed: failures.length === 0, failures, timeline };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
