/**
 * The DNS provider contract as tests: every provider (memory, Route 53, Cloudflare, the embedded
 * zone over HTTP) registers these against its own harness and must behave the same way.
 */
import { describe, expect, it } from 'vitest';
import { planFlip } from '#core/dns/flip.ts';
import { isNoop } from '#core/dns/plan.ts';
import type { DnsProvider, RecordSet, RecordType, ServiceDns, StateRecord } from '#core/dns/types.ts';
import type { TargetRole } from '#core/model.ts';

export interface ContractHarness {
  readonly provider: DnsProvider;
  /** Puts record sets (and a state record) into the zone behind the provider's back. */
  seed(sets: readonly RecordSet[], state?: StateRecord): void | Promise<void>;
  /** Write calls the provider has made since the harness was made (seeding excluded). */
  writes(): number;
  /** The values the zone holds for a name and type, seen from the zone's side, sorted. */
  values(name: string, type: RecordType): string[] | undefined;
}

export const SERVICE = 'app.example.com';

export function serviceDns(ttl = 60, extra: Partial<RecordSet> = {}): ServiceDns {
  const set = (type: RecordType, values: string[]): RecordSet => ({ name: SERVICE, type, ttl, values, ...extra });
  return {
    service: SERVICE, ttl, ...(extra.proxied === undefined ? {} : { proxied: extra.proxied }),
    targets: {
      primary: [set('A', ['203.0.113.10']), set('AAAA', ['2001:db8::10'])],
      secondary: [set('A', ['198.51.100.20', '198.51.100.21']), set('AAAA', ['2001:db8::20'])],
    },
  };
}

/** Plans a flip exactly as the coordinator and `lifeboat dns plan` do (core's planFlip). */
export function planFor(provider: DnsProvider, dns: ServiceDns, to: TargetRole, at: number) {
  return planFlip({ provider, dns }, to, at);
}

export function providerContract(label: string, make: () => Promise<ContractHarness>, dns: ServiceDns = serviceDns()): void {
  describe(`${label}: DNS provider contract`, () => {
    it('reads normalised record sets and no state from a fresh zone', async () => {
      const h = await make();
      await h.seed(dns.targets.primary);
      const current = await h.provider.read(dns);
      expect(current.state).toBeNull();
      expect(current.records.map((r) => [r.name, r.type, r.values])).toEqual([
        [SERVICE, 'A', ['203.0.113.10']], [SERVICE, 'AAAA', ['2001:db8::10']],
      ]);
    });

    it('flips to the secondary in one write and records the state', async () => {
      const h = await make();
      await h.seed(dns.targets.primary);
      const plan = await planFor(h.provider, dns, 'secondary', 1_000);
      const result = await h.provider.apply(plan);
      expect(result.outcome).toBe('applied');
      expect(result.state).toEqual({ active: 'secondary', epoch: 1, at: 1_000 });
      expect(h.writes()).toBe(1);
      expect(h.values(SERVICE, 'A')).toEqual(['198.51.100.20', '198.51.100.21']);
      expect(h.values(SERVICE, 'AAAA')).toEqual(['2001:db8::20']);
      expect((await h.provider.read(dns)).state).toEqual({ active: 'secondary', epoch: 1, at: 1_000 });
    });

    it('sends nothing when the same decision is applied again', async () => {
      const h = await make();
      await h.seed(dns.targets.primary);
      await h.provider.apply(await planFor(h.provider, dns, 'secondary', 1_000));
      const again = await planFor(h.provider, dns, 'secondary', 2_000);
      expect(isNoop(again)).toBe(true);
      expect((await h.provider.apply(again)).outcome).toBe('unchanged');
      expect(h.writes()).toBe(1);
    });

    it('lets exactly one of two racing plans win the compare-and-swap', async () => {
      const h = await make();
      await h.seed(dns.targets.primary);
      const a = await planFor(h.provider, dns, 'secondary', 1_000);
      const b = await planFor(h.provider, dns, 'secondary', 1_001);
      expect((await h.provider.apply(a)).outcome).toBe('applied');
      const lost = await h.provider.apply(b);
      expect(lost.outcome).toBe('conflict');
      expect(lost.state).toEqual(a.newState);
      expect(h.writes()).toBe(1);
    });

    it('lets exactly one of several concurrent applies from the same read win, and the zone holds its records', async () => {
      const h = await make();
      await h.seed(dns.targets.primary, { active: 'primary', epoch: 41, at: 1 });
      const plans = await Promise.all([1_000, 1_001, 1_002, 1_003].map((at) => planFor(h.provider, dns, 'secondary', at)));
      const results = await Promise.all(plans.map((plan) => h.provider.apply(plan)));
      const winners = results.filter((r) => r.outcome === 'applied');
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'conflict')).toHaveLength(plans.length - 1);
      expect(winners[0]!.state?.epoch).toBe(42);
      const final = (await h.provider.read(dns)).state;
      expect(final).toEqual(winners[0]!.state);
      for (const r of results) expect(r.state).toEqual(final);
      expect(h.values(SERVICE, 'A')).toEqual(['198.51.100.20', '198.51.100.21']);
      expect(h.values(SERVICE, 'AAAA')).toEqual(['2001:db8::20']);
    });

    it('continues the epoch from an existing state record, both ways', async () => {
      const h = await make();
      await h.seed(dns.targets.primary, { active: 'primary', epoch: 3, at: 500 });
      expect((await h.provider.read(dns)).state).toEqual({ active: 'primary', epoch: 3, at: 500 });
      const out = await h.provider.apply(await planFor(h.provider, dns, 'secondary', 1_000));
      expect(out.state?.epoch).toBe(4);
      const back = await h.provider.apply(await planFor(h.provider, dns, 'primary', 2_000));
      expect(back.outcome).toBe('applied');
      expect(back.state).toEqual({ active: 'primary', epoch: 5, at: 2_000 });
      expect(h.values(SERVICE, 'A')).toEqual(['203.0.113.10']);
      expect(h.writes()).toBe(2);
    });

    it('refuses a stale plan after someone else flipped back', async () => {
      const h = await make();
      await h.seed(dns.targets.primary, { active: 'primary', epoch: 1, at: 1 });
      const stale = await planFor(h.provider, dns, 'secondary', 10);
      await h.provider.apply(await planFor(h.provider, dns, 'secondary', 5));
      await h.provider.apply(await planFor(h.provider, dns, 'primary', 6));
      expect((await h.provider.apply(stale)).outcome).toBe('conflict');
      expect(h.values(SERVICE, 'A')).toEqual(['203.0.113.10']);
    });
  });
}
