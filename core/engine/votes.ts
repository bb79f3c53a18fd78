/**
 * Counting votes. Merging keeps, per vantage point and target, the vote received last by the
 * coordinator's clock (then newest by the VP's clock, then by content), a max over a total order,
 * so the result does not depend on arrival order and no time written inside a body can outrank a
 * later honest vote. Freshness is judged by the receive time too, and an observation whose
 * `observedAt` lies outside [receivedAt - freshness window, receivedAt + MAX_OBSERVATION_SKEW_MS]
 * is refused: a replayed or back-dated result cannot count as fresh.
 */
import { TARGET_ROLES, type Observation, type TargetRole, type UnixMs, type VantagePoint } from '../model.ts';
import type { Evidence, EvidenceVote, TallyCounts } from './evidence.ts';
import type { Policy } from './policy.ts';
import type { Vote, VoteBook, VoteEntry } from './state.ts';

const VERDICT_RANK = { healthy: 0, abstain: 1, unhealthy: 2 } as const;

/**
 * How far ahead of the coordinator's clock an `observedAt` may lie. Probe clocks are NTP-synced
 * (well under 1 s apart); 60 s tolerates a badly drifting one, and is far below any time that
 * could outlive the freshness window.
 */
export const MAX_OBSERVATION_SKEW_MS = 60_000;

export type TimeRefusal = 'observedAt too old' | 'observedAt in the future';

/** Why an observation's time is refused, or null when it is in range (see the module comment). */
export function refuseObservationTime(o: Pick<Observation, 'observedAt' | 'receivedAt'>, policy: Policy): TimeRefusal | null {
  if (o.observedAt > o.receivedAt + MAX_OBSERVATION_SKEW_MS) return 'observedAt in the future';
  if (o.observedAt < o.receivedAt - policy.freshForMs) return 'observedAt too old';
  return null;
}

/** The provider of a vantage point: the part before `:` (`aws`, `cloudflare`). */
export function providerOf(vp: VantagePoint): string {
  return vp.slice(0, vp.indexOf(':'));
}

export function isFresh(vote: Pick<Vote, 'receivedAt'>, now: UnixMs, policy: Policy): boolean {
  return now - vote.receivedAt <= policy.freshForMs;
}

/** A vote, or an observation about to become one (optional fields may be absent). */
type VoteLike = Pick<Vote, 'verdict' | 'observedAt' | 'receivedAt'> & {
  readonly failure?: Vote['failure'] | undefined;
  readonly latencyMs?: Vote['latencyMs'] | undefined;
  readonly ranIn?: Vote['ranIn'] | undefined;
};

/**
 * A total order on one VP's votes, so that merging is a max and so commutative: the latest
 * received by the coordinator's clock, then the newest by the VP's own clock, then ties broken on
 * content, never on arrival.
 */
function beats(a: VoteLike, b: Vote): boolean {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt > b.receivedAt;
  if (a.observedAt !== b.observedAt) return a.observedAt > b.observedAt;
  if (a.verdict !== b.verdict) return VERDICT_RANK[a.verdict] > VERDICT_RANK[b.verdict];
  const fa = a.failure ?? null;
  if (fa !== b.failure) return (fa ?? '') > (b.failure ?? '');
  const la = a.latencyMs ?? null;
  if (la !== b.latencyMs) return (la ?? -1) > (b.latencyMs ?? -1);
  return (a.ranIn ?? '') > (b.ranIn ?? '');
}

function toVote(o: Observation): Vote {
  return {
    verdict: o.verdict, observedAt: o.observedAt, receivedAt: o.receivedAt,
    failure: o.failure ?? null, latencyMs: o.latencyMs ?? null, ranIn: o.ranIn ?? null,
  };
}

type MutableEntry = { -readonly [K in keyof VoteEntry]: VoteEntry[K] };

/**
 * Where `vp` sits in a book sorted by vantage point (mergeVotes, the ledger's bookOf and
 * mergeBooks keep it so): the hint first, as a batch holds one VP's results together, then the
 * next entry, then a binary search. A book that is not sorted (never written by this code) still
 * gets the plain scan.
 */
