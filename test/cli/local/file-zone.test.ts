/** The file-backed embedded zone: the provider contract, sharing through the file, the lock. */
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planChange } from '#core/dns/plan.ts';
import { encodeStateRecord, stateRecordName } from '#core/dns/state-record.ts';
import type { RecordSet } from '#core/dns/types.ts';
import { startDnsServer } from '../../../cli/local/dns-server.ts';
import { FileDnsProvider, FileZone } from '../../../cli/local/file-zone.ts';
import { providerContract, serviceDns, SERVICE } from '../../dns/provider-contract.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-zone-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const fileVersion = (path: string): number => (JSON.parse(readFileSync(path, 'utf8')) as { version: number }).version;

providerContract('embedded (file zone)', async () => {
  const path = join(tempDir(), 'example.com.json');
  const zone = new FileZone(path, 'example.com');
  let baseline = 0;
  return {
    // A second FileZone on the same file: the provider must not rely on shared memory.
    provider: new FileDnsProvider(new FileZone(path, 'example.com')),
    async seed(sets, state) {
      await zone.transact((z) => z.write([...sets, ...(state ? [{ name: stateRecordName(sets[0]!.name), type: 'TXT' as const, ttl: 60, values: [encodeStateRecord(state)] }] : [])]));
      baseline = fileVersion(path);
    },
    writes: () => (existsSync(path) ? fileVersion(path) : 0) - baseline,
    values: (name, type) => zone.read().sets.find((s) => s.name === name && s.type === type)?.values.slice().sort(),
  };
});

describe('file zone', () => {
  const dns = serviceDns(5);

  it('reads as its seed until the first write creates the file, version 1', async () => {
    const path = join(tempDir(), 'example.com.json');
    const zone = new FileZone(path, 'example.com', { seed: () => dns.targets.primary });
    const provider = new FileDnsProvider(zone);
    expect(zone.read().version).toBe(0);
    expect((await provider.read(dns)).records.map((r) => r.values)).toEqual([['203.0.113.10'], ['2001:db8::10']]);
    expect(existsSync(path)).toBe(false);
    await zone.materialise();
    expect(fileVersion(path)).toBe(1);
    await zone.materialise();
    expect(fileVersion(path)).toBe(1);
  });

  it('lets exactly one of two writers racing on the same file win', async () => {
    const path = join(tempDir(), 'example.com.json');
    const seed = () => dns.targets.primary;
    const a = new FileDnsProvider(new FileZone(path, 'example.com', { seed }));
    const b = new FileDnsProvider(new FileZone(path, 'example.com', { seed }));
    const planA = planChange({ provider: 'embedded', zone: 'example.com', dns, current: await a.read(dns), to: 'secondary', at: 1 });
    const planB = planChange({ provider: 'embedded', zone: 'example.com', dns, current: await b.read(dns), to: 'secondary', at: 2 });
    const outcomes = await Promise.all([a.apply(planA), b.apply(planB)]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['applied', 'conflict']);
    expect(fileVersion(path)).toBe(1);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('is picked up by a running server on the next query, with the version as SOA serial', async () => {
    const path = join(tempDir(), 'example.com.json');
    const seed = () => dns.targets.primary;
    const served = new FileZone(path, 'example.com', { seed });
    const server = await startDnsServer({ zone: served, port: 0 });
    try {
      const resolver = new Resolver({ timeout: 2_000, tries: 1 });
      resolver.setServers([`127.0.0.1:${server.port}`]);
      expect(await resolver.resolve4(SERVICE)).toEqual(['203.0.113.10']);
      expect((await resolver.resolveSoa('example.com')).serial).toBe(0);
      // Another writer (the CLI) changes the file.
      const writer = new FileDnsProvider(new FileZone(path, 'example.com', { seed }));
      const plan = planChange({ provider: 'embedded', zone: 'example.com', dns, current: await writer.read(dns), to: 'secondary', at: 5 });
      expect((await writer.apply(plan)).outcome).toBe('applied');
      expect(await resolver.resolve4(SERVICE)).toEqual(['198.51.100.20', '198.51.100.21']);
      expect((await resolver.resolveSoa('example.com')).serial).toBe(1);
      expect(await resolver.resolveTxt(stateRecordName(SERVICE))).toEqual([[encodeStateRecord({ active: 'secondary', epoch: 1, at: 5 })]]);
      // A zone file that cannot be read is a server failure, not an empty zone.
      writeFileSync(path, '{not json');
      await expect(resolver.resolve4(SERVICE)).rejects.toMatchObject({ code: 'ESERVFAIL' });
    } finally {
      await server.close();
    }
  });

  it('says which file is broken', async () => {
    const path = join(tempDir(), 'example.com.json');
    writeFileSync(path, JSON.stringify({ format: 'lifeboat-zone/1', apex: 'example.org', version: 1, records: [] }));
    expect(() => new FileZone(path, 'example.com').read()).toThrow(`zone file ${path} holds zone example.org, not example.com`);
    writeFileSync(path, '[]');
    expect(() => new FileZone(path, 'example.com').read()).toThrow(/is not a Lifeboat zone/);
  });

  it('waits for a held lock, then gives up with a clear error; removes a stale one', async () => {
    const path = join(tempDir(), 'example.com.json');
    const zone = new FileZone(path, 'example.com', { lockTimeoutMs: 200, staleLockMs: 60_000 });
    writeFileSync(`${path}.lock`, 'held by a test\n');
    await expect(zone.transact((z) => z.write([] as RecordSet[]))).rejects.toThrow(/is locked by another writer/);
    expect(existsSync(path)).toBe(false);
    const old = new Date(Date.now() - 120_000);
    utimesSync(`${path}.lock`, old, old);
    await zone.transact((z) => z.write([]));
    expect(fileVersion(path)).toBe(1);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
