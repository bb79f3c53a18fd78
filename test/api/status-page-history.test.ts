/**
 * The status page's last hour: the in-memory vote history (bucketing, deduplication, the hour's
 * bound), its merge across coordinators, and what the page draws from it and from the fields
 * other parts add to status (peer, refusals) and the pending flip ("DNS write failing since").
 */
import { describe, expect, it } from 'vitest';
import { HISTORY_BUCKETS, HISTORY_BUCKET_MS, VoteHistory } from '#core/api/status-history.ts';
import { availability, mergeHistory } from '#core/api/status-summary.ts';
import { renderStatusPage } from '#core/api/status-page.ts';
import type { ServiceStatus, StatusReport } from '#core/api/status.ts';
import type { ServiceName } from '#core/model.ts';

const SVC = 'app.example.com' as ServiceName;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % HISTORY_BUCKET_MS);

describe('VoteHistory', () => {
  it('counts each vote once per minute bucket, with mean and worst latency', () => {
    const h = new VoteHistory();
    const vote = (at: number, verdict: 'healthy' | 'unhealthy', latencyMs: number) => ({ vantagePoint: 'aws:us-east-1' as const, target: 'primary' as const, verdict, receivedAt: at, latencyMs });
    h.record(SVC, vote(T0 + 1_000, 'healthy', 40), T0 + 1_000);
    h.record(SVC, vote(T0 + 1_000, 'healthy', 40), T0 + 2_000); // the same vote again (status sampled it): not counted
    h.record(SVC, vote(T0 + 31_000, 'unhealthy', 100), T0 + 31_000);
    h.record(SVC, vote(T0 + 61_000, 'healthy', 10), T0 + 61_000);
    const view = h.view(SVC, T0 + 61_000);
    expect(view.series).toHaveLength(1);
    expect(view.series[0]!.buckets).toEqual([
      { at: T0, healthy: 1, unhealthy: 1, abstain: 0, latencyMs: { mean: 70, max: 100 } },
      { at: T0 + HISTORY_BUCKET_MS, healthy: 1, unhealthy: 0, abstain: 0, latencyMs: { mean: 10, max: 10 } },
    ]);
    expect(view.from).toBe(T0 + HISTORY_BUCKET_MS - (HISTORY_BUCKETS - 1) * HISTORY_BUCKET_MS);
    expect(h.view('other.example.com' as ServiceName, T0).series).toEqual([]);
  });

  it('keeps one hour: older minutes are dropped and old votes are not counted', () => {
    const h = new VoteHistory();
    h.record(SVC, { vantagePoint: 'aws:us-east-1', target: 'primary', verdict: 'healthy', receivedAt: T0 }, T0);
    const later = T0 + HISTORY_BUCKETS * HISTORY_BUCKET_MS + 5_000;
    expect(h.view(SVC, later).series).toEqual([]);
    h.record(SVC, { vantagePoint: 'aws:eu-west-1', target: 'primary', verdict: 'healthy', receivedAt: T0 + 1 }, later);
    expect(h.view(SVC, later).series).toEqual([]);
  });

  it('samples a stored vote book, skipping votes already counted', () => {
    const h = new VoteHistory();
    const book = [{ vantagePoint: 'cloudflare:apac', primary: { verdict: 'unhealthy', observedAt: T0, receivedAt: T0, latencyMs: 12 }, secondary: null }];
    h.sample(SVC, book as never, T0);
    h.sample(SVC, book as never, T0 + 5_000);
    expect(h.view(SVC, T0 + 5_000).series).toEqual([{ vantagePoint: 'cloudflare:apac', target: 'primary', buckets: [{ at: T0, healthy: 0, unhealthy: 1, abstain: 0, latencyMs: { mean: 12, max: 12 } }] }]);
  });
});

describe('mergeHistory and availability', () => {
  const series = (healthy: number, unhealthy: number) => ({ bucketSeconds: 60, from: T0, series: [{ vantagePoint: 'aws:us-east-1' as const, target: 'primary' as const, buckets: [{ at: T0 + 59 * HISTORY_BUCKET_MS, healthy, unhealthy, abstain: 0 }] }] });

  it('takes per minute the coordinator that counted more, never the sum of both', () => {
    const m = mergeHistory([series(2, 0), series(2, 1), undefined], T0 + 59 * HISTORY_BUCKET_MS);
    expect(m.series[0]!.buckets).toEqual([{ at: T0 + 59 * HISTORY_BUCKET_MS, healthy: 2, unhealthy: 1, abstain: 0 }]);
  });

  it('gives every minute of the hour and the share of healthy votes', () => {
    const a = availability(mergeHistory([series(3, 1)], T0 + 59 * HISTORY_BUCKET_MS), 'primary');
    expect(a.buckets).toHaveLength(HISTORY_BUCKETS);
    expect(a.buckets.at(-1)).toEqual({ at: T0 + 59 * HISTORY_BUCKET_MS, healthy: 3, unhealthy: 1, abstain: 0 });
    expect(a.buckets[0]).toEqual({ at: T0, healthy: 0, unhealthy: 0, abstain: 0 });
    expect(a.ratio).toBe(0.75);
    expect(availability(mergeHistory([], T0), 'secondary').ratio).toBeNull();
  });
});

