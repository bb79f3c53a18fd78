/**
 * The flood sender's plan and spec checks (pure; the sender itself runs in test/e2e/flood.test.ts):
 * every coordinator gets the same share of each kind on each route, and the sender refuses any
 * target off loopback or any count beyond its caps, naming the field.
 */
import { describe, expect, it } from 'vitest';
import { FLOOD_LIMITS, parseFloodSpec, planRequest } from './flood-sender-plan.ts';

const spec = {
  targets: [{ name: 'aws', url: 'http://127.0.0.1:9001' }, { name: 'cloudflare', url: 'http://[::1]:9002/' }],
  unsigned: 2_000, badlySigned: 2_000, inFlight: 16, spreadMs: 10_000, maxMs: 90_000,
  probeKeyId: 'e2e-probe', operatorKeyId: 'e2e-operator', service: 'shop.e2e.test', progressEvery: 100,
};

describe('planRequest', () => {
  it('gives every coordinator the same share of unsigned and badly signed requests, half on each route', () => {
    const tally = new Map<string, number>();
    for (let i = 0; i < spec.unsigned + spec.badlySigned; i++) {
      const r = planRequest(spec, i);
      const key = `${r.target.name} ${r.unsigned ? 'unsigned' : 'bad'} ${r.route}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(tally)).toEqual(Object.fromEntries(['aws', 'cloudflare'].flatMap((t) => ['unsigned', 'bad']
      .flatMap((k) => ['/v1/observations', '/v1/override'].map((route) => [`${t} ${k} ${route}`, 500])))));
  });

  it('sends what is left of the larger kind last when the counts differ', () => {
    const kinds = Array.from({ length: 10 }, (_, i) => planRequest({ ...spec, targets: spec.targets.slice(0, 1), unsigned: 2, badlySigned: 8 }, i).unsigned);
    expect(kinds.filter(Boolean)).toHaveLength(2);
    expect(kinds.slice(4).every((u) => !u)).toBe(true);
  });
});

describe('parseFloodSpec', () => {
  it('takes a loopback spec (127.0.0.0/8, [::1], localhost) and trims trailing slashes', () => {
    expect(parseFloodSpec(spec).targets.map((t) => t.url)).toEqual(['http://127.0.0.1:9001', 'http://[::1]:9002']);
    expect(parseFloodSpec({ ...spec, targets: [{ name: 'x', url: 'http://localhost:1' }] }).targets).toHaveLength(1);
  });

  it('refuses any target off loopback, naming the field', () => {
    expect(() => parseFloodSpec({ ...spec, targets: [spec.targets[0], { name: 'far', url: 'http://10.0.0.1:80' }] }))
      .toThrow('targets[1].url: 10.0.0.1 is not a loopback address (127.0.0.0/8, ::1, localhost)');
    expect(() => parseFloodSpec({ ...spec, targets: [{ name: 'x', url: 'http://127.0.0.1.example.com' }] })).toThrow('targets[0].url: 127.0.0.1.example.com is not a loopback address');
    expect(() => parseFloodSpec({ ...spec, targets: [{ name: 'x', url: 'https://127.0.0.1' }] })).toThrow('targets[0].url: only http: on loopback');
    expect(() => parseFloodSpec({ ...spec, targets: [] })).toThrow('targets: expected a non-empty array');
  });

  it('refuses counts beyond the caps, naming the field', () => {
    expect(() => parseFloodSpec({ ...spec, unsigned: FLOOD_LIMITS.requests, badlySigned: 1 })).toThrow(`unsigned + badlySigned: at most ${FLOOD_LIMITS.requests} requests`);
    expect(() => parseFloodSpec({ ...spec, inFlight: 0 })).toThrow('inFlight: expected a whole number from 1 to 64, got 0');
    expect(() => parseFloodSpec({ ...spec, maxMs: FLOOD_LIMITS.maxMs + 1 })).toThrow('maxMs: expected a whole number');
    expect(() => parseFloodSpec({ ...spec, probeKeyId: '' })).toThrow('probeKeyId: expected a non-empty string');
  });
});
