/**
 * The vote book in columns: what the engine merges and judges, instead of one `Vote` object per
 * vantage point and target. A book holds its vantage points (an array shared between books while
 * no vantage point is added), one Float64Array of numbers per slot (slot 2i + t: vantage point i,
 * target t) and one array of `ranIn` strings. Merging a round into it copies those two arrays and
 * allocates nothing per observation; a 10,000-service round of 24 vantage points would otherwise
 * allocate, and keep, 480,000 `Vote` objects (docs/benchmarks.md, issue 13).
 *
 * `VoteBook` (core/engine/state.ts) stays the stored and shown shape: `fromBook` and `toBook`
 * convert at the edge, and give the same values as votes.ts merged them into books before.
 * A VoteColumns is never changed once built (merge returns a new one). Pure.
 */
import { FAILURE_KINDS, type FailureKind, type Observation, type TargetRole, type VantagePoint, type Verdict } from '../model.ts';
import type { Policy } from './policy.ts';
import type { Vote, VoteBook, VoteEntry } from './state.ts';

/** Numbers per slot, at these offsets. */
const FIELDS = 5;
const VERDICT = 0;
const FAILURE = 1;
const OBSERVED = 2;
const RECEIVED = 3;
/** NaN: no latency (null). */
const LATENCY = 4;

/** Verdict codes: 0 no vote, then healthy < abstain < unhealthy, the order `beats` breaks ties by. */
export const NO_VOTE = 0;
export const HEALTHY = 1;
export const ABSTAIN = 2;
export const UNHEALTHY = 3;
const VERDICT_NAMES: readonly (Verdict | null)[] = [null, 'healthy', 'abstain', 'unhealthy'];
const verdictCode = (v: Verdict): number => (v === 'healthy' ? HEALTHY : v === 'unhealthy' ? UNHEALTHY : ABSTAIN);

/**
 * Failure codes: 0 none, k + 1 the k-th name. Starts with FAILURE_KINDS; a stored vote naming
 * another failure (state written by a later version) gets a code of its own rather than being lost.
 */
const failureNames: string[] = [...FAILURE_KINDS];
function failureCode(f: string | null | undefined): number {
  if (f === null || f === undefined) return 0;
  let k = failureNames.indexOf(f);
  if (k < 0) k = failureNames.push(f) - 1;
  return k + 1;
}
const failureName = (code: number): string | null => (code === 0 ? null : failureNames[code - 1]!);

export const targetIndex = (target: TargetRole): 0 | 1 => (target === 'primary' ? 0 : 1);

/**
 * Vantage point lists are shared between books: the last one built is reused when the next book
 * has the same vantage points in the same order (every service of a fleet, usually).
 */
let lastVps: readonly VantagePoint[] = [];
function shared(vps: VantagePoint[]): readonly VantagePoint[] {
  if (vps.length !== lastVps.length) return (lastVps = vps);
  for (let i = 0; i < vps.length; i++) if (vps[i] !== lastVps[i]) return (lastVps = vps);
  return lastVps;
}

export class VoteColumns {
  private constructor(
    /** In the order of the book it came from; merging keeps a sorted book sorted. */
    readonly vps: readonly VantagePoint[],
    /** FIELDS numbers per slot. */
    private readonly num: Float64Array,
    /** Per slot. */
    private readonly ranIns: readonly (string | null)[],
  ) {}

  static readonly EMPTY = new VoteColumns([], new Float64Array(0), []);

  /** Vantage points in the book (entries, including any with no vote on either target). */
  get size(): number {
    return this.vps.length;
  }

  static fromBook(book: VoteBook): VoteColumns {
    const n = book.length;
    if (n === 0) return VoteColumns.EMPTY;
    const vps = new Array<VantagePoint>(n);
    const num = new Float64Array(2 * n * FIELDS);
    const ranIns = new Array<string | null>(2 * n).fill(null);
    for (let i = 0; i < n; i++) {
      const e = book[i]!;
      vps[i] = e.vantagePoint;
      if (e.primary !== null) write(num, ranIns, 2 * i, e.primary);
      if (e.secondary !== null) write(num, ranIns, 2 * i + 1, e.secondary);
    }
    return new VoteColumns(shared(vps), num, ranIns);
  }

  /** The stored and shown shape: one entry per vantage point, in order, every vote field present. */
  toBook(): VoteEntry[] {
    const out = new Array<VoteEntry>(this.vps.length);
    for (let i = 0; i < this.vps.length; i++) out[i] = { vantagePoint: this.vps[i]!, primary: this.vote(2 * i), secondary: this.vote(2 * i + 1) };
    return out;
  }

