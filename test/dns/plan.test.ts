import { describe, expect, it } from 'vitest';
import { planChange, isNoop } from '#core/dns/plan.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import { UnsafePlanError, type ServiceDns } from '#core/dns/types.ts';
import { parseStateRecord, encodeStateRecord } from '#core/dns/state-record.ts';

const dns: ServiceDns = {
  service: 'app.example.com',
  ttl: 60,
  targets: {
    primary: [{ name: 'app.example.com', type: 'A', ttl: 60, values: ['203.0.113.10'] }],
    secondary: [{ name: 'app.example.com', type: 'A', ttl: 60, values: ['198.51.100.20'] }],
  },
};

describe('planChange', () => {
  it('updates the record and bumps the epoch when flipping', async () => {
    const zone = new MemoryZone('example.com');
    const provider = new MemoryDnsProvider(zone);
    zone.write([dns.targets.primary[0]!]);
    const plan = planChange({ provider: 'memory', zone: 'example.com', dns, current: await provider.read(dns), to: 'secondary', at: 1000 });
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]!.kind).toBe('update');
    expect(plan.newState).toEqual({ active: 'secondary', epoch: 1, at: 1000 });
    expect((await provider.apply(plan)).outcome).toBe('applied');
    expect(zone.get('app.example.com', 'A')!.values).toEqual(['198.51.100.20']);
    const again = planChange({ provider: 'memory', zone: 'example.com', dns, current: await provider.read(dns), to: 'secondary', at: 2000 });
    expect(isNoop(again)).toBe(true);
    const writes = zone.writes;
    expect((await provider.apply(again)).outcome).toBe('unchanged');
    expect(zone.writes).toBe(writes);
  });

  it('writes the epoch it is given (the decision\'s), not one past DNS\'s own', async () => {
    const zone = new MemoryZone('example.com');
    const provider = new MemoryDnsProvider(zone);
    zone.write([dns.targets.primary[0]!]);
    const plan = planChange({ provider: 'memory', zone: 'example.com', dns, current: await provider.read(dns), to: 'secondary', at: 1000, epoch: 7 });
    expect(plan.newState).toEqual({ active: 'secondary', epoch: 7, at: 1000 });
    expect(() => planChange({ provider: 'memory', zone: 'example.com', dns, current: { records: [], state: null }, to: 'secondary', at: 1, epoch: -1 })).toThrow(/epoch -1/);
  });

  it('lets only one of two racing plans win the compare-and-swap', async () => {
    const zone = new MemoryZone('example.com');
    const provider = new MemoryDnsProvider(zone);
    zone.write([dns.targets.primary[0]!]);
    const current = await provider.read(dns);
    const a = planChange({ provider: 'memory', zone: 'example.com', dns, current, to: 'secondary', at: 1 });
    const b = planChange({ provider: 'memory', zone: 'example.com', dns, current, to: 'secondary', at: 2 });
    const outcomes = [(await provider.apply(a)).outcome, (await provider.apply(b)).outcome];
    expect(outcomes).toEqual(['applied', 'conflict']);
  });

  it('refuses a plan that would delete a record type', async () => {
    const zone = new MemoryZone('example.com');
    zone.write([{ name: 'app.example.com', type: 'CNAME', ttl: 60, values: ['x.example.net'] }]);
    const current = await new MemoryDnsProvider(zone).read(dns);
    expect(() => planChange({ provider: 'memory', zone: 'example.com', dns, current, to: 'secondary', at: 1 }))
      .toThrow(UnsafePlanError);
  });

  it('round-trips the state record and rejects foreign TXT values', () => {
    const state = { active: 'secondary', epoch: 7, at: 1764064800000 } as const;
    expect(parseStateRecord(encodeStateRecord(state))).toEqual(state);
    expect(parseStateRecord('v=spf1 -all')).toBeNull();
    expect(parseStateRecord('lifeboat=1 active=nowhere epoch=1 at=1')).toBeNull();
  });
});
