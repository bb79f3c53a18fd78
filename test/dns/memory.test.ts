import { describe, expect, it } from 'vitest';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import { UnsafePlanError } from '#core/dns/types.ts';
import { encodeStateRecord, stateRecordName } from '#core/dns/state-record.ts';
import { providerContract } from './provider-contract.ts';

providerContract('memory', async () => {
  const zone = new MemoryZone('example.com');
  let baseline = 0;
  return {
    provider: new MemoryDnsProvider(zone),
    seed(sets, state) {
      zone.write([...sets, ...(state ? [{ name: stateRecordName(sets[0]!.name), type: 'TXT' as const, ttl: 60, values: [encodeStateRecord(state)] }] : [])]);
      baseline = zone.writes;
    },
    writes: () => zone.writes - baseline,
    values: (name, type) => zone.get(name, type)?.values.slice().sort(),
  };
});

describe('MemoryDnsProvider', () => {
  it('refuses a plan that deletes, even one built by hand past planChange', async () => {
    const zone = new MemoryZone('example.com');
    const before = { name: 'app.example.com', type: 'A' as const, ttl: 60, values: ['203.0.113.10'] };
    zone.write([before]);
    const plan = { provider: 'memory' as const, zone: 'example.com', service: 'app.example.com', to: 'secondary' as const, changes: [{ kind: 'delete' as const, before }], expectedState: null, newState: { active: 'secondary' as const, epoch: 1, at: 1 } };
    await expect(new MemoryDnsProvider(zone).apply(plan)).rejects.toBeInstanceOf(UnsafePlanError);
    expect(zone.get('app.example.com', 'A')?.values).toEqual(['203.0.113.10']);
  });

  it('tells listeners about every write (the embedded DNS server answers from them)', () => {
    const zone = new MemoryZone('example.com');
    let calls = 0;
    const off = zone.onChange(() => { calls++; });
    zone.write([{ name: 'a.example.com', type: 'A', ttl: 5, values: ['192.0.2.1'] }]);
    off();
    zone.write([{ name: 'b.example.com', type: 'A', ttl: 5, values: ['192.0.2.2'] }]);
    expect(calls).toBe(1);
  });
});
