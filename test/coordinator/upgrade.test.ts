/**
 * State saved by 0.1 (before cold start, provider verdicts and flip re-checks) is read by 0.2 as it
 * is: a pending flip is carried out, an override stays in force, and the audit is kept.
 */
import { describe, expect, it } from 'vitest';
import { Coordinator, type NotifyAction } from '#core/coordinator/coordinator.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { MemoryDnsProvider } from '#core/dns/memory.ts';
import { parseStateRecord, stateRecordName } from '#core/dns/state-record.ts';
import type { ServiceState } from '#core/engine/state.ts';
import { silentLogger } from '#core/ports.ts';
import { oneService, SERVICE } from './one-service.ts';
const NOW = 1_800_000_000_000;

/** A DynamoDB item / Durable Object row as 0.1 wrote it: exactly the fields 0.1 had. */
function stateOf01(): unknown {
  const vote = { verdict: 'unhealthy', observedAt: NOW - 5_000, receivedAt: NOW - 5_000, failure: 'timeout', latencyMs: 5000, ranIn: null };
  return {
    service: SERVICE, active: 'secondary', epoch: 1, changedAt: NOW - 20_000, lastFailoverAt: NOW - 20_000,
    failStreakSince: null, recoverStreakSince: null, hold: null,
    override: { action: 'freeze', reason: 'investigating', by: 'ops-alice', since: NOW - 10_000, until: NOW + 3_600_000 },
    pendingFlip: { to: 'secondary', epoch: 1, decidedAt: NOW - 20_000, attempts: 2, lastAttemptAt: NOW - 15_000 },
    votes: ['aws:us-east-1', 'aws:eu-west-1', 'cloudflare:apac'].map((vantagePoint) => ({ vantagePoint, primary: vote, secondary: { ...vote, verdict: 'healthy', failure: null, latencyMs: 40 } })),
    lastDecision: null,
  };
}

describe('state saved by 0.1', () => {
  it('is carried out by 0.2: the pending flip reaches DNS, the override and the audit stay', async () => {
    const { config, zone, spec } = oneService({ aws: ['us-east-1', 'eu-west-1'], cloudflare: ['apac'] });
    const store = new MemoryStateStore();
    expect(await store.put(stateOf01() as ServiceState, null)).not.toBeNull();
    await store.appendAudit([{ at: NOW - 20_000, service: SERVICE, kind: 'decision', message: 'failing over (0.1)' }]);
    const sent: NotifyAction[] = [];
    const coordinator = new Coordinator({
      name: 'aws', config, store, clock: { now: () => NOW }, logger: silentLogger,
      dnsFor: () => [{ provider: new MemoryDnsProvider(zone, { name: 'embedded' }), dns: spec }],
      notifier: { send: async (n) => { sent.push(n); } },
    });

    await coordinator.tick();

    expect(zone.get(SERVICE, 'A')?.values).toEqual(['198.51.100.20']);
    expect(parseStateRecord(zone.get(stateRecordName(SERVICE), 'TXT')!.values[0]!)).toMatchObject({ active: 'secondary', epoch: 1 });
    const state = (await store.get(SERVICE))!.value;
    expect(state).toMatchObject({ active: 'secondary', epoch: 1, pendingFlip: null, override: { action: 'freeze', by: 'ops-alice' } });
    expect((await store.audit({ service: SERVICE })).map((e) => e.message)).toContain('failing over (0.1)');
  });
});
