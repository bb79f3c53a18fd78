/**
 * After a Route 53 change the coordinator follows it with GetChange until INSYNC: on its later
 * DNS rounds (ticks), never inside the round that wrote it; the status says "pending since" and
 * then "propagated at". Against the loopback Route 53 (PENDING on the first poll, then INSYNC).
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusReport } from '#core/api/status.ts';
import { summarise } from '#core/api/status-summary.ts';
import { loadConfig } from '#core/config/validate.ts';
import { Coordinator } from '#core/coordinator/coordinator.ts';
import { PropagationTracker, type SyncCheckingProvider } from '#core/coordinator/propagation.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import { serviceDns } from '#core/dns/desired.ts';
import { ROUTE53_CLIENT_DEFAULTS, Route53Provider } from '#core/dns/route53.ts';
import { silentLogger } from '#core/ports.ts';
import { Route53Fixture } from '../fixtures/route53-server.ts';

const fixture = new Route53Fixture();
let endpoint = '';
let zoneSeq = 0;
beforeAll(async () => { endpoint = await fixture.start(); });
afterAll(() => fixture.stop());

function setup(checkPropagation?: boolean) {
  const zoneId = `Z${String(++zoneSeq).padStart(6, '0')}SYNC`;
  fixture.addZone(zoneId, 'example.com');
  const config = loadConfig({
    services: [{
      name: 'app.example.com',
      primary: { url: 'https://primary.example.com', alias: { dnsName: 'primary-alb-1.eu-west-1.elb.amazonaws.com', hostedZoneId: 'Z32O12XQLNTSW2' } },
      secondary: { url: 'https://secondary.example.com', alias: { dnsName: 'd111111abcdef8.cloudfront.net', hostedZoneId: 'Z2FDTNDATAQYW2' } },
      healthCheck: { type: 'http', path: '/health' },
      dns: [{ provider: 'route53', hostedZoneId: zoneId, ...(checkPropagation === undefined ? {} : { checkPropagation }) }],
    }],
    vantagePoints: { aws: ['us-east-1'], cloudflare: [] },
    keys: [{ id: 'probe-aws', scope: 'probe', speaksFor: ['aws'] }],
  });
  const client = new Route53Client({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'fixture-secret-not-real' }, ...ROUTE53_CLIENT_DEFAULTS });
  const provider = new Route53Provider(client, zoneId, { sleep: async () => {}, random: () => 0.5, pace: { perSecond: 1_000, burst: 1_000 } });
  const service = config.services[0]!;
  const spec = serviceDns(service, service.dns[0]!);
  let now = 1_800_000_000_000;
  const coordinator = new Coordinator({ name: 'aws', config, store: new MemoryStateStore(), clock: { now: () => now }, logger: silentLogger, dnsFor: () => [{ provider, dns: spec }] });
  const getChanges = () => fixture.requests.filter((r) => r.op === 'GetChange').length;
  return { zoneId, coordinator, advance: (ms: number) => { now += ms; }, now: () => now, getChanges };
}

const propagationOf = async (c: Coordinator, now: number) => (await statusReport(c, now)).services[0]!.propagation;

describe('following a Route 53 change to INSYNC', () => {
  it('records the change without polling in the round that wrote it, then reports pending, then propagated at', async () => {
    const t = setup();
    const before = t.getChanges();
    const writtenAt = t.now();
    await t.coordinator.override({ service: 'app.example.com', action: 'force-secondary', reason: 'drill', by: 'ops', at: writtenAt });
    expect(fixture.get(t.zoneId, 'app.example.com', 'A')?.alias?.dnsName).toBe('d111111abcdef8.cloudfront.net.');
    // The decision round only wrote: no GetChange inside it.
    expect(t.getChanges()).toBe(before);
    const [pending] = (await propagationOf(t.coordinator, t.now()))!;
    expect(pending).toEqual({ provider: 'route53', zone: t.zoneId, changeId: expect.stringMatching(/^C\d+$/), epoch: 1, state: 'pending', since: writtenAt, propagatedAt: null });

    // Next tick, 10 s on: one GetChange, the fixture answers PENDING.
    t.advance(10_000);
    await t.coordinator.tick();
    expect(t.getChanges()).toBe(before + 1);
    expect((await propagationOf(t.coordinator, t.now()))![0]!.state).toBe('pending');
    // A tick sooner than the poll interval does not ask again.
    t.advance(1_000);
    await t.coordinator.tick();
    expect(t.getChanges()).toBe(before + 1);
    // 10 s later: INSYNC.
    t.advance(9_000);
    await t.coordinator.tick();
    expect(t.getChanges()).toBe(before + 2);
    const report = await statusReport(t.coordinator, t.now());
    expect(report.services[0]!.propagation).toEqual([{ ...pending, state: 'propagated', propagatedAt: t.now() }]);
    expect(summarise([report])[0]!.propagation).toEqual([`route53 ${t.zoneId} epoch 1: propagated at ${new Date(t.now()).toISOString().slice(11, 19)}Z (aws)`]);
    // Settled: no more polling.
    t.advance(60_000);
    await t.coordinator.tick();
    expect(t.getChanges()).toBe(before + 2);
  });

  it('stops polling after the bound and reports the change unconfirmed', async () => {
    const t = setup();
    fixture.pendingPolls = 1_000;
    try {
      await t.coordinator.override({ service: 'app.example.com', action: 'force-secondary', reason: 'drill', by: 'ops', at: t.now() });
      const before = t.getChanges();
      for (let i = 0; i < 70; i++) { t.advance(10_000); await t.coordinator.tick(); }
      // 10 minutes at one check per 10 s: at most 60 checks, then none.
      expect(t.getChanges() - before).toBe(59);
      expect((await propagationOf(t.coordinator, t.now()))![0]!.state).toBe('unconfirmed');
      expect(summarise([await statusReport(t.coordinator, t.now())])[0]!.propagation[0]).toMatch(/: not confirmed live \(written \d\d:\d\d:\d\dZ\) \(aws\)$/);
    } finally {
      fixture.pendingPolls = 1;
    }
  });

  it('checkPropagation: false follows nothing', async () => {
    const t = setup(false);
    await t.coordinator.override({ service: 'app.example.com', action: 'force-secondary', reason: 'drill', by: 'ops', at: t.now() });
    const before = t.getChanges();
    t.advance(10_000);
    await t.coordinator.tick();
    expect(t.getChanges()).toBe(before);
    expect(await propagationOf(t.coordinator, t.now())).toBeUndefined();
  });
});

describe('PropagationTracker', () => {
  it('asks once per change id: 1,000 services flipped in one batch cost one GetChange per check, not 1,000', async () => {
    const asked: string[] = [];
    const provider = { name: 'route53', zone: 'ZMASS', read: async () => ({ records: [], state: null }), apply: async () => { throw new Error('unused'); },
      isInSync: async (id: string) => { asked.push(id); return asked.length > 1; } } as SyncCheckingProvider;
    const tracker = new PropagationTracker({ pollMs: 10_000, giveUpMs: 600_000 });
    for (let i = 0; i < 1_000; i++) tracker.record(`app${i}.example.com`, provider, { changeId: 'C1', epoch: 2 }, 0);
    await tracker.follow(10_000, silentLogger);
    expect(asked).toEqual(['C1']);
    await tracker.follow(20_000, silentLogger);
    expect(asked).toEqual(['C1', 'C1']);
    expect(tracker.view('app999.example.com')).toEqual([{ provider: 'route53', zone: 'ZMASS', changeId: 'C1', epoch: 2, state: 'propagated', since: 0, propagatedAt: 20_000 }]);
  });
});