  /**
   * Builds a book vote by vote without a `Vote` object (the ledger's, core/coordinator/ledger.ts):
   * `add` a vantage point (in the order wanted), `set` its slots, then `done`.
   */
  static builder(capacity: number): ColumnsBuilder {
    return new ColumnsBuilder(capacity);
  }

  /** @internal ColumnsBuilder's way in. */
  static fromParts(vps: VantagePoint[], num: Float64Array, ranIns: (string | null)[]): VoteColumns {
    return vps.length === 0 ? VoteColumns.EMPTY : new VoteColumns(shared(vps), num, ranIns);
  }

  /** Slot `s` as a Vote, or null. */
  vote(s: number): Vote | null {
    const o = s * FIELDS;
    const num = this.num;
    const v = num[o + VERDICT]!;
    if (v === NO_VOTE) return null;
    const latency = num[o + LATENCY]!;
    return {
      verdict: VERDICT_NAMES[v]!, observedAt: num[o + OBSERVED]!, receivedAt: num[o + RECEIVED]!,
      failure: failureName(num[o + FAILURE]!) as FailureKind | null, latencyMs: latency === latency ? latency : null, ranIn: this.ranIns[s]!,
    };
  }

  /** Verdict code of slot `s` (NO_VOTE, HEALTHY, ABSTAIN, UNHEALTHY). */
  verdictAt(s: number): number {
    return this.num[s * FIELDS + VERDICT]!;
  }

  receivedAt(s: number): number {
    return this.num[s * FIELDS + RECEIVED]!;
  }

  observedAt(s: number): number {
    return this.num[s * FIELDS + OBSERVED]!;
  }

  failureAt(s: number): FailureKind | null {
    return failureName(this.num[s * FIELDS + FAILURE]!) as FailureKind | null;
  }

  /**
   * A new book with the observations merged in, by the rule of votes.ts mergeVotes: per vantage
   * point and target the vote that `beats` the others; refused times are left out. Allocates the
   * book's two arrays once (and again only when a vantage point is added), nothing per observation.
   */
  merge(observations: readonly Observation[], policy: Policy, maxSkewMs: number): VoteColumns {
    if (observations.length === 0) return this;
    let vps = this.vps;
    let num: Float64Array = this.num;
    let ranIns: readonly (string | null)[] = this.ranIns;
    // Copied at the first change: this book is never changed.
    let own = false;
    let hint = 0;
    const freshFor = policy.freshForMs;
    for (let k = 0; k < observations.length; k++) {
      const o = observations[k]!;
      if (o.observedAt > o.receivedAt + maxSkewMs || o.observedAt < o.receivedAt - freshFor) continue;
      const vp = o.vantagePoint;
      let i = indexOfVp(vps, vp, hint);
      if (i < 0) {
        // A new vantage point: where mergeVotes inserted it (before the first greater one).
        i = 0;
        while (i < vps.length && vps[i]! < vp) i++;
        const grownVps = vps.slice();
        grownVps.splice(i, 0, vp);
        vps = grownVps;
        const grown = new Float64Array(num.length + 2 * FIELDS);
        grown.set(num.subarray(0, 2 * i * FIELDS));
        grown.set(num.subarray(2 * i * FIELDS), 2 * (i + 1) * FIELDS);
        num = grown;
        const grownRan = ranIns.slice();
        grownRan.splice(2 * i, 0, null, null);
        ranIns = grownRan;
        own = true;
      }
      hint = i;
      const s = 2 * i + (o.target === 'primary' ? 0 : 1);
      if (num[s * FIELDS + VERDICT] !== NO_VOTE && !beats(o, num, ranIns[s]!, s)) continue;
      if (!own) {
        num = num.slice();
        ranIns = ranIns.slice();
        own = true;
      }
      write(num, ranIns as (string | null)[], s, o);
    }
    return own ? new VoteColumns(vps === this.vps ? vps : shared(vps.slice()), num, ranIns) : this;
  }
}

/** The fields a slot keeps; a stored `Vote` and an incoming `Observation` both have them (an observation's `failure` may be absent). */
interface SlotFields {
  readonly verdict: Vote['verdict'];
  readonly failure?: Vote['failure'] | undefined;
  readonly observedAt: number;
  readonly receivedAt: number;
  readonly latencyMs?: number | null | undefined;
  readonly ranIn?: string | null | undefined;
}

