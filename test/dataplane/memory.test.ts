/**
 * What the AWS coordinator publishes each tick for data-plane memory (core/dns/data-plane-memory.ts):
 * its own verdict always, the peer's only when read this tick, and "stay" for a lost peer only
 * after this coordinator itself failed back.
 */
import { describe, expect, it } from 'vitest';
import { VerdictMemory, type VerdictDatapoint } from '#core/dns/data-plane-memory.ts';
import type { TargetRole } from '#core/model.ts';

const S = 'app.example.com';
const own = (active: TargetRole) => new Map([[S, active]]);
const peer = (active: TargetRole) => new Map([[S, active]]);
const dp = (coordinator: string, value: 0 | 1): VerdictDatapoint => ({ service: S, coordinator, value });

describe('VerdictMemory', () => {
  it('own verdict every tick; the peer\'s when read; nothing for a peer that was not read', () => {
    const m = new VerdictMemory('aws', 'cloudflare');
    expect(m.datapoints(own('primary'), peer('secondary'))).toEqual([dp('aws', 0), dp('cloudflare', 1)]);
    expect(m.datapoints(own('secondary'), null)).toEqual([dp('aws', 1)]);
    expect(m.datapoints(own('secondary'), new Map())).toEqual([dp('aws', 1)]); // the peer does not report the service
  });

  it('a failback of its own while the peer is lost supersedes the peer\'s last verdict until the peer is read', () => {
    const m = new VerdictMemory('aws', 'cloudflare');
    expect(m.datapoints(own('secondary'), peer('secondary'))).toEqual([dp('aws', 1), dp('cloudflare', 1)]);
    expect(m.datapoints(own('secondary'), null)).toEqual([dp('aws', 1)]);
    expect(m.datapoints(own('primary'), null)).toEqual([dp('aws', 0), dp('cloudflare', 0)]);
    expect(m.datapoints(own('primary'), null)).toEqual([dp('aws', 0), dp('cloudflare', 0)]);
    // Failing over again: its own metric carries it; the peer's stays at the "stay" last published.
    expect(m.datapoints(own('secondary'), null)).toEqual([dp('aws', 1)]);
    expect(m.datapoints(own('primary'), null)).toEqual([dp('aws', 0), dp('cloudflare', 0)]);
    // The peer read again: its own verdict, whatever it is.
    expect(m.datapoints(own('primary'), peer('secondary'))).toEqual([dp('aws', 0), dp('cloudflare', 1)]);
    expect(m.datapoints(own('primary'), null)).toEqual([dp('aws', 0)]);
  });

  it('never staying primary supersedes nothing: a lost peer\'s failover stands', () => {
    const m = new VerdictMemory('aws', 'cloudflare');
    expect(m.datapoints(own('primary'), peer('secondary'))).toEqual([dp('aws', 0), dp('cloudflare', 1)]);
    for (let i = 0; i < 3; i++) expect(m.datapoints(own('primary'), null)).toEqual([dp('aws', 0)]);
  });
});