const NOW = T0 + 59 * HISTORY_BUCKET_MS + 10_000;
function service(over: Partial<ServiceStatus> = {}): ServiceStatus {
  return {
    service: SVC, active: 'primary', epoch: 1, changedAt: null, override: null, hold: null, pendingFlip: null,
    tally: { primary: { healthy: 0, unhealthy: 3, abstain: 0, stale: 0, fresh: 3 }, secondary: { healthy: 3, unhealthy: 0, abstain: 0, stale: 0, fresh: 3 } },
    votes: {}, lastDecision: null,
    history: {
      bucketSeconds: 60, from: T0, series: [
        { vantagePoint: 'aws:us-east-1', target: 'primary', buckets: [0, 1, 2, 30].map((i) => ({ at: T0 + i * HISTORY_BUCKET_MS, healthy: 1, unhealthy: 0, abstain: 0, latencyMs: { mean: 40 + i, max: 90 } })) },
        { vantagePoint: 'cloudflare:apac', target: 'primary', buckets: [{ at: T0 + 59 * HISTORY_BUCKET_MS, healthy: 0, unhealthy: 2, abstain: 0, latencyMs: { mean: 300, max: 310 } }] },
      ],
    },
    ...over,
  };
}
const report = (over: Partial<StatusReport> & Record<string, unknown> = {}): StatusReport => ({ coordinator: 'aws', now: NOW, services: [service()], recent: [], ...over });

describe('status page: history, incidents, failing DNS, peer and refusals', () => {
  it('draws a latency line per vantage point (broken over gaps) and 60 availability bars per target', () => {
    const html = renderStatusPage([report()], NOW);
    const primaryChart = html.match(/<svg class="latency" data-target="primary"[\s\S]*?<\/svg>/)![0];
    expect(primaryChart.match(/<polyline /g)).toHaveLength(1); // minutes 0-2 joined; 30 and apac's 59 stand alone
    expect(primaryChart.match(/<circle /g)).toHaveLength(5);
    expect(primaryChart).toContain('data-vp="cloudflare:apac"');
    expect(primaryChart).toContain('mean 300 ms, worst 310 ms');
    const bars = html.match(/<svg class="bars" data-target="primary"[\s\S]*?<\/svg>/)![0];
    expect(bars.match(/<rect /g)).toHaveLength(HISTORY_BUCKETS);
    expect(bars.match(/class="bar up"/g)).toHaveLength(4);
    expect(bars.match(/class="bar down"/g)).toHaveLength(1);
    expect(html).toMatch(/data-target="primary"[\s\S]*?<span class="uptime"[^>]*>66\.6%<\/span>/);
    expect(html).toContain('no latency in the last hour'); // the secondary has none
    expect(html).not.toMatch(/<(link|img|iframe)\b|\bsrc=|https?:\/\//);
  });

  it('says since when a decided flip has failed to write DNS, in the banner and the card', () => {
    const failing = service({ pendingFlip: { to: 'secondary', epoch: 2, decidedAt: T0, attempts: 3, lastAttemptAt: T0 + 120_000, failingSince: T0 + 1_000 } });
    const html = renderStatusPage([report({ services: [failing] })], NOW);
    const since = new Date(T0 + 1_000).toISOString().replace('.000Z', 'Z');
    expect(html).toContain(`<p class="failing">DNS write failing since ${since} (aws): flip to secondary (epoch 2), 3 attempts`);
    expect(html).toContain('id="banner" class="banner bad">1 service cannot write DNS');
    expect(renderStatusPage([report()], NOW)).not.toContain('DNS write failing');
  });

  it('lists incidents with the evidence behind each, escaped', () => {
    const evidence = { tally: service().tally, votes: [{ vantagePoint: 'aws:us-east-1' as const, target: 'primary' as const, verdict: 'unhealthy' as const, fresh: true, observedAt: T0, receivedAt: T0, failure: 'timeout' as const }] };
    const html = renderStatusPage([report({ recent: [
      { at: T0 + 5_000, service: SVC, kind: 'decision', message: 'failing over <b>now</b>', evidence },
      { at: T0 + 6_000, service: SVC, kind: 'dns', message: 'DNS serves secondary' },
    ] })], NOW);
    const incidents = html.match(/<section id="incidents">[\s\S]*?<\/section>/)![0];
    expect(incidents.match(/<details /g)).toHaveLength(1);
    expect(incidents).toContain('failing over &#60;b&#62;now&#60;/b&#62;');
    expect(incidents).toMatch(/<td>aws:us-east-1<\/td><td>primary<\/td><td class="vote unhealthy">unhealthy<\/td><td>timeout<\/td>/);
    expect(incidents).toContain('primary 3/3 unhealthy; secondary 0/3 unhealthy');
  });

  it('renders the peer and refusal fields when status has them, and says when it has not', () => {
    const html = renderStatusPage([
      report({ peer: { coordinator: 'cloudflare', ok: false, checkedAt: T0, error: 'timed out <x>' }, refusals: { total: 4061, byReason: { bad_signature: 2000, unsigned: 2061 }, since: T0 } }),
      report({ coordinator: 'cloudflare' }),
    ], NOW);
    expect(html).toMatch(/<div class="peer" data-peer-ok="false"><b>peer cloudflare<\/b> <span class="badge disagree">UNHEALTHY<\/span>/);
    expect(html).toContain('error: timed out &#60;x&#62;');
    expect(html).toContain(`checkedAt: ${new Date(T0).toISOString().replace('.000Z', 'Z')}`);
    expect(html).toContain('<b>4061</b> refused requests since');
    expect(html).toContain(': unsigned 2061, bad_signature 2000');
    expect(html).toMatch(/data-coordinator="cloudflare"><h3>cloudflare <span class="badge agree">answering<\/span><\/h3><p class="muted">no peer or refusal data reported/);
  });
});
