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
import type { FailureKind, Observation, ServiceName, TargetRole, UnixMs, Verdict, VantagePoint } from '../model.ts';
import type { GrayBucket, Vote, VoteBook, VoteEntry } from '../engine/state.ts';
import { VoteColumns } from '../engine/columns.ts';
import { providerOf } from '../engine/votes.ts';
import { InputError } from '../errors.ts';

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
  /** The signed batch that wrote it, when it came through the API: the replay guard (core/coordinator/store.ts). */
  readonly signed?: SignedBatchMark;
}

/** What makes a signed batch unique for its slice: a later batch must have a later `sentAt`. */
export interface SignedBatchMark {
  readonly sentAt: UnixMs;
  readonly round: number;
  /** The request's LB1 nonce (lower-cased). */
  readonly nonce: string;
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

/**
 * One sheet in force (its heartbeat names its revision), with what every service of it shares:
 * the heartbeat, the provider, and the gray-window rounds worked out once per evaluation time.
 */
interface Source {
  readonly vantagePoint: VantagePoint;
  readonly heartbeat: Heartbeat;
  readonly facts: SheetFacts;
  /** Index into LedgerIndex.providers. */
  readonly provider: number;
  profile: RoundProfile | null;
}

/** A service's rows: parallel arrays, in source order (so by vantage point); `positions` in each source's SheetFacts. */
interface Rows {
  readonly sources: number[];
  readonly positions: number[];
}

/**
 * The ledger indexed by service: built once per evaluation, read per service. Sources are sorted
 * by vantage point (stably: of one vantage point's slices, the ledger's order), so a service's
 * rows come out in vote book order with no sort per service.
 */
export interface LedgerIndex {
  readonly sources: readonly Source[];
  /** Provider names, sorted. */
  readonly providers: readonly string[];
  readonly rows: ReadonlyMap<ServiceName, Rows>;
}

/**
 * A sheet's votes flat, for reading many times: every batch of a round evaluates its services
 * against the other slices' sheets, and chasing each entry's objects (entry, cell) per
 * evaluation was most of the coordinator's round at 1,000 services (issue 13). Worked out once
 * per sheet object: sheets are never mutated, and the memory store hands back the same object
 * until the sheet is rewritten.
 */
interface SheetFacts {
  /** The sheet's first and last service by name (null: no services): a batch skips sheets outside its names. */
  readonly first: ServiceName | null;
  readonly last: ServiceName | null;
  readonly position: ReadonlyMap<ServiceName, number>;
  /** By position: what the rare paths read (a verdict's history). */
  readonly entries: readonly SheetEntry[];
  /** FACT_STRIDE numbers per position, see the F_ offsets. */
  readonly numbers: Float64Array;
  /** Failure kinds by code (0: none). */
  readonly failures: readonly (FailureKind | null)[];
}

const FACT_STRIDE = 8;
/** Primary: since, verdict code, failure code; secondary: verdict code, failure code; gone: receivedAt, observedAt (Infinity: not gone). */
const F_P_SINCE = 0, F_P_VERDICT = 1, F_P_FAILURE = 2, F_S_VERDICT = 3, F_S_FAILURE = 4, F_GONE_RECEIVED = 5, F_GONE_OBSERVED = 6;
/** 0: no vote for that target. */
const VERDICT_CODE: Readonly<Record<Verdict, number>> = { healthy: 1, abstain: 2, unhealthy: 3 };
const VERDICT_OF: readonly (Verdict | null)[] = [null, 'healthy', 'abstain', 'unhealthy'];
const ABSTAIN = VERDICT_CODE.abstain;
const UNHEALTHY = VERDICT_CODE.unhealthy;

const factsOfSheet = new WeakMap<VoteSheet, SheetFacts>();
function factsOf(sheet: VoteSheet): SheetFacts {
  const known = factsOfSheet.get(sheet);
  if (known) return known;
  const services = Object.keys(sheet.votes);
  const position = new Map<ServiceName, number>();
  const entries: SheetEntry[] = [];
  const numbers = new Float64Array(FACT_STRIDE * services.length);
  const failures: (FailureKind | null)[] = [null];
  const failureCode = (f: FailureKind | null) => {
    if (f === null) return 0;
    const i = failures.indexOf(f);
    return i >= 0 ? i : failures.push(f) - 1;
  };
  let first: ServiceName | null = null;
  let last: ServiceName | null = null;
  for (const service of services) {
    if (first === null || service < first) first = service;
    if (last === null || service > last) last = service;
    const entry = sheet.votes[service]!;
    const o = FACT_STRIDE * entries.length;
    position.set(service, entries.length);
    entries.push(entry);
    if (entry.primary) {
      numbers[o + F_P_SINCE] = entry.primary.since;
      numbers[o + F_P_VERDICT] = VERDICT_CODE[entry.primary.verdict];
      numbers[o + F_P_FAILURE] = failureCode(entry.primary.failure);
    }
    if (entry.secondary) {
      numbers[o + F_S_VERDICT] = VERDICT_CODE[entry.secondary.verdict];
      numbers[o + F_S_FAILURE] = failureCode(entry.secondary.failure);
    }
    numbers[o + F_GONE_RECEIVED] = entry.gone ? entry.gone[0] : Infinity;
    numbers[o + F_GONE_OBSERVED] = entry.gone ? entry.gone[1] : Infinity;
  }
  const facts = { first, last, position, entries, numbers, failures };
  factsOfSheet.set(sheet, facts);
  return facts;
}

const itemKey = (vp: string, slice: string) => `${vp}\u0000${slice}`;
const byVp = (a: { vantagePoint: string }, b: { vantagePoint: string }) => (a.vantagePoint < b.vantagePoint ? -1 : a.vantagePoint > b.vantagePoint ? 1 : 0);

/**
 * Indexes the ledger by service. `replace` swaps one slice's items for other versions (the
 * coordinator evaluates a batch against the ledger as it was before that batch was recorded).
 * `only` indexes just those services (a batch evaluates its own, a quarter of the ledger or less
 * at 1,000 services); the rows of each are the same as in the whole index, in the same order.
 */
export function indexLedger(items: LedgerItems, replace?: { vantagePoint: VantagePoint; slice: string; heartbeat: Heartbeat | null; sheet: VoteSheet | null }, only?: readonly ServiceName[]): LedgerIndex {
  const heartbeats = new Map<string, Heartbeat>();
  const replaced = replace ? itemKey(replace.vantagePoint, replace.slice) : null;
  for (const hb of items.heartbeats) if (itemKey(hb.vantagePoint, hb.slice) !== replaced) heartbeats.set(itemKey(hb.vantagePoint, hb.slice), hb);
  const sheets = items.sheets.filter((s) => itemKey(s.vantagePoint, s.slice) !== replaced);
  if (replace?.heartbeat) heartbeats.set(replaced!, replace.heartbeat);
  if (replace?.sheet) sheets.push(replace.sheet);
  const inForce: { vantagePoint: VantagePoint; heartbeat: Heartbeat; sheet: VoteSheet }[] = [];
  for (const sheet of sheets) {
    const heartbeat = heartbeats.get(itemKey(sheet.vantagePoint, sheet.slice));
    if (heartbeat && heartbeat.rev === sheet.rev) inForce.push({ vantagePoint: sheet.vantagePoint, heartbeat, sheet });
  }
  inForce.sort(byVp);
  const providers = [...new Set(inForce.map((f) => providerOf(f.vantagePoint)))].sort();
  const sources: Source[] = [];
  const rows = new Map<ServiceName, Rows>();
  let lo: ServiceName | null = null;
  let hi: ServiceName | null = null;
  for (const service of only ?? []) {
    if (lo === null || service < lo) lo = service;
    if (hi === null || service > hi) hi = service;
  }
  for (const { vantagePoint, heartbeat, sheet } of inForce) {
    // Skipped sheets still count as sources: a source's index, and so every row, stays the same.
    const facts = factsOf(sheet);
    const k = sources.push({ vantagePoint, heartbeat, facts, provider: providers.indexOf(providerOf(vantagePoint)), profile: null }) - 1;
    if (only && (facts.first === null || lo === null || facts.last! < lo || facts.first > hi!)) continue;
    for (const service of only ?? facts.position.keys()) {
      const at = facts.position.get(service);
      if (at === undefined) continue;
      const r = rows.get(service);
      if (r) { r.sources.push(k); r.positions.push(at); } else rows.set(service, { sources: [k], positions: [at] });
    }
  }
  return { sources, providers, rows };
}

/** A service's votes from the ledger, as columns: per vantage point and target, its latest vote. */
export function votesOf(index: LedgerIndex, service: ServiceName): VoteColumns {
  const r = index.rows.get(service);
  if (!r) return VoteColumns.EMPTY;
  const b = VoteColumns.builder(r.sources.length);
  let i = -1;
  let vp: VantagePoint | null = null;
  for (let k = 0; k < r.sources.length; k++) {
    const src = index.sources[r.sources[k]!]!;
    const f = src.facts.numbers;
    const o = FACT_STRIDE * r.positions[k]!;
    if (src.vantagePoint !== vp) { vp = src.vantagePoint; i = b.add(vp); }
    const gone = f[o + F_GONE_RECEIVED] !== Infinity;
    const receivedAt = gone ? f[o + F_GONE_RECEIVED]! : src.heartbeat.receivedAt;
    const observedAt = gone ? f[o + F_GONE_OBSERVED]! : src.heartbeat.observedAt;
    for (let t = 0; t < 2; t++) {
      const verdict = VERDICT_OF[f[o + (t === 0 ? F_P_VERDICT : F_S_VERDICT)]!]!;
      if (verdict === null) continue;
      const s = 2 * i + t;
      // Later receipt wins, then later observation: the order core/engine/votes.ts merges by.
      if (b.has(s) && !(receivedAt > b.receivedAt(s) || (receivedAt === b.receivedAt(s) && observedAt > b.observedAt(s)))) continue;
      b.set(s, verdict, src.facts.failures[f[o + (t === 0 ? F_P_FAILURE : F_S_FAILURE)]!]!, observedAt, receivedAt, null, src.heartbeat.ranIn);
    }
  }
  return b.done();
}

/** A service's vote book from the ledger (votesOf in the stored shape). */
export function bookOf(index: LedgerIndex, service: ServiceName): VoteEntry[] {
  return votesOf(index, service).toBook();
}

/** Later receipt wins, then later observation: the order core/engine/votes.ts merges by. */
const newer = (a: Vote, b: Vote | null): boolean => b === null || a.receivedAt > b.receivedAt || (a.receivedAt === b.receivedAt && a.observedAt > b.observedAt);

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
 * A heartbeat's rounds that count at one evaluation (after countedFrom, inside the window), each
 * with its bucket's slot (interval number from the window's first bucket). Shared by every
 * service of the sheet, so worked out once per source rather than once per service.
 */
