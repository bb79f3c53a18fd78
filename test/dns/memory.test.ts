import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
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
