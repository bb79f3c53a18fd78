/**
 * The ledger merge made cheap (issue 13) gives what it gave before: indexLedger, bookOf and
 * grayBucketsOf against a frozen copy of the old code (test/coordinator/reference/ledger.ts) on
 * random ledgers filled by planRecord. One deliberate difference: inside a gray bucket, providers
 * are now listed by name (before, in the order the store listed the sheets), so buckets are
 * compared with their provider keys sorted.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Observation, VantagePoint, Verdict } from '#core/model.ts';
import { bookOf, grayBucketsOf, indexLedger, planRecord, votesOf, type Heartbeat, type LedgerItems, type VoteSheet } from '#core/coordinator/ledger.ts';
import type { GrayBucket } from '#core/engine/state.ts';
import * as ref from './reference/ledger.ts';

const T0 = 1_800_000_000_000;
const INTERVAL = 10_000;
const WINDOW = 60_000;
const VPS: VantagePoint[] = ['cloudflare:wnam', 'aws:us-east-1', 'aws:eu-west-1', 'cloudflare:weur'];
const SERVICES = ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com'];

/** One batch: a vantage point, the services it names (a slice), a verdict per service, a time step. */
const batch = fc.record({
  vp: fc.constantFrom(...VPS),
  split: fc.boolean(),
  half: fc.constantFrom(0, 1),
  drop: fc.option(fc.constantFrom(...SERVICES), { nil: undefined }),
  verdicts: fc.array(fc.constantFrom<Verdict>('healthy', 'unhealthy', 'abstain'), { minLength: 4, maxLength: 4 }),
  secondary: fc.boolean(),
  step: fc.integer({ min: 0, max: 12_000 }),
});

interface Batch { vp: VantagePoint; split: boolean; half: number; drop: string | undefined; verdicts: Verdict[]; secondary: boolean; step: number }

function fill(batches: readonly Batch[]) {
  const heartbeats = new Map<string, Heartbeat>();
  const sheets = new Map<string, VoteSheet>();
  let now = T0;
  for (const b of batches) {
    now += b.step;
    // Split rounds cover two slices of two services; whole ones all four.
    const names = (b.split ? SERVICES.slice(2 * b.half, 2 * b.half + 2) : SERVICES).filter((s) => s !== b.drop);
    if (names.length === 0) continue;
    const observations: Observation[] = names.flatMap((service) => {
      const verdict = b.verdicts[SERVICES.indexOf(service)]!;
      const o: Observation[] = [{ service, target: 'primary', vantagePoint: b.vp, verdict, observedAt: now - 300, receivedAt: now, ranIn: 'r1', ...(verdict === 'unhealthy' ? { failure: 'timeout' as const } : {}) }];
      if (b.secondary) o.push({ service, target: 'secondary', vantagePoint: b.vp, verdict: 'healthy', observedAt: now - 200, receivedAt: now });
      return o;
    });
    const slice = names[0]!;
    const key = `${b.vp} ${slice}`;
    const write = planRecord({ heartbeat: heartbeats.get(key) ?? null, sheet: sheets.get(key) ?? null }, b.vp, slice, observations, now, WINDOW);
    heartbeats.set(key, write.heartbeat);
    if (write.sheet) sheets.set(key, write.sheet);
  }
  return { items: { heartbeats: [...heartbeats.values()], sheets: [...sheets.values()] } satisfies LedgerItems, now };
}

const sortedCounts = (buckets: readonly GrayBucket[]) => JSON.stringify(buckets.map((b) => ({ at: b.at, counts: Object.fromEntries(Object.entries(b.counts).sort(([x], [y]) => (x < y ? -1 : 1))) })));

describe('ledger merge = the code before it (issue 13)', () => {
  it('bookOf, votesOf and grayBucketsOf, with and without a replaced slice and a count restart', () => {
    fc.assert(fc.property(
      fc.array(batch, { maxLength: 30 }), fc.integer({ min: 0, max: 20_000 }), fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: null }), fc.boolean(),
      (batches, later, counted, replaceOne) => {
        const { items, now: last } = fill(batches);
        const now = last + later;
        const countedFrom = counted === null ? null : T0 + counted;
        // The coordinator evaluates a batch against the ledger as it was before: one slice swapped (here, removed).
        const sheet = items.sheets[0];
        const replace = replaceOne && sheet ? { vantagePoint: sheet.vantagePoint, slice: sheet.slice, heartbeat: null, sheet: null } : undefined;
        // Shuffled store order must not matter either.
        const shuffled: LedgerItems = { heartbeats: [...items.heartbeats].reverse(), sheets: [...items.sheets].reverse() };
        for (const it of [items, shuffled]) {
          const index = indexLedger(it, replace);
          const old = ref.indexLedger(it, replace);
          for (const service of [...SERVICES, 'none.example.com']) {
            expect(JSON.stringify(bookOf(index, service))).toBe(JSON.stringify(ref.bookOf(old, service)));
            expect(JSON.stringify(votesOf(index, service).toBook())).toBe(JSON.stringify(ref.bookOf(old, service)));
            expect(sortedCounts(grayBucketsOf(index, service, now, INTERVAL, WINDOW, countedFrom))).toBe(sortedCounts(ref.grayBucketsOf(old, service, now, INTERVAL, WINDOW, countedFrom)));
          }
        }
      },
    ), { numRuns: 300 });
  });

  it('lists providers by name inside a bucket, whatever order the store gives', () => {
    const { items, now } = fill([
      { vp: 'cloudflare:wnam', split: false, half: 0, drop: undefined, verdicts: ['unhealthy', 'healthy', 'healthy', 'healthy'], secondary: false, step: 0 },
      { vp: 'aws:us-east-1', split: false, half: 0, drop: undefined, verdicts: ['healthy', 'healthy', 'healthy', 'healthy'], secondary: false, step: 0 },
    ]);
    const [bucket] = grayBucketsOf(indexLedger(items), 'a.example.com', now, INTERVAL, WINDOW);
    expect(Object.keys(bucket!.counts)).toEqual(['aws', 'cloudflare']);
    expect(bucket!.counts).toEqual({ aws: [0, 1], cloudflare: [1, 1] });
  });
});