interface RoundProfile {
  readonly now: UnixMs;
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly countedFrom: UnixMs | null;
  readonly rounds: readonly UnixMs[];
  readonly slots: readonly number[];
  /** Earliest and latest of `rounds`, and the highest slot. */
  readonly first: UnixMs;
  readonly last: UnixMs;
  readonly maxSlot: number;
}

function profileOf(src: Source, now: UnixMs, intervalMs: number, windowMs: number, countedFrom: UnixMs | null, firstAt: UnixMs): RoundProfile {
  const p = src.profile;
  if (p && p.now === now && p.intervalMs === intervalMs && p.windowMs === windowMs && p.countedFrom === countedFrom) return p;
  const rounds: UnixMs[] = [];
  const slots: number[] = [];
  let first = Infinity;
  let last = -Infinity;
  let maxSlot = -1;
  for (const t of src.heartbeat.rounds) {
    if (countedFrom !== null && t <= countedFrom) continue;
    const at = Math.floor(t / intervalMs) * intervalMs;
    if (at <= now - windowMs) continue;
    const slot = Math.round((at - firstAt) / intervalMs);
    rounds.push(t);
    slots.push(slot);
    first = Math.min(first, t);
    last = Math.max(last, t);
    maxSlot = Math.max(maxSlot, slot);
  }
  return (src.profile = { now, intervalMs, windowMs, countedFrom, rounds, slots, first, last, maxSlot });
}

