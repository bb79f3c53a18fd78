/** Frozen copy of core/coordinator/ledger.ts before issue 13's columnar merge (commit da08aea): the reference test/coordinator/ledger-fast-path.test.ts compares with. Do not edit. */
/**
 * The vote ledger: how a coordinator stores votes so that its writes grow with vantage points and
 * changes, not with services. Per vantage point and per batch slice (the services one signed
 * batch covers; a round of many services is split into several batches, core/probe/post.ts):
 *
 *   - a heartbeat, rewritten on every batch: when it was received, and the receive times of the
 *     slice's batches inside the gray-failure window (core/engine/gray.ts counts votes per interval);
 *   - a vote sheet, rewritten only when a verdict changes or the covered services change: each
 *     covered service's verdict per target, since when, and its earlier verdicts inside the window.
 *
 * A vote's receive time is its heartbeat's, so a service counts as freshly observed only while
 * the latest batch of its slice named it: a service dropped from the batches keeps the time it was
 * last named (`gone`) and goes stale like any unrenewed vote. A heartbeat belongs to one revision of
 * its sheet; a sheet whose heartbeat points elsewhere (a crash between the two writes) gives no
 * votes until the next batch. Nothing is written across vantage points, so concurrent batches of
 * different vantage points never conflict. Pure.
 *
 * Deliberate differences from votes merged into the service state (core/engine/votes.ts): a
 * vote's observedAt is its batch's newest, and its latency is not kept (null); it changes every
 * round and would make every round a change.
 */
import type { FailureKind, Observation, ServiceName, TargetRole, UnixMs, Verdict, VantagePoint } from '#core/model.ts';
import { TARGET_ROLES } from '#core/model.ts';
import type { GrayBucket, Vote, VoteBook, VoteEntry } from '#core/engine/state.ts';
import { providerOf } from '#core/engine/votes.ts';
import { InputError } from '#core/errors.ts';

export interface Heartbeat {
  readonly vantagePoint: VantagePoint;
  readonly slice: string;
  /** The sheet revision this batch was recorded with. */
  readonly rev: number;
  readonly receivedAt: UnixMs;
  /** Newest observedAt in the batch. */
  readonly observedAt: UnixMs;
  readonly ranIn: string | null;
  /** Receive times of this slice's batches inside the gray window, oldest first, this one last. */
  readonly rounds: readonly UnixMs[];
}

export interface SheetCell {
  readonly verdict: Verdict;
  readonly failure: FailureKind | null;
  /** Receive time of the batch that set this verdict. */
  readonly since: UnixMs;
  /** Earlier verdicts still inside the gray window: [since, verdict], oldest first. */
  readonly history: readonly (readonly [UnixMs, Verdict])[];
}

export interface SheetEntry {
  readonly primary: SheetCell | null;
  readonly secondary: SheetCell | null;
  /** Set once the slice's batches stopped naming the service: [receivedAt, observedAt] of the last one that did. */
  readonly gone: readonly [UnixMs, UnixMs] | null;
}

export interface VoteSheet {
  readonly vantagePoint: VantagePoint;
  readonly slice: string;
  readonly rev: number;
  readonly votes: Readonly<Record<ServiceName, SheetEntry>>;
}

export interface LedgerItems {
  readonly heartbeats: readonly Heartbeat[];
  readonly sheets: readonly VoteSheet[];
}

/** What one batch writes: the sheet only when something in it changed. */
export interface LedgerWrite {
  readonly heartbeat: Heartbeat;
  readonly sheet: VoteSheet | null;
}

export const EMPTY_LEDGER: LedgerItems = { heartbeats: [], sheets: [] };

/** A service named by no batch for this long leaves its sheet (its vote is long stale by then). */
export const GONE_RETENTION_MS = 3600_000;

/** The slice of a batch: its first service by name. Stable while the split of a round is. */
export function sliceOf(observations: readonly Observation[]): string {
  let first: string | null = null;
  for (const o of observations) if (first === null || o.service < first) first = o.service;
  if (first === null) throw new InputError('a batch with no accepted observations has no slice');
  return first;
}

const VERDICT_RANK = { healthy: 0, abstain: 1, unhealthy: 2 } as const;

/** Drops history entries no longer in force at or after `from`. */
function pruneHistory(history: readonly (readonly [UnixMs, Verdict])[], nextSince: UnixMs, from: UnixMs): (readonly [UnixMs, Verdict])[] {
  const out: (readonly [UnixMs, Verdict])[] = [];
  for (let i = 0; i < history.length; i++) {
    const end = i + 1 < history.length ? history[i + 1]![0] : nextSince;
    if (end > from) out.push(history[i]!);
  }
  return out;
}

/**
 * Plans the ledger write of one batch from the slice's previous heartbeat and sheet. Observations
 * must be this batch's accepted ones (all of one vantage point, receivedAt = now).
 */
