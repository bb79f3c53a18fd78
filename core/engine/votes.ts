/**
 * Counting votes. Merging keeps, per vantage point and target, the vote that is newest by the
 * VP's own clock (a VP's clock orders its own votes correctly whatever its skew), so the result
 * does not depend on arrival order. Freshness is judged by the coordinator's receive time, so a
 * VP whose clock is off can neither keep its votes alive nor age them early.
 */
import type { Observation, TargetRole, UnixMs, VantagePoint } from '../model.ts';
import type { Evidence, EvidenceVote, TallyCounts } from './actions.ts';
import type { Policy } from './policy.ts';
import type { Vote, VoteBook } from './state.ts';

const VERDICT_RANK = { healthy: 0, abstain: 1, unhealthy: 2 } as const;

export function isFresh(vote: Vote, now: UnixMs, policy: Policy): boolean {
  return now - vote.receivedAt <= policy.freshForMs;
}

/**
 * A total order on one VP's votes, so that merging is a max and so commutative: a fresh vote
 * beats a stale one (a VP whose clock jumped backwards is heard again once its old vote ages
 * out), then the newest by the VP's own clock, then ties broken on content, never on arrival.
 */
function beats(a: Vote, b: Vote, now: UnixMs, policy: Policy): boolean {
  const freshA = isFresh(a, now, policy);
  if (freshA !== isFresh(b, now, policy)) return freshA;
  if (a.observedAt !== b.observedAt) return a.observedAt > b.observedAt;
  if (a.receivedAt !== b.receivedAt) return a.receivedAt > b.receivedAt;
  if (a.verdict !== b.verdict) return VERDICT_RANK[a.verdict] > VERDICT_RANK[b.verdict];
  if ((a.failure ?? '') !== (b.failure ?? '')) return (a.failure ?? '') > (b.failure ?? '');
  if ((a.latencyMs ?? -1) !== (b.latencyMs ?? -1)) return (a.latencyMs ?? -1) > (b.latencyMs ?? -1);
  return (a.ranIn ?? '') > (b.ranIn ?? '');
}

function toVote(o: Observation): Vote {
  const vote: { -readonly [K in keyof Vote]: Vote[K] } = { verdict: o.verdict, observedAt: o.observedAt, receivedAt: o.receivedAt };
  if (o.failure !== undefined) vote.failure = o.failure;
  if (o.latencyMs !== undefined) vote.latencyMs = o.latencyMs;
  if (o.ranIn !== undefined) vote.ranIn = o.ranIn;
  return vote;
}

/** Returns a new vote book with the observations merged in (the book itself is not changed). */
export function mergeVotes(book: VoteBook, observations: readonly Observation[], now: UnixMs, policy: Policy): VoteBook {
  if (observations.length === 0) return book;
  const next: VoteBook = { ...book };
  const copied = new Set<VantagePoint>();
  for (const o of observations) {
    const existing = next[o.vantagePoint]?.[o.target];
    const vote = toVote(o);
    if (existing && !beats(vote, existing, now, policy)) continue;
    if (!copied.has(o.vantagePoint)) {
      next[o.vantagePoint] = { ...next[o.vantagePoint] };
      copied.add(o.vantagePoint);
    }
    next[o.vantagePoint]![o.target] = vote;
  }
  return next;
}

export function tally(book: VoteBook, target: TargetRole, now: UnixMs, policy: Policy): TallyCounts {
  let healthy = 0;
  let unhealthy = 0;
  let abstain = 0;
  let stale = 0;
  for (const vp in book) {
    const vote = book[vp as VantagePoint]?.[target];
    if (!vote) continue;
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
  for (const vp of Object.keys(book).sort() as VantagePoint[]) {
    for (const target of ['primary', 'secondary'] as const) {
      const v = book[vp]?.[target];
      if (!v) continue;
      votes.push({
        vantagePoint: vp, target, verdict: v.verdict, fresh: isFresh(v, now, policy),
        observedAt: v.observedAt, receivedAt: v.receivedAt, ...(v.failure ? { failure: v.failure } : {}),
      });
    }
  }
  return {
    tally: { primary: tally(book, 'primary', now, policy), secondary: tally(book, 'secondary', now, policy) },
    votes,
  };
}
