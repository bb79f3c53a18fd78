/**
 * The vote book (core/engine/votes.ts), directly: which vote a merge keeps, when a vote is fresh,
 * and how votes are counted overall and per provider. Order-independence of merging is held by
 * properties in properties.test.ts; these pin down the individual rules.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_OBSERVATION_SKEW_MS, evidenceOf, isFresh, judge, mergeVotes, providerOf, quorumHealthy, quorumUnhealthy,
  refuseObservationTime, tally,
} from '#core/engine/votes.ts';
import type { VoteBook } from '#core/engine/state.ts';
import type { Observation, VantagePoint, Verdict } from '#core/model.ts';
import { obs, policy } from './helpers.ts';

const P = policy(); // interval 10 s, freshness 3 intervals, minVotes 3, providerMinVotes 2, quorum 2/3
const T0 = 1_700_000_000_000;

/** One primary vote per VP, received at `at`. */
const book = (votes: readonly [VantagePoint, Verdict][], at = T0): VoteBook =>
  mergeVotes([], votes.map(([vp, v]) => obs(vp, 'primary', v, at)), P);

describe('mergeVotes', () => {
  it('keeps, per vantage point and target, the vote received last by the coordinator', () => {
    const first = obs('aws:us-east-1', 'primary', 'healthy', T0, T0 + 1_000);
    const second = obs('aws:us-east-1', 'primary', 'unhealthy', T0 - 5_000, T0 + 2_000);
    // Received later wins even though it was observed earlier, in either arrival order.
    for (const order of [[first, second], [second, first]]) {
      const merged = mergeVotes([], order, P);
      expect(merged).toHaveLength(1);
      expect(merged[0]!.primary).toMatchObject({ verdict: 'unhealthy', receivedAt: T0 + 2_000, observedAt: T0 - 5_000, failure: 'timeout' });
      expect(merged[0]!.secondary).toBeNull();
    }
  });

  it('breaks a tie on receive time by the vantage point clock, then by content, never by arrival', () => {
    const older = obs('aws:us-east-1', 'primary', 'healthy', T0 - 1_000, T0);
    const newer = obs('aws:us-east-1', 'primary', 'healthy', T0, T0);
    expect(mergeVotes(mergeVotes([], [newer], P), [older], P)[0]!.primary!.observedAt).toBe(T0);
    expect(mergeVotes(mergeVotes([], [older], P), [newer], P)[0]!.primary!.observedAt).toBe(T0);
    const healthy = obs('aws:us-east-1', 'primary', 'healthy', T0, T0);
    const unhealthy = obs('aws:us-east-1', 'primary', 'unhealthy', T0, T0);
    expect(mergeVotes([], [healthy, unhealthy], P)[0]!.primary!.verdict).toBe('unhealthy');
    expect(mergeVotes([], [unhealthy, healthy], P)[0]!.primary!.verdict).toBe('unhealthy');
  });

  it('keeps each target separately, the book sorted by vantage point, and leaves the given book unchanged', () => {
    const start = book([['cloudflare:weur', 'healthy'], ['aws:us-east-1', 'healthy']]);
    const frozen = JSON.stringify(start);
    const next = mergeVotes(start, [
      obs('aws:eu-west-1', 'secondary', 'unhealthy', T0 + 1),
      obs('cloudflare:weur', 'primary', 'unhealthy', T0 + 1),
    ], P);
    expect(JSON.stringify(start)).toBe(frozen);
    expect(next.map((e) => e.vantagePoint)).toEqual(['aws:eu-west-1', 'aws:us-east-1', 'cloudflare:weur']);
    expect(next[0]).toMatchObject({ primary: null, secondary: { verdict: 'unhealthy' } });
    expect(next[2]).toMatchObject({ primary: { verdict: 'unhealthy' }, secondary: null });
    expect(mergeVotes(start, [], P)).toBe(start);
  });

  it('leaves out an observation whose time is outside the window around its receipt', () => {
    const tooOld: Observation = obs('aws:us-east-1', 'primary', 'unhealthy', T0 - P.freshForMs - 1, T0);
    const future: Observation = obs('aws:us-east-1', 'primary', 'unhealthy', T0 + MAX_OBSERVATION_SKEW_MS + 1, T0);
    const edge: Observation = obs('aws:eu-west-1', 'primary', 'unhealthy', T0 + MAX_OBSERVATION_SKEW_MS, T0);
    expect(refuseObservationTime(tooOld, P)).toBe('observedAt too old');
    expect(refuseObservationTime(future, P)).toBe('observedAt in the future');
    expect(refuseObservationTime(edge, P)).toBeNull();
    expect(mergeVotes([], [tooOld, future, edge], P).map((e) => e.vantagePoint)).toEqual(['aws:eu-west-1']);
  });
});

describe('freshness', () => {
  it('counts a vote for freshForMs after it was received, by the receive time alone', () => {
    const vote = { receivedAt: T0 };
    expect(isFresh(vote, T0 + P.freshForMs, P)).toBe(true);
    expect(isFresh(vote, T0 + P.freshForMs + 1, P)).toBe(false);
    expect(P.freshForMs).toBe(30_000);
  });
});

