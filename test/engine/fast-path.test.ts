/**
 * The engine's hot path (issue 13) gives exactly what it gave before it was made cheap: every
 * function is checked against a frozen copy of the old code (test/engine/reference/) on random
 * books, observations and gray buckets, output compared as JSON (so key order counts too).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FailureKind, Observation, TargetRole, Verdict, VantagePoint } from '#core/model.ts';
import { evidenceOf, evidenceOfColumns, hasFreshVote, judge, judgeColumns, mergeColumns, mergeVotes, tally, tallyColumns } from '#core/engine/votes.ts';
import { VoteColumns } from '#core/engine/columns.ts';
import { columnsOf, withColumns } from '#core/engine/state-columns.ts';
import { evaluate } from '#core/engine/decide.ts';
import { initialServiceState, type ServiceState } from '#core/engine/state.ts';
import { grayVerdict, recordVotes } from '#core/engine/gray.ts';
import type { GrayState, VoteBook } from '#core/engine/state.ts';
import * as ref from './reference/votes.ts';
import * as refGray from './reference/gray.ts';
import { policy } from './helpers.ts';

const T0 = 1_700_000_000_000;
const VPS: VantagePoint[] = ['aws:us-east-1', 'aws:us-east-2', 'aws:eu-west-1', 'cloudflare:wnam', 'cloudflare:weur', 'local:lab', 'aws:ap-south-1'];
const observation: fc.Arbitrary<Observation> = fc.record({
  vp: fc.constantFrom(...VPS),
  target: fc.constantFrom<TargetRole>('primary', 'secondary'),
  verdict: fc.constantFrom<Verdict>('healthy', 'unhealthy', 'abstain'),
  observed: fc.integer({ min: -100_000, max: 80_000 }),
  received: fc.integer({ min: -60_000, max: 0 }),
  failure: fc.option(fc.constantFrom<FailureKind>('timeout', 'status', 'dns'), { nil: undefined }),
  latencyMs: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  ranIn: fc.option(fc.constantFrom('us-east-1', 'wnam'), { nil: undefined }),
}).map((o) => ({
  service: 'svc.example.com', target: o.target, vantagePoint: o.vp, verdict: o.verdict,
  // Coarse times so that ties (same receivedAt, same observedAt) are common.
  observedAt: T0 + Math.round(o.observed / 20_000) * 20_000, receivedAt: T0 + Math.round(o.received / 20_000) * 20_000,
  ...(o.failure ? { failure: o.failure } : {}), ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}), ...(o.ranIn ? { ranIn: o.ranIn } : {}),
}));
const batches = fc.array(fc.array(observation, { maxLength: 20 }), { maxLength: 4 });
// The same, at one time: every tie is broken on content (verdict, failure, latency, ranIn).
const tiedBatches = fc.array(fc.array(observation.map((o) => ({ ...o, observedAt: T0, receivedAt: T0 })), { maxLength: 20 }), { maxLength: 4 });
const policies = fc.record({ providerMinVotes: fc.integer({ min: 1, max: 3 }), degradedFailureRate: fc.constantFrom(0, 0.3, 0.5) })
  .map((p) => policy({ providerMinVotes: p.providerMinVotes, degradedFailureRate: p.degradedFailureRate, degradedWindowSeconds: 60 }));
const json = (x: unknown) => JSON.stringify(x);

describe('engine fast path = the code before it (issue 13)', () => {
  it('mergeVotes, tally, judge and evidenceOf', () => {
    fc.assert(fc.property(batches, policies, fc.integer({ min: -30_000, max: 60_000 }), (rounds, p, nowOffset) => {
      let book: VoteBook = [];
      let oldBook: VoteBook = [];
      for (const observations of rounds) {
        book = mergeVotes(book, observations, p);
        oldBook = ref.mergeVotes(oldBook, observations, p);
        expect(json(book)).toBe(json(oldBook));
      }
      const now = T0 + nowOffset;
      for (const target of ['primary', 'secondary'] as const) {
        expect(json(tally(book, target, now, p))).toBe(json(ref.tally(oldBook, target, now, p)));
        expect(json(judge(book, target, now, p))).toBe(json(ref.judge(oldBook, target, now, p)));
      }
      expect(json(evidenceOf(book, now, p))).toBe(json(ref.evidenceOf(oldBook, now, p)));
    }), { numRuns: 400 });
  });

  it('the columnar book: merge, judge, tally and evidence on columns, and the book built from them', () => {
    fc.assert(fc.property(fc.oneof(batches, tiedBatches), policies, fc.integer({ min: -30_000, max: 60_000 }), (rounds, p, nowOffset) => {
      let columns = VoteColumns.EMPTY;
      let oldBook: VoteBook = [];
      for (const observations of rounds) {
        const before = json(columns.toBook());
        const next = mergeColumns(columns, observations, p);
        expect(json(columns.toBook())).toBe(before); // never changed in place
        columns = next;
        oldBook = ref.mergeVotes(oldBook, observations, p);
        expect(json(columns.toBook())).toBe(json(oldBook));
        // And back: a book read into columns gives the same book.
        expect(json(VoteColumns.fromBook(oldBook).toBook())).toBe(json(oldBook));
      }
      const now = T0 + nowOffset;
      for (const target of ['primary', 'secondary'] as const) {
        expect(json(tallyColumns(columns, target, now, p))).toBe(json(ref.tally(oldBook, target, now, p)));
        expect(json(judgeColumns(columns, target, now, p))).toBe(json(ref.judge(oldBook, target, now, p)));
      }
      expect(json(evidenceOfColumns(columns, now, p))).toBe(json(ref.evidenceOf(oldBook, now, p)));
      const fresh = oldBook.some((e) => [e.primary, e.secondary].some((v) => v !== null && now - v.receivedAt <= p.freshForMs));
      expect(hasFreshVote(columns, now, p)).toBe(fresh);
    }), { numRuns: 400 });
  });

  it('evaluate on columns decides as on the stored book: its state, read back as JSON, evaluates the same', () => {
    fc.assert(fc.property(batches, policies, (rounds, p) => {
      let lazy: ServiceState = initialServiceState('svc.example.com');
      let plain: ServiceState = lazy;
      let book: VoteBook = [];
      rounds.forEach((observations, i) => {
        const now = T0 + i * 5_000;
        const a = evaluate({ state: lazy, observations, overrides: [], now, policy: p });
        // The other one always starts from the stored shape (a JSON round trip): no columns to reuse.
        const b = evaluate({ state: JSON.parse(json(plain)) as ServiceState, observations, overrides: [], now, policy: p });
        expect(json(a)).toBe(json(b));
        book = ref.mergeVotes(book, observations, p);
        expect(json(a.state.votes)).toBe(json(book));
        expect(json({ ...a.state })).toBe(json(a.state));
        lazy = a.state;
        plain = b.state;
      });
    }), { numRuns: 200 });
  });

  it('a stored book keeps what columns do not make: an entry with no vote, a failure name of a later version', () => {
    const stored: VoteBook = [
      { vantagePoint: 'aws:us-east-1', primary: null, secondary: null },
      { vantagePoint: 'aws:us-west-2', primary: { verdict: 'unhealthy', observedAt: T0, receivedAt: T0, failure: 'quantum' as never, latencyMs: 0, ranIn: 'x' }, secondary: null },
    ];
    expect(VoteColumns.fromBook(stored).toBook()).toEqual(stored);
    const state = withColumns({ ...initialServiceState('svc.example.com'), votes: stored }, VoteColumns.fromBook(stored));
    expect(Object.keys(state)).toEqual(Object.keys(initialServiceState('svc.example.com')));
    expect(state.votes).toEqual(stored);
    expect(state.votes).toBe(state.votes); // built once
    expect(columnsOf(state).toBook()).toEqual(stored);
  });

  it('mergeVotes never changes the book it is given', () => {
    fc.assert(fc.property(batches, policies, (rounds, p) => {
      let book: VoteBook = [];
      for (const observations of rounds) {
        const frozen = json(book);
        const next = mergeVotes(book, observations, p);
        expect(json(book)).toBe(frozen);
        book = next;
      }
    }), { numRuns: 200 });
  });

  it('recordVotes and grayVerdict', () => {
    fc.assert(fc.property(batches, policies, fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 4, maxLength: 4 }), (rounds, p, steps) => {
      let gray: GrayState = { buckets: [], degradedSince: null };
      let oldGray: GrayState = gray;
      let now = T0;
      rounds.forEach((observations, i) => {
        now += steps[i]! * 5_000;
        const moved = observations.map((o) => ({ ...o, observedAt: o.observedAt - T0 + now, receivedAt: o.receivedAt - T0 + now }));
        gray = recordVotes(gray, moved, now, p);
        oldGray = refGray.recordVotes(oldGray, moved, now, p);
        expect(json(gray)).toBe(json(oldGray));
        expect(json(grayVerdict(gray, now, p))).toBe(json(refGray.grayVerdict(oldGray, now, p)));
      });
    }), { numRuns: 400 });
  });
});
