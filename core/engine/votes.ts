/**
 * Counting votes. Merging keeps, per vantage point and target, the vote received last by the
 * coordinator's clock (then newest by the VP's clock, then by content), a max over a total order,
 * so the result does not depend on arrival order and no time written inside a body can outrank a
 * later honest vote. Freshness is judged by the receive time too, and an observation whose
 * `observedAt` lies outside [receivedAt - freshness window, receivedAt + MAX_OBSERVATION_SKEW_MS]
 * is refused: a replayed or back-dated result cannot count as fresh.
 */
import { TARGET_ROLES, type Observation, type TargetRole, type UnixMs, type VantagePoint, type Verdict } from '../model.ts';
import { HEALTHY, NO_VOTE, targetIndex, UNHEALTHY, VoteColumns } from './columns.ts';
import type { Evidence, EvidenceVote, TallyCounts } from './evidence.ts';
import type { Policy } from './policy.ts';
import type { Vote, VoteBook } from './state.ts';

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

/**
 * Returns a new vote book with the observations merged in (the book itself is not changed): per
 * vantage point and target, the vote received last, then observed last, then by content
 * (VoteColumns.merge). Observations with a refused time (refuseObservationTime) are left out.
 * The engine merges into columns (core/engine/columns.ts); this is the same on the stored shape.
 */
export function mergeVotes(book: VoteBook, observations: readonly Observation[], policy: Policy): VoteBook {
  if (observations.length === 0) return book;
  const columns = VoteColumns.fromBook(book);
  const merged = columns.merge(observations, policy, MAX_OBSERVATION_SKEW_MS);
  return merged === columns ? book : merged.toBook();
}

/** Merges observations into a columnar book: mergeVotes without building a `Vote`. */
export function mergeColumns(columns: VoteColumns, observations: readonly Observation[], policy: Policy): VoteColumns {
  return columns.merge(observations, policy, MAX_OBSERVATION_SKEW_MS);
}

export function tally(book: VoteBook, target: TargetRole, now: UnixMs, policy: Policy): TallyCounts {
  return tallyColumns(VoteColumns.fromBook(book), target, now, policy);
}

export function tallyColumns(columns: VoteColumns, target: TargetRole, now: UnixMs, policy: Policy): TallyCounts {
  let healthy = 0;
  let unhealthy = 0;
  let abstain = 0;
  let stale = 0;
  const freshFor = policy.freshForMs;
  for (let s = targetIndex(target); s < 2 * columns.size; s += 2) {
    const v = columns.verdictAt(s);
    if (v === NO_VOTE) continue;
    if (!(now - columns.receivedAt(s) <= freshFor)) stale++;
    else if (v === HEALTHY) healthy++;
    else if (v === UNHEALTHY) unhealthy++;
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

/** The providers of a list of vantage points, sorted by name, and each vantage point's among them. */
interface ProviderIndex {
  readonly names: readonly string[];
  readonly of: Int32Array;
}

/** Vantage point lists are shared between books (columns.ts), so this is worked out once per list. */
const providerIndexes = new WeakMap<readonly string[], ProviderIndex>();

function providerIndexOf(vps: readonly VantagePoint[]): ProviderIndex {
  let index = providerIndexes.get(vps);
  if (index) return index;
  const names = [...new Set(vps.map(providerOf))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const of = new Int32Array(vps.length);
  for (let i = 0; i < vps.length; i++) of[i] = names.indexOf(providerOf(vps[i]!));
  index = { names, of };
  providerIndexes.set(vps, index);
  return index;
}

/** Judges one target: overall quorum plus agreement of every provider that has enough fresh votes. */
export function judge(book: VoteBook, target: TargetRole, now: UnixMs, policy: Policy): Judgement {
  return judgeColumns(VoteColumns.fromBook(book), target, now, policy);
}

/**
 * judge on a columnar book. One pass, counting per provider in a flat array (4 counters each:
 * healthy, unhealthy, abstain, stale), as it runs twice per service on every evaluation. Every
 * provider with a vantage point in the book is listed, voting or not, sorted by name.
 */
export function judgeColumns(columns: VoteColumns, target: TargetRole, now: UnixMs, policy: Policy): Judgement {
  const { names, of } = providerIndexOf(columns.vps);
  const counts = new Array<number>(4 * names.length).fill(0);
  const freshFor = policy.freshForMs;
  const t = targetIndex(target);
  for (let i = 0; i < columns.size; i++) {
    const s = 2 * i + t;
    const v = columns.verdictAt(s);
    if (v === NO_VOTE) continue;
    const p = 4 * of[i]!;
    if (!(now - columns.receivedAt(s) <= freshFor)) counts[p + 3]!++;
    else if (v === HEALTHY) counts[p]!++;
    else if (v === UNHEALTHY) counts[p + 1]!++;
    else counts[p + 2]!++;
  }
  let healthy = 0;
  let unhealthy = 0;
  let abstain = 0;
  let stale = 0;
  const providers: ProviderJudgement[] = new Array<ProviderJudgement>(names.length);
  let allUnhealthy = true;
  let allHealthy = true;
  let saysUnhealthy = false;
  let saysOther = false;
  for (let j = 0; j < names.length; j++) {
    const pt = tallyOf(counts[4 * j]!, counts[4 * j + 1]!, counts[4 * j + 2]!, counts[4 * j + 3]!);
    healthy += pt.healthy;
    unhealthy += pt.unhealthy;
    abstain += pt.abstain;
    stale += pt.stale;
    const verdict = providerVerdict(pt, policy);
    providers[j] = { provider: names[j]!, tally: pt, verdict };
    if (verdict === null) continue;
    if (verdict !== 'unhealthy') { allUnhealthy = false; saysOther = true; } else saysUnhealthy = true;
    if (verdict !== 'healthy') allHealthy = false;
  }
  const all = tallyOf(healthy, unhealthy, abstain, stale);
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
  return evidenceOfColumns(VoteColumns.fromBook(book), now, policy);
}

export function evidenceOfColumns(columns: VoteColumns, now: UnixMs, policy: Policy): Evidence {
  const votes: EvidenceVote[] = [];
  const freshFor = policy.freshForMs;
  for (let i = 0; i < columns.size; i++) {
    for (let t = 0; t < 2; t++) {
      const s = 2 * i + t;
      const v = columns.verdictAt(s);
      if (v === NO_VOTE) continue;
      const receivedAt = columns.receivedAt(s);
      const failure = columns.failureAt(s);
      votes.push({
        vantagePoint: columns.vps[i]!, target: TARGET_ROLES[t]!, verdict: VERDICTS_BY_CODE[v]!, fresh: now - receivedAt <= freshFor,
        observedAt: columns.observedAt(s), receivedAt, ...(failure ? { failure } : {}),
      });
    }
  }
  return {
    tally: { primary: tallyColumns(columns, 'primary', now, policy), secondary: tallyColumns(columns, 'secondary', now, policy) },
    votes,
  };
}

/** Whether any vote in the book is fresh. */
export function hasFreshVote(columns: VoteColumns, now: UnixMs, policy: Policy): boolean {
  for (let s = 0; s < 2 * columns.size; s++) if (columns.verdictAt(s) !== NO_VOTE && now - columns.receivedAt(s) <= policy.freshForMs) return true;
  return false;
}

const VERDICTS_BY_CODE: readonly Verdict[] = ['healthy', 'healthy', 'abstain', 'unhealthy'];
