/**
 * Counting votes. Merging keeps, per vantage point and target, the vote that is newest by the
 * VP's own clock (a VP's clock orders its own votes correctly whatever its skew), so the result
 * does not depend on arrival order. Freshness is judged by the coordinator's receive time, so a
 * VP whose clock is off can neither keep its votes alive nor age them early.
 */
import type { Observation, TargetRole, UnixMs } from '../model.ts';
import type { Evidence, EvidenceVote, TallyCounts } from './actions.ts';
import type { Policy } from './policy.ts';
import type { Vote, VoteBook, VoteEntry } from './state.ts';

const VERDICT_RANK = { healthy: 0, abstain: 1, unhealthy: 2 } as const;

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
 * A total order on one VP's votes, so that merging is a max and so commutative: a fresh vote
 * beats a stale one (a VP whose clock jumped backwards is heard again once its old vote ages
 * out), then the newest by the VP's own clock, then ties broken on content, never on arrival.
 */
function beats(a: VoteLike, b: Vote, now: UnixMs, policy: Policy): boolean {
  const freshA = isFresh(a, now, policy);
  if (freshA !== isFresh(b, now, policy)) return freshA;
  if (a.observedAt !== b.observedAt) return a.observedAt > b.observedAt;
  if (a.receivedAt !== b.receivedAt) return a.receivedAt > b.receivedAt;
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

function indexOfVp(book: readonly VoteEntry[], vp: string, hint: number): number {
  // A batch holds one VP's results together: try where the last observation went first.
  if (hint < book.length && book[hint]!.vantagePoint === vp) return hint;
  for (let i = 0; i < book.length; i++) if (book[i]!.vantagePoint === vp) return i;
  return -1;
}

/** Returns a new vote book with the observations merged in (the book itself is not changed). */
export function mergeVotes(book: VoteBook, observations: readonly Observation[], now: UnixMs, policy: Policy): VoteBook {
  if (observations.length === 0) return book;
  const next: VoteEntry[] = book.slice();
  // Entries created by this merge may be changed in place; the caller's entries never are.
  const own: boolean[] = new Array<boolean>(next.length).fill(false);
  let hint = 0;
  for (const o of observations) {
    let i = indexOfVp(next, o.vantagePoint, hint);
    if (i < 0) {
      i = 0;
      while (i < next.length && next[i]!.vantagePoint < o.vantagePoint) i++;
      next.splice(i, 0, { vantagePoint: o.vantagePoint, primary: null, secondary: null });
      own.splice(i, 0, true);
    }
    hint = i;
    const existing = next[i]![o.target];
    if (existing !== null && !beats(o, existing, now, policy)) continue;
    if (!own[i]) {
      const e = next[i]!;
      next[i] = { vantagePoint: e.vantagePoint, primary: e.primary, secondary: e.secondary };
      own[i] = true;
    }
    (next[i] as MutableEntry)[o.target] = toVote(o);
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

/** The evidence behind a decision: every vote, fresh or not, sorted for stable output. */
export function evidenceOf(book: VoteBook, now: UnixMs, policy: Policy): Evidence {
  const votes: EvidenceVote[] = [];
  for (const entry of book) {
    for (const target of ['primary', 'secondary'] as const) {
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