describe('tally', () => {
  it('counts fresh healthy, unhealthy and abstaining votes, and stale ones apart', () => {
    const b = mergeVotes([], [
      obs('aws:us-east-1', 'primary', 'healthy', T0),
      obs('aws:eu-west-1', 'primary', 'unhealthy', T0),
      obs('aws:ap-northeast-2', 'primary', 'abstain', T0),
      obs('cloudflare:weur', 'primary', 'unhealthy', T0 - 40_000, T0 - 40_000), // stale by now
      obs('cloudflare:apac', 'secondary', 'unhealthy', T0), // the other target
    ], P);
    expect(tally(b, 'primary', T0, P)).toEqual({ healthy: 1, unhealthy: 1, abstain: 1, stale: 1, fresh: 2 });
    expect(tally(b, 'secondary', T0, P)).toEqual({ healthy: 0, unhealthy: 1, abstain: 0, stale: 0, fresh: 1 });
    expect(tally([], 'primary', T0, P)).toEqual({ healthy: 0, unhealthy: 0, abstain: 0, stale: 0, fresh: 0 });
  });

  it('reaches quorum with at least minVotes and more than the quorum fraction of fresh votes', () => {
    const counts = (healthy: number, unhealthy: number) => ({ healthy, unhealthy, abstain: 0, stale: 0, fresh: healthy + unhealthy });
    expect(quorumUnhealthy(counts(1, 3), P)).toBe(true); // 3/4 > 2/3
    expect(quorumUnhealthy(counts(1, 2), P)).toBe(false); // below minVotes
    expect(quorumUnhealthy(counts(2, 4), P)).toBe(false); // exactly 2/3 is not more
    expect(quorumHealthy(counts(3, 0), P)).toBe(true);
    expect(quorumHealthy(counts(3, 2), P)).toBe(false);
  });
});

describe('judge, per provider', () => {
  it('tallies each provider apart and gives a verdict only with providerMinVotes fresh votes', () => {
    const j = judge(book([
      ['aws:us-east-1', 'unhealthy'], ['aws:eu-west-1', 'unhealthy'], ['aws:ap-northeast-2', 'unhealthy'],
      ['cloudflare:weur', 'healthy'],
    ]), 'primary', T0, P);
    expect(j.tally).toMatchObject({ healthy: 1, unhealthy: 3, fresh: 4 });
    expect(j.providers).toEqual([
      { provider: 'aws', tally: { healthy: 0, unhealthy: 3, abstain: 0, stale: 0, fresh: 3 }, verdict: 'unhealthy' },
      { provider: 'cloudflare', tally: { healthy: 1, unhealthy: 0, abstain: 0, stale: 0, fresh: 1 }, verdict: null },
    ]);
    // One Cloudflare vote is too few to judge, so it does not block: AWS alone may act.
    expect(j).toMatchObject({ unhealthy: true, healthy: false, disagree: false });
  });

  it('lets no provider act alone while the other has enough fresh votes to disagree, and says so', () => {
    const j = judge(book([
      ['aws:us-east-1', 'unhealthy'], ['aws:eu-west-1', 'unhealthy'], ['aws:ap-northeast-2', 'unhealthy'],
      ['aws:sa-east-1', 'unhealthy'], ['aws:ca-central-1', 'unhealthy'],
      ['cloudflare:weur', 'healthy'], ['cloudflare:apac', 'healthy'],
    ]), 'primary', T0, P);
    expect(j.tally.unhealthy / j.tally.fresh).toBeGreaterThan(2 / 3); // overall quorum holds...
    expect(j.providers.map((p) => [p.provider, p.verdict])).toEqual([['aws', 'unhealthy'], ['cloudflare', 'healthy']]);
    expect(j).toMatchObject({ unhealthy: false, healthy: false, disagree: true }); // ...but Cloudflare vetoes
  });

  it('calls a provider split when neither side has more than the quorum fraction', () => {
    const j = judge(book([['cloudflare:weur', 'healthy'], ['cloudflare:apac', 'unhealthy']]), 'primary', T0, P);
    expect(j.providers).toEqual([{ provider: 'cloudflare', tally: { healthy: 1, unhealthy: 1, abstain: 0, stale: 0, fresh: 2 }, verdict: 'split' }]);
    expect(providerOf('cloudflare:weur')).toBe('cloudflare');
  });

  it('ignores stale votes in every provider tally', () => {
    const b = mergeVotes([], [
      obs('aws:us-east-1', 'primary', 'unhealthy', T0 - 40_000, T0 - 40_000),
      obs('aws:eu-west-1', 'primary', 'unhealthy', T0 - 40_000, T0 - 40_000),
    ], P);
    expect(judge(b, 'primary', T0, P).providers).toEqual([
      { provider: 'aws', tally: { healthy: 0, unhealthy: 0, abstain: 0, stale: 2, fresh: 0 }, verdict: null },
    ]);
  });
});

describe('evidenceOf', () => {
  it('lists every vote with its freshness, and the tally of both targets', () => {
    const b = mergeVotes([], [
      obs('aws:us-east-1', 'primary', 'unhealthy', T0),
      obs('aws:us-east-1', 'secondary', 'healthy', T0 - 40_000, T0 - 40_000),
    ], P);
    const e = evidenceOf(b, T0, P);
    expect(e.votes).toEqual([
      { vantagePoint: 'aws:us-east-1', target: 'primary', verdict: 'unhealthy', fresh: true, observedAt: T0, receivedAt: T0, failure: 'timeout' },
      { vantagePoint: 'aws:us-east-1', target: 'secondary', verdict: 'healthy', fresh: false, observedAt: T0 - 40_000, receivedAt: T0 - 40_000 },
    ]);
    expect(e.tally.primary.unhealthy).toBe(1);
    expect(e.tally.secondary.stale).toBe(1);
  });
});
