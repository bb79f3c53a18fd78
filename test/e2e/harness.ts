/**
 * End-to-end harness: a real local run (the Lambda handler over dynalite, the Worker in workerd,
 * the embedded DNS server, local sites and vantage points) on its own loopback addresses, and
 * helpers that watch DNS the way a resolver would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfigInput } from '#core/config/schema.ts';
import type { PolicyInput } from '#core/config/policy-schema.ts';
import { jsonLogger } from '#core/log.ts';
import { parseStateRecord } from '#core/dns/state-record.ts';
import { startLocalRun, type LocalRun, type LocalRunOptions } from '../../cli/local/run.ts';
import { resolveService } from '../../cli/local/timeline.ts';
import { fetchStatus } from '../../cli/coordinator-client.ts';
import { Resolver } from 'node:dns/promises';
import type { StatusReport } from '#core/api/status.ts';
import type { ObservationBatch } from '#core/model.ts';

export const SERVICE = 'shop.e2e.test';
export const PRIMARY_IP = '127.0.0.31';
export const SECONDARY_IP = '127.0.0.32';
export const INTERVAL_S = 2;

export interface E2E {
  readonly run: LocalRun;
  readonly dir: string;
  readonly lines: string[];
  answer(): Promise<string[]>;
  stateRecord(): Promise<ReturnType<typeof parseStateRecord>>;
  status(): Promise<StatusReport[]>;
  primary(): LocalRun['sites'][number];
  /**
   * Resolves once every vantage point has sent `perVantagePoint` more batches (sent from now on,
   * matching `where`) that every coordinator running now accepted, i.e. evaluated: "nothing
   * happens" checks count evaluations instead of sleeping and hoping. Fails with the counts after
   * `timeoutMs` (default: four intervals per round, at least 30 s).
   */
  afterRounds(perVantagePoint: number, what: string, options?: RoundWaitOptions): Promise<void>;
  stop(): Promise<void>;
}

export interface RoundWaitOptions {
  /** Only batches this holds for count (e.g. the primary seen healthy again). */
  readonly where?: (batch: ObservationBatch) => boolean;
  readonly timeoutMs?: number;
}

