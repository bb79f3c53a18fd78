/** The probe chain's pure rules (core/probe/chain.ts): next hop, liveness, message format. */
import { describe, expect, it } from 'vitest';
import { chainAlive, chainKey, decodeChainMessage, encodeChainMessage, nextHop, roundStartAt } from '#core/probe/chain.ts';

const VP = 'aws:eu-west-1';
const I = 10_000;

describe('probe chain rules', () => {
  it('enqueues the next slot with the delay to its round time, rounded to whole seconds', () => {
    const now = 1_000 * I + 3_000;
    const hop = nextHop(1_000, now, I, VP, () => 0);
    expect(hop.slot).toBe(1_001);
    expect(hop.at).toBe(roundStartAt(1_001, I, VP, () => 0));
    expect(hop.delaySeconds).toBe(Math.round((hop.at - now) / 1000));
    expect(Math.abs(now + hop.delaySeconds * 1000 - hop.at)).toBeLessThanOrEqual(500);
  });

  it('skips the rounds a late hop missed instead of probing them back to back', () => {
    const now = 1_005 * I + 1;
    expect(nextHop(1_000, now, I, VP, () => 0).slot).toBe(1_006);
  });

  it('calls a chain alive until its newest claim is older than one interval plus the grace', () => {
    const now = 2_000 * I;
    expect(chainAlive(undefined, now, I)).toBe(false);
    expect(chainAlive(1_999, now, I)).toBe(true);
    expect(chainAlive(1_996, now, I, 30_000)).toBe(true);
    expect(chainAlive(1_995, now, I, 30_000)).toBe(false);
  });

  it('round-trips its message and refuses anything else, naming the field', () => {
    expect(decodeChainMessage(encodeChainMessage(42))).toEqual({ v: 1, slot: 42 });
    expect(() => decodeChainMessage('nope')).toThrow('not JSON');
    expect(() => decodeChainMessage('{"v":2,"slot":1}')).toThrow('field "v"');
    expect(() => decodeChainMessage('{"v":1,"slot":-1}')).toThrow('field "slot"');
  });

  it('carries a shard only when the round is sharded, so unsharded chains keep the original message and claim key', () => {
    expect(encodeChainMessage(42, { index: 0, count: 1 })).toBe(encodeChainMessage(42));
    expect(JSON.parse(encodeChainMessage(42))).toEqual({ v: 1, slot: 42 });
    expect(decodeChainMessage(encodeChainMessage(42, { index: 2, count: 3 }))).toEqual({ v: 1, slot: 42, shard: { index: 2, count: 3 } });
    expect(decodeChainMessage('{"v":1,"slot":42,"shard":{"index":0,"count":1}}')).toEqual({ v: 1, slot: 42 });
    expect(chainKey(VP)).toBe(VP);
    expect(chainKey(VP, { index: 0, count: 1 })).toBe(VP);
    expect(chainKey(VP, { index: 1, count: 3 })).toBe(`${VP}#1/3`);
    expect(() => decodeChainMessage('{"v":1,"slot":1,"shard":{"index":3,"count":3}}')).toThrow('field "shard.index"');
    expect(() => decodeChainMessage('{"v":1,"slot":1,"shard":{"index":0,"count":0}}')).toThrow('field "shard.count"');
    expect(() => decodeChainMessage('{"v":1,"slot":1,"shard":7}')).toThrow('field "shard"');
  });
});
