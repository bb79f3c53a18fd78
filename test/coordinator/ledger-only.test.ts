/**
 * indexLedger(..., only): a batch indexes only its own services (issue 13, the coordinator's round
 * at 1,000 services). For every service it names, the votes and gray buckets must be exactly those
 * of the whole index, whatever the slices look like: interleaved names, gone services, a sheet
 * out of force, the slice being evaluated as it was before its batch.
 */
import { describe, expect, it } from 'vitest';
import { bookOf, grayBucketsOf, indexLedger, planRecord, type Heartbeat, type VoteSheet } from '#core/coordinator/ledger.ts';
import { FAILURE_KINDS, type Observation, type VantagePoint, type Verdict } from '#core/model.ts';
import * as ref from './reference/ledger.ts';

const T0 = 1_800_000_000_000;
const INTERVAL = 10_000;
const WINDOW = 300_000;

function obs(vantagePoint: VantagePoint, service: string, at: number, primary: Verdict): Observation[] {
  return [
    { service, target: 'primary', vantagePoint, verdict: primary, observedAt: at - 100, receivedAt: at, ...(primary === 'unhealthy' ? { failure: 'timeout' as const } : {}) },
    { service, target: 'secondary', vantagePoint, verdict: 'healthy', observedAt: at - 100, receivedAt: at },
  ];
}

/** Three vantage points, slices with interleaved names, a service dropped, verdicts that change. */
function ledger() {
  const heartbeats = new Map<string, Heartbeat>();
  const sheets = new Map<string, VoteSheet>();
  const vps: VantagePoint[] = ['aws:us-east-1', 'cloudflare:weur', 'aws:eu-west-1'];
  // Slice "a.test" names a, c, e (and x until round 3); slice "b.test" names b, d; slice "m.test" names m, z.
  const slices = [['a.test', 'c.test', 'e.test', 'x.test'], ['b.test', 'd.test'], ['m.test', 'z.test']];
  let last: { vantagePoint: VantagePoint; slice: string; heartbeat: Heartbeat | null; sheet: VoteSheet | null } | undefined;
  for (let round = 1; round <= 6; round++) {
    const now = T0 + round * INTERVAL;
    for (const [v, vp] of vps.entries()) {
      for (const names of slices) {
        const slice = names[0]!;
        const named = round >= 3 ? names.filter((n) => n !== 'x.test') : names;
        const observations = named.flatMap((n, i) => obs(vp, n, now, (round + i + v) % 3 === 0 ? 'unhealthy' : (round + i) % 4 === 0 ? 'abstain' : 'healthy'));
        const key = `${vp}|${slice}`;
        const prev = { heartbeat: heartbeats.get(key) ?? null, sheet: sheets.get(key) ?? null };
        const write = planRecord(prev, vp, slice, observations, now, WINDOW);
        last = { vantagePoint: vp, slice, ...prev };
        if (write.sheet) sheets.set(key, write.sheet);
        heartbeats.set(key, write.heartbeat);
      }
    }
  }
  // A sheet out of force: its heartbeat names another revision (a crash between the two writes).
  const stray = [...sheets.entries()].find(([k]) => k.startsWith('cloudflare:weur|m.test'))!;
  sheets.set(stray[0], { ...stray[1], rev: stray[1].rev + 7 });
  return { items: { heartbeats: [...heartbeats.values()], sheets: [...sheets.values()] }, before: last!, now: T0 + 6 * INTERVAL };
}

describe('indexLedger for some services only', () => {
  const { items, before, now } = ledger();
  const all = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'm.test', 'x.test', 'z.test'];
  const subsets = [['a.test'], ['b.test', 'd.test'], ['c.test', 'm.test'], ['e.test', 'x.test', 'z.test'], ['z.test'], ['d.test', 'a.test'], all];

  for (const replace of [undefined, before]) {
    for (const only of subsets) {
      it(`${only.join(', ')}${replace ? ', one slice as before its batch' : ''}: the same votes and gray buckets as the whole index`, () => {
        const whole = indexLedger(items, replace);
        const some = indexLedger(items, replace, only);
        expect([...some.rows.keys()].sort()).toEqual(only.filter((s) => whole.rows.has(s)).sort());
        for (const service of only) {
          expect(bookOf(some, service)).toEqual(bookOf(whole, service));
          expect(bookOf(some, service).length).toBeGreaterThan(0);
          for (const countedFrom of [null, now - 25_000]) {
            expect(grayBucketsOf(some, service, now, INTERVAL, WINDOW, countedFrom)).toEqual(grayBucketsOf(whole, service, now, INTERVAL, WINDOW, countedFrom));
          }
        }
      });
    }
  }

  it('a wanted name that no sheet holds, even one an object inherits, gives no rows', () => {
    const some = indexLedger(items, undefined, ['constructor', 'toString', '__proto__', 'b.test', 'zz.test']);
    expect([...some.rows.keys()]).toEqual(['b.test']);
    expect(bookOf(some, 'constructor')).toEqual([]);
  });

  it('nothing wanted: no rows, the same sources', () => {
    const some = indexLedger(items, undefined, []);
    expect(some.rows.size).toBe(0);
    expect(some.sources.length).toBe(indexLedger(items).sources.length);
  });

  it('every failure kind on either target, gone and abstaining votes: the votes of the old code (reference)', () => {
    const heartbeats: Heartbeat[] = [];
    const sheets: VoteSheet[] = [];
    const services = FAILURE_KINDS.map((_, i) => `f${i}.test`);
    for (const [v, vp] of (['aws:us-east-1', 'cloudflare:weur'] as const).entries()) {
      let prev: { heartbeat: Heartbeat | null; sheet: VoteSheet | null } = { heartbeat: null, sheet: null };
      for (let round = 1; round <= 3; round++) {
        const now = T0 + round * INTERVAL;
        // From round 3 the slice stops naming f0.test: gone.
        const observations = services.filter((_, i) => round < 3 || i > 0).flatMap((service, i): Observation[] => {
          const kind = FAILURE_KINDS[(i + v + round) % FAILURE_KINDS.length]!;
          const primary: Verdict = (i + round) % 3 === 0 ? 'abstain' : 'unhealthy';
          return [
            { service, target: 'primary', vantagePoint: vp, verdict: primary, observedAt: now - 50, receivedAt: now, ...(primary === 'unhealthy' ? { failure: kind } : {}) },
            ...(i % 4 === 3 ? [] : [{ service, target: 'secondary' as const, vantagePoint: vp, verdict: 'unhealthy' as const, observedAt: now - 50, receivedAt: now, failure: FAILURE_KINDS[(i + 3) % FAILURE_KINDS.length]! }]),
          ];
        });
        const write = planRecord(prev, vp, services[0]!, observations, now, WINDOW);
        prev = { heartbeat: write.heartbeat, sheet: write.sheet ?? prev.sheet };
      }
      heartbeats.push(prev.heartbeat!);
      sheets.push(prev.sheet!);
    }
    const items = { heartbeats, sheets };
    for (const only of [undefined, services, [services[0]!, services[5]!]]) {
      const index = indexLedger(items, undefined, only);
      for (const service of only ?? services) {
        const book = bookOf(index, service);
        expect(book).toEqual(ref.bookOf(ref.indexLedger(items), service));
        expect(book.length).toBe(2);
      }
    }
    // Every kind appears somewhere, on both targets.
    const seen = new Set(services.flatMap((s) => bookOf(indexLedger(items), s).flatMap((e) => [e.primary?.failure, e.secondary?.failure])));
    for (const kind of FAILURE_KINDS) expect(seen.has(kind)).toBe(true);
  });
});
