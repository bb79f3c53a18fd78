/** Frozen copy of core/engine/votes.ts before the issue 13 speed-up: the oracle of test/engine/fast-path.test.ts. Do not optimise. */
/**
 * Counting votes. Merging keeps, per vantage point and target, the vote received last by the
 * coordinator's clock (then newest by the VP's clock, then by content), a max over a total order,
 * so the result does not depend on arrival order and no time written inside a body can outrank a
 * later honest vote. Freshness is judged by the receive time too, and an observation whose
 * `observedAt` lies outside [receivedAt - freshness window, receivedAt + MAX_OBSERVATION_SKEW_MS]
 * is refused: a replayed or back-dated result cannot count as fresh.
 */
import { TARGET_ROLES, type Observation, type TargetRole, type UnixMs, type VantagePoint } from '#core/model.ts';
import type { Evidence, EvidenceVote, TallyCounts } from '#core/engine/evidence.ts';
import type { Policy } from '#core/engine/policy.ts';
import type { Vote, VoteBook, VoteEntry } from '#core/engine/state.ts';

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

function indexOfVp(book: readonly VoteEntry[], vp: string, hint: number): number {
  // A batch holds one VP's results together: try where the last observation went first.
  if (hint < book.length && book[hint]!.vantagePoint === vp) return hint;
  for (let i = 0; i < book.length; i++) if (book[i]!.vantagePoint === vp) return i;
  return -1;
}

/**
 * Returns a new vote book with the observations merged in (the book itself is not changed).
 * Observations with a refused time (refuseObservationTime) are left out.
 */
export function mergeVotes(book: VoteBook, observations: readonly Observation[], policy: Policy): VoteBook {
  if (observations.length === 0) return book;
  const next: VoteEntry[] = book.slice();
  // Entries created by this merge may be changed in place; the caller's entries never are.
  const own: boolean[] = new Array<boolean>(next.length).fill(false);
  let hint = 0;
  for (const o of observations) {
    if (refuseObservationTime(o, policy) !== null) continue;
    let i = indexOfVp(next, o.vantagePoint, hint);
    if (i < 0) {
      i = 0;
      while (i < next.length && next[i]!.vantagePoint < o.vantagePoint) i++;
      next.splice(i, 0, { vantagePoint: o.vantagePoint, primary: null, secondary: null });
      own.splice(i, 0, true);
    }
    hint = i;
    const existing = next[i]![o.target];
    if (existing !== null && !beats(o, existing)) continue;
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

/** Judges one target: overall quorum plus agreement of every provider that has enough fresh votes. */
export function judge(book: VoteBook, target: TargetRole, now: UnixMs, policy: Policy): Judgement {
  const byProvider = new Map<string, VoteEntry[]>();
  for (const entry of book) {
    const p = providerOf(entry.vantagePoint);
    const list = byProvider.get(p);
    if (list) list.push(entry);
    else byProvider.set(p, [entry]);
  }
  const providers: ProviderJudgement[] = [...byProvider.keys()].sort().map((provider) => {
    const t = tally(byProvider.get(provider)!, target, now, policy);
    return { provider, tally: t, verdict: providerVerdict(t, policy) };
  });
  const all = tally(book, target, now, policy);
  const agree = (v: ProviderVerdict) => providers.every((p) => p.verdict === null || p.verdict === v);
  const saysUnhealthy = providers.some((p) => p.verdict === 'unhealthy');
  return {
    tally: all,
    providers,
    unhealthy: quorumUnhealthy(all, policy) && agree('unhealthy'),
    healthy: quorumHealthy(all, policy) && agree('healthy'),
    disagree: saysUnhealthy && providers.some((p) => p.verdict !== null && p.verdict !== 'unhealthy'),
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