export function planRecord(
  prev: { heartbeat: Heartbeat | null; sheet: VoteSheet | null },
  vantagePoint: VantagePoint, slice: string, observations: readonly Observation[], receivedAt: UnixMs, grayWindowMs: number,
): LedgerWrite {
  const windowStart = receivedAt - grayWindowMs;
  // The batch's vote per service and target: with duplicates, the newest observed, then the worse verdict.
  const latest = new Map<ServiceName, Partial<Record<TargetRole, Observation>>>();
  let observedAt = 0;
  let ranIn: string | null = null;
  for (const o of observations) {
    observedAt = Math.max(observedAt, o.observedAt);
    ranIn ??= o.ranIn ?? null;
    const byTarget = latest.get(o.service) ?? {};
    const cur = byTarget[o.target];
    if (!cur || o.observedAt > cur.observedAt || (o.observedAt === cur.observedAt && VERDICT_RANK[o.verdict] > VERDICT_RANK[cur.verdict])) byTarget[o.target] = o;
    latest.set(o.service, byTarget);
  }
  const prevSheet = prev.sheet;
  const prevHb = prev.heartbeat && prevSheet && prev.heartbeat.rev === prevSheet.rev ? prev.heartbeat : null;
  let changed = prevSheet === null || prevHb === null;
  const votes: Record<ServiceName, SheetEntry> = {};
  for (const [service, byTarget] of latest) {
    const old = prevSheet?.votes[service];
    if (!old || old.gone) changed = true;
    const cell = (target: TargetRole): SheetCell | null => {
      const o = byTarget[target];
      const was = old && !old.gone ? old[target] : null;
      if (!o) { if (was) changed = true; return null; }
      const failure = o.failure ?? null;
      if (was && was.verdict === o.verdict && was.failure === failure) return was;
      changed = true;
      const history = was ? pruneHistory([...was.history, [was.since, was.verdict]], receivedAt, windowStart) : [];
      return { verdict: o.verdict, failure, since: receivedAt, history };
    };
    votes[service] = { primary: cell('primary'), secondary: cell('secondary'), gone: null };
  }
  // Services this slice named before but not now: they keep the time they were last named.
  if (prevSheet) {
    for (const [service, entry] of Object.entries(prevSheet.votes)) {
      if (latest.has(service)) continue;
      const gone = entry.gone ?? (prevHb ? [prevHb.receivedAt, prevHb.observedAt] as const : null);
      if (gone === null || gone[0] < receivedAt - GONE_RETENTION_MS) { changed = true; continue; }
      if (!entry.gone) changed = true;
      votes[service] = { ...entry, gone };
    }
  }
  const rev = changed ? (prevSheet?.rev ?? 0) + 1 : prevSheet!.rev;
  const rounds = [...(prevHb?.rounds.filter((t) => t > windowStart && t < receivedAt) ?? []), receivedAt];
  return {
    heartbeat: { vantagePoint, slice, rev, receivedAt, observedAt, ranIn, rounds },
    sheet: changed ? { vantagePoint, slice, rev, votes } : null,
  };
}

/** One vantage point's sheet entry for a service, with the heartbeat that dates it. */
interface Dated {
  readonly vantagePoint: VantagePoint;
  readonly heartbeat: Heartbeat;
  readonly entry: SheetEntry;
}

/** The ledger indexed by service: built once per evaluation, read per service. */
export type LedgerIndex = ReadonlyMap<ServiceName, readonly Dated[]>;

const itemKey = (vp: string, slice: string) => `${vp}\u0000${slice}`;

/**
 * Indexes the ledger by service. `replace` swaps one slice's items for other versions (the
 * coordinator evaluates a batch against the ledger as it was before that batch was recorded).
 */
export function indexLedger(items: LedgerItems, replace?: { vantagePoint: VantagePoint; slice: string; heartbeat: Heartbeat | null; sheet: VoteSheet | null }): LedgerIndex {
  const heartbeats = new Map<string, Heartbeat>();
  const replaced = replace ? itemKey(replace.vantagePoint, replace.slice) : null;
  for (const hb of items.heartbeats) if (itemKey(hb.vantagePoint, hb.slice) !== replaced) heartbeats.set(itemKey(hb.vantagePoint, hb.slice), hb);
  const sheets = items.sheets.filter((s) => itemKey(s.vantagePoint, s.slice) !== replaced);
  if (replace?.heartbeat) heartbeats.set(replaced!, replace.heartbeat);
  if (replace?.sheet) sheets.push(replace.sheet);
  const index = new Map<ServiceName, Dated[]>();
  for (const sheet of sheets) {
    const heartbeat = heartbeats.get(itemKey(sheet.vantagePoint, sheet.slice));
    if (!heartbeat || heartbeat.rev !== sheet.rev) continue;
    for (const [service, entry] of Object.entries(sheet.votes)) {
      const list = index.get(service);
      const dated = { vantagePoint: sheet.vantagePoint, heartbeat, entry };
      if (list) list.push(dated);
      else index.set(service, [dated]);
    }
  }
  return index;
}