/** Counts per slot and provider, [unhealthy, total] flat; reused from service to service. */
let scratch = new Float64Array(256);

/**
 * The gray-failure buckets of a service from the ledger: per interval and provider, the primary
 * votes received [unhealthy, healthy + unhealthy], as core/engine/gray.ts recordVotes counts them.
 * A vote whose verdict held through all of its sheet's counted rounds (nearly every one) adds one
 * per round without looking the verdict up; providers are listed by name in each bucket.
 */
export function grayBucketsOf(index: LedgerIndex, service: ServiceName, now: UnixMs, intervalMs: number, windowMs: number, countedFrom: UnixMs | null = null): GrayBucket[] {
  const r = index.rows.get(service);
  if (!r) return [];
  const providers = index.providers;
  const P = providers.length;
  const firstAt = Math.floor((now - windowMs) / intervalMs) * intervalMs;
  let slotsUsed = 0;
  let acc = scratch;
  for (let k = 0; k < r.sources.length; k++) {
    const src = index.sources[r.sources[k]!]!;
    const f = src.facts.numbers;
    const o = FACT_STRIDE * r.positions[k]!;
    const code = f[o + F_P_VERDICT]!;
    if (code === 0) continue;
    const prof = profileOf(src, now, intervalMs, windowMs, countedFrom, firstAt);
    const n = prof.rounds.length;
    if (n === 0) continue;
    if (prof.maxSlot >= slotsUsed) {
      // Slots are zeroed as they come into use.
      const need = 2 * P * (prof.maxSlot + 1);
      if (need > acc.length) { const grown = new Float64Array(2 * need); grown.set(acc.subarray(0, 2 * P * slotsUsed)); acc = scratch = grown; }
      acc.fill(0, 2 * P * slotsUsed, need);
      slotsUsed = prof.maxSlot + 1;
    }
    const base = 2 * src.provider;
    if (f[o + F_P_SINCE]! <= prof.first && f[o + F_GONE_RECEIVED]! >= prof.last) {
      // The same verdict in every counted round.
      if (code === ABSTAIN) continue;
      const unhealthy = code === UNHEALTHY ? 1 : 0;
      for (let j = 0; j < n; j++) {
        const a = 2 * P * prof.slots[j]! + base;
        acc[a] = acc[a]! + unhealthy;
        acc[a + 1] = acc[a + 1]! + 1;
      }
      continue;
    }
    // A verdict that changed inside the window: looked up round by round in the sheet's entry.
    const entry = src.facts.entries[r.positions[k]!]!;
    const cell = entry.primary!;
    const gone = entry.gone;
    for (let j = 0; j < n; j++) {
      const t = prof.rounds[j]!;
      if (gone && t > gone[0]) continue;
      const verdict = verdictAt(cell, t);
      if (verdict === null || verdict === 'abstain') continue;
      const a = 2 * P * prof.slots[j]! + base;
      if (verdict === 'unhealthy') acc[a] = acc[a]! + 1;
      acc[a + 1] = acc[a + 1]! + 1;
    }
  }
  const out: GrayBucket[] = [];
  for (let slot = 0; slot < slotsUsed; slot++) {
    let counts: Record<string, [number, number]> | null = null;
    for (let p = 0; p < P; p++) {
      const o = 2 * P * slot + 2 * p;
      if (acc[o + 1] === 0) continue;
      (counts ??= {})[providers[p]!] = [acc[o]!, acc[o + 1]!];
    }
    if (counts !== null) out.push({ at: firstAt + slot * intervalMs, counts });
  }
  return out;
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