/** `configure` changes the config before the run starts (e.g. adds a webhook). */
export async function startE2E(policy: Partial<PolicyInput> = {}, extra: Partial<LocalRunOptions> = {}, configure: (input: LifeboatConfigInput) => LifeboatConfigInput = (i) => i): Promise<E2E> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-e2e-'));
  const input: LifeboatConfigInput = configure({
    services: [{
      name: SERVICE,
      primary: { url: `http://${PRIMARY_IP}:18080`, a: [PRIMARY_IP] },
      secondary: { url: `http://${SECONDARY_IP}:18080`, a: [SECONDARY_IP] },
      healthCheck: { type: 'http', path: '/healthz', expectStatus: [200], timeoutMs: 1000 },
      dns: [{ provider: 'embedded', ttl: 1 }],
      policy,
    }],
    vantagePoints: { aws: ['ap-northeast-2', 'us-east-1', 'eu-west-1'], cloudflare: ['apac', 'weur', 'enam'] },
    probing: { intervalSeconds: INTERVAL_S, recheckDelayMs: 200, controlUrls: [] },
    keys: [{ id: 'e2e-probe', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: 'e2e-operator', scope: 'operator' }],
  });
  const configPath = join(dir, 'lifeboat.config.json');
  writeFileSync(configPath, JSON.stringify(input));
  const lines: string[] = [];
  const rounds = roundLog();
  const run = await startLocalRun({
    config: loadConfig(input), configPath, stateDir: join(dir, 'state'), dnsPort: 0,
    logger: jsonLogger((l) => lines.push(l), {}, 'warn'),
    progress: (l) => lines.push(l),
    ...extra,
    onRound: (batch, posts) => {
      rounds.record(batch, posts.filter((p) => p.ok).map((p) => p.coordinator));
      extra.onRound?.(batch, posts);
    },
  });
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${run.dnsPort}`]);
  return {
    run, dir, lines,
    answer: () => resolveService(SERVICE, run.dnsPort),
    async stateRecord() {
      const txt = await resolver.resolveTxt(`_lifeboat.${SERVICE}`).catch(() => [] as string[][]);
      return txt[0] ? parseStateRecord(txt[0].join('')) : null;
    },
    // Every coordinator's report; a coordinator that does not answer is an error, not a shorter list.
    async status() {
      const { reports, unreachable } = await fetchStatus(run.coordinators(), run.operator, { timeoutMs: 5000 });
      if (unreachable.length) throw new Error(`no status from ${unreachable.map((u) => `${u.coordinator} (${u.error})`).join(', ')}`);
      return reports;
    },
    primary: () => run.sites.find((s) => s.name === `${SERVICE} primary`)!,
    afterRounds: (perVantagePoint, what, options = {}) => rounds.wait({
      perVantagePoint, what,
      vantagePoints: run.vantagePoints,
      coordinators: run.coordinators().map((c) => c.name),
      where: options.where ?? (() => true),
      timeoutMs: options.timeoutMs ?? Math.max(30_000, perVantagePoint * INTERVAL_S * 1000 * 4),
    }),
    // run.stop() ends the producers (vantage points, then coordinators, each awaiting its
    // in-flight work) before the stores; waits still pending end here instead of hanging.
    async stop() {
      rounds.close();
      await run.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds; fails with `what` after `timeoutMs`. Bounded in time and count. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 200): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Waits until every coordinator has fresh healthy votes from every vantage point. */
export async function steady(e: E2E): Promise<void> {
  const vps = e.run.vantagePoints.length;
  let seen = 'no status yet';
  await waitFor('a healthy steady state', async () => {
    const reports = await e.status().catch((err: Error) => { seen = err.message; return []; });
    if (reports.length) seen = reports.map((r) => `${r.coordinator}: ${JSON.stringify(r.services[0]?.tally.primary)}`).join('; ');
    return reports.length === e.run.coordinators().length && reports.every((r) => r.services[0]?.tally.primary.healthy === vps);
  }).catch((err: Error) => { throw new Error(`${err.message}; last seen: ${seen}; log: ${e.lines.slice(-5).join(' | ')}`); });
}

interface RoundWait {
  readonly perVantagePoint: number;
  readonly what: string;
  readonly vantagePoints: readonly string[];
  readonly coordinators: readonly string[];
  readonly where: (batch: ObservationBatch) => boolean;
  readonly timeoutMs: number;
}

/** Every batch the run's vantage points posted, and who accepted it; waits are woken per batch. */
function roundLog() {
  const seen: { batch: ObservationBatch; acceptedBy: readonly string[] }[] = [];
  const listeners = new Set<() => void>();
  const stopped = new Set<(reason: Error) => void>();
  return {
    record(batch: ObservationBatch, acceptedBy: readonly string[]) {
      seen.push({ batch, acceptedBy });
      for (const wake of listeners) wake();
    },
    wait(w: RoundWait): Promise<void> {
      const since = Date.now();
      const counts = () => new Map(w.vantagePoints.map((vp) => [vp, seen.filter(({ batch, acceptedBy }) =>
        batch.vantagePoint === vp && batch.sentAt >= since && w.coordinators.every((c) => acceptedBy.includes(c)) && w.where(batch)).length]));
      const done = () => [...counts().values()].every((n) => n >= w.perVantagePoint);
      const describe = () => [...counts()].map(([vp, n]) => `${vp} ${n}`).join(', ');
      return new Promise<void>((resolve, reject) => {
        const finish = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          stopped.delete(finish);
          if (error) reject(error); else resolve();
        };
        const check = () => { if (done()) finish(); };
        const timer = setTimeout(() => finish(new Error(`timed out after ${w.timeoutMs} ms waiting for ${w.perVantagePoint} rounds per vantage point accepted by ${w.coordinators.join(' and ')} (${w.what}); counted: ${describe()}`)), w.timeoutMs);
        listeners.add(check);
        stopped.add(finish);
        check();
      });
    },
    close() {
      for (const finish of [...stopped]) finish(new Error('the run stopped while a test was waiting for rounds'));
      listeners.clear();
    },
  };
}