function voteOf(cell: SheetCell, d: Dated): Vote {
  const [receivedAt, observedAt] = d.entry.gone ?? [d.heartbeat.receivedAt, d.heartbeat.observedAt];
  return { verdict: cell.verdict, observedAt, receivedAt, failure: cell.failure, latencyMs: null, ranIn: d.heartbeat.ranIn };
}

/** Later receipt wins, then later observation: the order core/engine/votes.ts merges by. */
const newer = (a: Vote, b: Vote | null): boolean => b === null || a.receivedAt > b.receivedAt || (a.receivedAt === b.receivedAt && a.observedAt > b.observedAt);

/** A service's vote book from the ledger: per vantage point and target, its latest vote. */
export function bookOf(index: LedgerIndex, service: ServiceName): VoteEntry[] {
  const dated = index.get(service);
  if (!dated) return [];
  const byVp = new Map<VantagePoint, { vantagePoint: VantagePoint; primary: Vote | null; secondary: Vote | null }>();
  for (const d of dated) {
    let e = byVp.get(d.vantagePoint);
    if (!e) byVp.set(d.vantagePoint, e = { vantagePoint: d.vantagePoint, primary: null, secondary: null });
    for (const target of TARGET_ROLES) {
      const cell = d.entry[target];
      if (!cell) continue;
      const v = voteOf(cell, d);
      if (newer(v, e[target])) e[target] = v;
    }
  }
  return [...byVp.values()].sort((a, b) => (a.vantagePoint < b.vantagePoint ? -1 : a.vantagePoint > b.vantagePoint ? 1 : 0));
}

/** Merges two books (state saved by 0.1/0.2 still holds votes): per vantage point and target, the newer vote. */
export function mergeBooks(a: VoteBook, b: VoteBook): VoteBook {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const byVp = new Map<VantagePoint, VoteEntry>();
  for (const e of a) byVp.set(e.vantagePoint, e);
  for (const e of b) {
    const o = byVp.get(e.vantagePoint);
    if (!o) { byVp.set(e.vantagePoint, e); continue; }
    const pick = (t: TargetRole) => (e[t] !== null && newer(e[t]!, o[t]) ? e[t] : o[t]);
    byVp.set(e.vantagePoint, { vantagePoint: e.vantagePoint, primary: pick('primary'), secondary: pick('secondary') });
  }
  return [...byVp.values()].sort((x, y) => (x.vantagePoint < y.vantagePoint ? -1 : x.vantagePoint > y.vantagePoint ? 1 : 0));
}

function verdictAt(cell: SheetCell, t: UnixMs): Verdict | null {
  if (t >= cell.since) return cell.verdict;
  for (let i = cell.history.length - 1; i >= 0; i--) if (cell.history[i]![0] <= t) return cell.history[i]![1];
  return null;
}

/**
 * The gray-failure buckets of a service from the ledger: per interval and provider, the primary
 * votes received [unhealthy, healthy + unhealthy], as core/engine/gray.ts recordVotes counts them.
 */
export function grayBucketsOf(index: LedgerIndex, service: ServiceName, now: UnixMs, intervalMs: number, windowMs: number, countedFrom: UnixMs | null = null): GrayBucket[] {
  const dated = index.get(service);
  if (!dated) return [];
  const buckets = new Map<UnixMs, Record<string, [number, number]>>();
  for (const d of dated) {
    const cell = d.entry.primary;
    if (!cell) continue;
    const provider = providerOf(d.vantagePoint);
    for (const t of d.heartbeat.rounds) {
      if ((d.entry.gone && t > d.entry.gone[0]) || (countedFrom !== null && t <= countedFrom)) continue;
      const at = Math.floor(t / intervalMs) * intervalMs;
      if (at <= now - windowMs) continue;
      const verdict = verdictAt(cell, t);
      if (verdict === null || verdict === 'abstain') continue;
      const counts = buckets.get(at) ?? {};
      const c = counts[provider] ??= [0, 0];
      if (verdict === 'unhealthy') c[0]++;
      c[1]++;
      buckets.set(at, counts);
    }
  }
  return [...buckets.entries()].sort((x, y) => x[0] - y[0]).map(([at, counts]) => ({ at, counts }));
}

/** Sums two bucket lists (buckets saved in a 0.1/0.2 state plus those from the ledger). */
export function sumBuckets(a: readonly GrayBucket[], b: readonly GrayBucket[]): GrayBucket[] {
  if (a.length === 0) return [...b];
  if (b.length === 0) return [...a];
  const out = new Map<UnixMs, Record<string, [number, number]>>();
  for (const bucket of [...a, ...b]) {
    const counts = out.get(bucket.at) ?? {};
    for (const [p, [u, t]] of Object.entries(bucket.counts)) {
      const c = counts[p] ??= [0, 0];
      c[0] += u;
      c[1] += t;
    }
    out.set(bucket.at, counts);
  }
  return [...out.entries()].sort((x, y) => x[0] - y[0]).map(([at, counts]) => ({ at, counts }));
}
