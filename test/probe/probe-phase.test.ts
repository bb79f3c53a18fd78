/** Deployed probers spread their rounds: a stable phase per vantage point plus jitter, inside the slot. */
import { describe, expect, it } from 'vitest';
import { nextProbeAt, probeJitterMaxMs, probeOffsetMs, probePhaseMs, slotOf } from '#core/probe/schedule.ts';
import { seededRandom } from '#core/simulate/world.ts';

const I = 10_000;
const VPS = ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2', 'cloudflare:wnam', 'cloudflare:weur', 'cloudflare:apac'];

describe('probe phase and jitter', () => {
  it('derives a stable phase from the name, spread across the interval', () => {
    const phases = VPS.map((vp) => probePhaseMs(vp, I));
    expect(VPS.map((vp) => probePhaseMs(vp, I))).toEqual(phases);
    for (const p of phases) { expect(p).toBeGreaterThanOrEqual(0); expect(p).toBeLessThan(I); }
    expect(new Set(phases).size).toBe(VPS.length);
    expect(Math.max(...phases) - Math.min(...phases)).toBeGreaterThan(I / 2);
  });

  it('keeps every round inside its slot, so a slot number still names one round', () => {
    const random = seededRandom(5);
    for (const vp of VPS) {
      let now = 1_700_000_000_123;
      for (let i = 0; i < 200; i++) {
        const at = nextProbeAt(now, I, vp, random);
        expect(slotOf(at, I)).toBe(slotOf(now, I) + 1);
        const offset = at % I;
        expect((offset - probePhaseMs(vp, I) + I) % I).toBeLessThan(probeJitterMaxMs(I));
        now = at;
      }
    }
  });

  it('jitters: the offset moves from round to round', () => {
    const random = seededRandom(9);
    const offsets = new Set(Array.from({ length: 20 }, () => probeOffsetMs('cloudflare:weur', I, random)));
    expect(offsets.size).toBeGreaterThan(10);
  });
});