function indexOfVp(book: readonly VoteEntry[], vp: string, hint: number): number {
  const n = book.length;
  if (hint < n && book[hint]!.vantagePoint === vp) return hint;
  if (hint + 1 < n && book[hint + 1]!.vantagePoint === vp) return hint + 1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (book[mid]!.vantagePoint < vp) lo = mid + 1;
    else hi = mid;
  }
  if (lo < n && book[lo]!.vantagePoint === vp) return lo;
  for (let i = 0; i < n; i++) if (book[i]!.vantagePoint === vp) return i;
  return -1;
}

/**
 * Returns a new vote book with the observations merged in (the book itself is not changed).
 * Observations with a refused time (refuseObservationTime) are left out.
 * Hot path (a whole round is 480,000 observations at 10,000 services x 24 VPs): no closures,
 * and one new object per vote kept and per entry changed, nothing else per observation.
 */
export function mergeVotes(book: VoteBook, observations: readonly Observation[], policy: Policy): VoteBook {
  if (observations.length === 0) return book;
  const next: VoteEntry[] = book.slice();
  // Entries created by this merge may be changed in place; the caller's entries never are.
  let own: boolean[] | null = null;
  let hint = 0;
  const maxObserved = MAX_OBSERVATION_SKEW_MS;
  const freshFor = policy.freshForMs;
  for (let k = 0; k < observations.length; k++) {
    const o = observations[k]!;
    // refuseObservationTime, inline.
    if (o.observedAt > o.receivedAt + maxObserved || o.observedAt < o.receivedAt - freshFor) continue;
    const vp = o.vantagePoint;
    let i = indexOfVp(next, vp, hint);
    if (i < 0) {
      i = 0;
      while (i < next.length && next[i]!.vantagePoint < vp) i++;
      next.splice(i, 0, { vantagePoint: vp, primary: null, secondary: null });
      own ??= new Array<boolean>(next.length - 1).fill(false);
      own.splice(i, 0, true);
    }
    hint = i;
    const target = o.target;
    const existing = next[i]![target];
    if (existing !== null && !beats(o, existing)) continue;
    own ??= new Array<boolean>(next.length).fill(false);
    if (!own[i]) {
      const e = next[i]!;
      next[i] = { vantagePoint: e.vantagePoint, primary: e.primary, secondary: e.secondary };
      own[i] = true;
    }
    (next[i] as MutableEntry)[target] = toVote(o);
  }
  return next;
}

export function tally(book: VoteBook, target: TargetRole, now: UnixMs, policy: Policy): TallyCounts {
  let healthy = 0;
  let unhealthy = 0;
  let abstain = 0;
  let stale = 0;
  for (let i = 0; i < book.length; i++) {
    const vote = book[i]![target];
    if (vote === null) continue;
    if (!isFresh(vote, now, policy)) stale++;
    else if (vote.verdict === 'healthy') healthy++;
    else if (vote.verdict === 'unhealthy') unhealthy++;
    else abstain++;
  }
  return { healthy, unhealthy, abstain, stale, fresh: healthy + unhealthy };
}

/** At least minVotes of the given side, and more than quorumFraction of all fresh votes. */
function quorum(count: number, t: TallyCounts, policy: Policy): boolean {
  return count >= policy.minVotes && count > policy.quorumFraction * t.fresh;
}

export const quorumUnhealthy = (t: TallyCounts, policy: Policy): boolean => quorum(t.unhealthy, t, policy);
export const quorumHealthy = (t: TallyCounts, policy: Policy): boolean => quorum(t.healthy, t, policy);

/** A provider's own verdict on a target: `split` when neither side has more than quorumFraction. */
export type ProviderVerdict = 'healthy' | 'unhealthy' | 'split';

export interface ProviderJudgement {
  readonly provider: string;
  readonly tally: TallyCounts;
  /** null: fewer than providerMinVotes fresh votes, so this provider neither judges nor blocks. */
  readonly verdict: ProviderVerdict | null;
}

/** A target judged across providers: what every automatic change rests on. */
export interface Judgement {
  readonly tally: TallyCounts;
  /** Every provider that has a vote in the book, sorted by name. */
  readonly providers: readonly ProviderJudgement[];
  /** minVotes and > quorumFraction unhealthy overall, and every provider with a verdict says unhealthy. */
  readonly unhealthy: boolean;
  /** The same for healthy. */
  readonly healthy: boolean;
  /** One provider says unhealthy while another with a verdict does not: a veto, never silent. */
  readonly disagree: boolean;
}