function write(num: Float64Array, ranIns: (string | null)[], s: number, v: SlotFields): void {
  const o = s * FIELDS;
  num[o + VERDICT] = verdictCode(v.verdict);
  num[o + FAILURE] = failureCode(v.failure);
  num[o + OBSERVED] = v.observedAt;
  num[o + RECEIVED] = v.receivedAt;
  num[o + LATENCY] = v.latencyMs ?? NaN;
  ranIns[s] = v.ranIn ?? null;
}

/**
 * votes.ts `beats` on a slot: the latest received, then the newest observed, then ties broken on
 * content (verdict, failure, latency, ranIn), never on arrival.
 */
function beats(a: Observation, num: Float64Array, ranIn: string | null, s: number): boolean {
  const o = s * FIELDS;
  const received = num[o + RECEIVED]!;
  if (a.receivedAt !== received) return a.receivedAt > received;
  const observed = num[o + OBSERVED]!;
  if (a.observedAt !== observed) return a.observedAt > observed;
  const verdict = verdictCode(a.verdict);
  if (verdict !== num[o + VERDICT]) return verdict > num[o + VERDICT]!;
  const fa = a.failure ?? null;
  const fb = failureName(num[o + FAILURE]!);
  if (fa !== fb) return (fa ?? '') > (fb ?? '');
  const la = a.latencyMs ?? null;
  const lb = num[o + LATENCY]!;
  const lbOrNull = lb === lb ? lb : null;
  if (la !== lbOrNull) return (la ?? -1) > (lbOrNull ?? -1);
  return (a.ranIn ?? '') > (ranIn ?? '');
}

/**
 * Where `vp` sits (votes.ts indexOfVp on the vantage point list): the hint, the next one, a binary
 * search (books written by this code are sorted), then a plain scan.
 */
function indexOfVp(vps: readonly string[], vp: string, hint: number): number {
  const n = vps.length;
  if (hint < n && vps[hint] === vp) return hint;
  if (hint + 1 < n && vps[hint + 1] === vp) return hint + 1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (vps[mid]! < vp) lo = mid + 1;
    else hi = mid;
  }
  if (lo < n && vps[lo] === vp) return lo;
  for (let i = 0; i < n; i++) if (vps[i] === vp) return i;
  return -1;
}

export class ColumnsBuilder {
  private readonly vps: VantagePoint[] = [];
  private num: Float64Array;
  private ranIns: (string | null)[];

  constructor(capacity: number) {
    this.num = new Float64Array(2 * capacity * FIELDS);
    this.ranIns = new Array<string | null>(2 * capacity).fill(null);
  }

  /** Adds a vantage point with no votes; returns its index i (its slots are 2i and 2i + 1). */
  add(vp: VantagePoint): number {
    const i = this.vps.length;
    if (2 * (i + 1) * FIELDS > this.num.length) {
      const grown = new Float64Array(2 * this.num.length + 2 * FIELDS);
      grown.set(this.num);
      this.num = grown;
      for (let k = this.ranIns.length; k < grown.length / FIELDS; k++) this.ranIns.push(null);
    }
    this.vps.push(vp);
    return i;
  }

  has(s: number): boolean {
    return this.num[s * FIELDS + VERDICT] !== NO_VOTE;
  }

  receivedAt(s: number): number {
    return this.num[s * FIELDS + RECEIVED]!;
  }

  observedAt(s: number): number {
    return this.num[s * FIELDS + OBSERVED]!;
  }

  set(s: number, verdict: Verdict, failure: string | null, observedAt: number, receivedAt: number, latencyMs: number | null, ranIn: string | null): void {
    const o = s * FIELDS;
    const num = this.num;
    num[o + VERDICT] = verdictCode(verdict);
    num[o + FAILURE] = failureCode(failure);
    num[o + OBSERVED] = observedAt;
    num[o + RECEIVED] = receivedAt;
    num[o + LATENCY] = latencyMs ?? NaN;
    this.ranIns[s] = ranIn;
  }

  done(): VoteColumns {
    const slots = 2 * this.vps.length;
    const num = slots * FIELDS === this.num.length ? this.num : this.num.slice(0, slots * FIELDS);
    const ranIns = slots === this.ranIns.length ? this.ranIns : this.ranIns.slice(0, slots);
    return VoteColumns.fromParts(this.vps, num, ranIns);
  }
}