function providerVerdict(t: TallyCounts, policy: Policy): ProviderVerdict | null {
  if (t.fresh < policy.providerMinVotes) return null;
  if (t.unhealthy > policy.quorumFraction * t.fresh) return 'unhealthy';
  if (t.healthy > policy.quorumFraction * t.fresh) return 'healthy';
  return 'split';
}

/** Whether `providerOf(vp) === provider`, without cutting a new string out of `vp`. */
export function isProviderOf(vp: string, provider: string): boolean {
  const colon = vp.indexOf(':');
  const end = colon < 0 ? Math.max(0, vp.length - 1) : colon; // providerOf's slice(0, -1) when there is no colon
  return end === provider.length && vp.startsWith(provider);
}

const tallyOf = (healthy: number, unhealthy: number, abstain: number, stale: number): TallyCounts =>
  ({ healthy, unhealthy, abstain, stale, fresh: healthy + unhealthy });

/**
 * Judges one target: overall quorum plus agreement of every provider that has enough fresh votes.
 * One pass over the book, counting per provider in a flat array (4 counters each: healthy,
 * unhealthy, abstain, stale), as it runs twice per service on every evaluation.
 */
export function judge(book: VoteBook, target: TargetRole, now: UnixMs, policy: Policy): Judgement {
  const names: string[] = [];
  const counts: number[] = [];
  let p = -1;
  for (let i = 0; i < book.length; i++) {
    const entry = book[i]!;
    const vp = entry.vantagePoint;
    if (p < 0 || !isProviderOf(vp, names[p]!)) {
      p = -1;
      for (let j = 0; j < names.length; j++) if (isProviderOf(vp, names[j]!)) { p = j; break; }
      if (p < 0) {
        p = names.length;
        names.push(providerOf(vp));
        counts.push(0, 0, 0, 0);
      }
    }
    const vote = entry[target];
    if (vote === null) continue;
    if (!isFresh(vote, now, policy)) counts[4 * p + 3]!++;
    else if (vote.verdict === 'healthy') counts[4 * p]!++;
    else if (vote.verdict === 'unhealthy') counts[4 * p + 1]!++;
    else counts[4 * p + 2]!++;
  }
  let healthy = 0;
  let unhealthy = 0;
  let abstain = 0;
  let stale = 0;
  const providers: ProviderJudgement[] = new Array<ProviderJudgement>(names.length);
  for (let j = 0; j < names.length; j++) {
    const t = tallyOf(counts[4 * j]!, counts[4 * j + 1]!, counts[4 * j + 2]!, counts[4 * j + 3]!);
    healthy += t.healthy;
    unhealthy += t.unhealthy;
    abstain += t.abstain;
    stale += t.stale;
    providers[j] = { provider: names[j]!, tally: t, verdict: providerVerdict(t, policy) };
  }
  if (providers.length > 1) providers.sort((a, b) => (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0));
  const all = tallyOf(healthy, unhealthy, abstain, stale);
  let allUnhealthy = true;
  let allHealthy = true;
  let saysUnhealthy = false;
  let saysOther = false;
  for (let j = 0; j < providers.length; j++) {
    const v = providers[j]!.verdict;
    if (v === null) continue;
    if (v !== 'unhealthy') { allUnhealthy = false; saysOther = true; } else saysUnhealthy = true;
    if (v !== 'healthy') allHealthy = false;
  }
  return {
    tally: all,
    providers,
    unhealthy: quorumUnhealthy(all, policy) && allUnhealthy,
    healthy: quorumHealthy(all, policy) && allHealthy,
    disagree: saysUnhealthy && saysOther,
  };
}

/** The evidence behind a decision: every vote, fresh or not, sorted for stable output. */
export function evidenceOf(book: VoteBook, now: UnixMs, policy: Policy): Evidence {
  const votes: EvidenceVote[] = [];
  for (const entry of book) {
    for (const target of TARGET_ROLES) {
      const v = entry[target];
      if (v === null) continue;
      votes.push({
        vantagePoint: entry.vantagePoint, target, verdict: v.verdict, fresh: isFresh(v, now, policy),
        observedAt: v.observedAt, receivedAt: v.receivedAt, ...(v.failure ? { failure: v.failure } : {}),
      });
    }
  }
  return {
    tally: { primary: tally(book, 'primary', now, policy), secondary: tally(book, 'secondary', now, policy) },
    votes,
  };
}
