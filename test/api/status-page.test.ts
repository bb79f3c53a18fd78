/**
 * The status page: rendered HTML (escaping, no external assets, no secrets), then opened in
 * headless Chromium (Debian's chromium driven by playwright-core) from the status server, with a
 * screenshot saved under docs/screenshots/ (not committed). UPDATE_SCREENSHOTS=1 also refreshes
 * docs/status-page.png, the README's picture, so ordinary runs leave the tree clean.
 */
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { renderStatusPage } from '#core/api/status-page.ts';
import type { StatusReport } from '#core/api/status.ts';
import { fetchStatus } from '../../cli/coordinator-client.ts';
import { startStatusServer } from '../../cli/status-server.ts';
import { loadConfig } from '#core/config/validate.ts';
import { MemoryZone } from '#core/dns/memory.ts';
import { HISTORY_BUCKETS, HISTORY_BUCKET_MS } from '#core/api/status-history.ts';
import type { ObservationBatch, VantagePoint } from '#core/model.ts';
import { OPERATOR, PROBE, SERVICE, TestClock, batch, keyBytes, makeCoordinator, startPair, testConfigInput } from '../support/coordinators.ts';
import { serveFetch } from '../support/serve-fetch.ts';
import { signRequest } from '#core/signing/lb1.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const screenshot = fileURLToPath(new URL('../../docs/screenshots/status-page.png', import.meta.url));
const readmePicture = fileURLToPath(new URL('../../docs/status-page.png', import.meta.url));

const report = (over: Partial<StatusReport> = {}): StatusReport => ({
  coordinator: 'aws', now: 1_700_000_000_000,
  services: [{
    service: SERVICE, active: 'primary', epoch: 0, changedAt: null, override: null, hold: null, pendingFlip: null,
    tally: { primary: { healthy: 1, unhealthy: 0, abstain: 0, stale: 0, fresh: 1 }, secondary: { healthy: 1, unhealthy: 0, abstain: 0, stale: 0, fresh: 1 } },
    votes: { 'aws:us-east-1': { primary: { verdict: 'healthy', ageSeconds: 3, fresh: true }, secondary: { verdict: 'healthy', ageSeconds: 3, fresh: true } } },
    lastDecision: null,
  }],
  recent: [{ at: 1_699_999_990_000, service: null, kind: 'rejected', message: 'refused POST /v1/override: <script>alert(1)</script>' }],
  ...over,
});

describe('renderStatusPage', () => {
  it('is self-contained and escapes everything it shows', () => {
    const html = renderStatusPage([report()], 1_700_000_000_000);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<(link|img|iframe)\b|\bsrc=|https?:\/\//);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('data-verdict="healthy"');
    expect(html).toContain("fetch('status.json'");
  });

  it('marks disagreement and unreachable coordinators', () => {
    const other = report({ coordinator: 'cloudflare' });
    const split = { ...other, services: [{ ...other.services[0]!, active: 'secondary' as const, epoch: 1 }] };
    const html = renderStatusPage([report(), split], 1_700_000_000_000, { unreachable: [{ coordinator: 'local', error: 'unreachable (ECONNREFUSED)' }] });
    expect(html).toContain('coordinators DISAGREE');
    expect(html).toContain('local unreachable');
  });
});

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) {
  // In CI a missing browser is a broken machine, not a reason to skip the check.
  describe('status page in headless Chromium', () => {
    it('needs Debian chromium at /usr/bin/chromium (apt-get install chromium)', () => {
      expect.fail(`${CHROMIUM} is missing: .ci/run must install the Debian chromium package`);
    });
  });
} else {
  describe.skipIf(!haveChromium)('status page in headless Chromium', () => {
    let browser: Browser | undefined;
    afterAll(async () => { await browser?.close(); });

    // Chromium's start-up on a loaded 2-core machine alone can take 10 s.
    it('shows the services, the vote grid and the timeline, and refreshes itself', { timeout: 90_000 }, async () => {
      const pair = await startPair();
      const credentials = { keyId: OPERATOR.id, secret: keyBytes(OPERATOR.hex), source: 'test' };
      const endpoints = [{ name: 'aws', url: pair.aws.served.url }, { name: 'cloudflare', url: pair.cloudflare.served.url }];
      const server = await startStatusServer({ load: () => fetchStatus(endpoints, credentials, { timeoutMs: 5_000 }), refreshMs: 1_000 });
      try {
        const vps = ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2', 'cloudflare:apac'] as const;
        // Two rounds one interval apart: nothing is decided in a coordinator's first interval (cold start).
        for (const round of [0, 1]) {
          if (round) pair.clock.advance(pair.config.probing.intervalSeconds * 1000);
          for (const vp of vps) {
            for (const c of [pair.aws, pair.cloudflare]) await c.coordinator.ingest(batch(vp, pair.clock.now(), vp === 'cloudflare:apac' ? 'healthy' : 'unhealthy'), 'probe-test');
          }
        }
        await pair.aws.coordinator.override({ service: SERVICE, action: 'freeze', reason: 'investigating the primary', by: OPERATOR.id, at: pair.clock.now(), until: pair.clock.now() + 3_600_000 });

        browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(server.url);
        const card = page.locator(`[data-service="${SERVICE}"]`);
        await expect.poll(() => card.isVisible()).toBe(true);
        expect(await card.locator('h2').innerText()).toContain(SERVICE);
        // The grid: one row per vantage point, a coloured cell per target.
        expect(await card.locator('table.grid tbody tr').count()).toBe(vps.length);
        expect(await card.locator('tr[data-vp="aws:us-east-1"] td[data-verdict="unhealthy"]').isVisible()).toBe(true);
        expect(await card.locator('tr[data-vp="cloudflare:apac"] td[data-verdict="healthy"]').count()).toBe(2);
        // Polled: the page re-renders every second, and a cell caught mid-swap has no style yet
        // (on a loaded machine most tries can land mid-swap: hence the longer timeout).
        await expect.poll(() => card.locator('td.unhealthy').first().evaluate((el) => getComputedStyle(el).backgroundColor), { timeout: 20_000 }).toBe('rgb(255, 196, 196)');
        // The timeline holds the failover decision and the override.
        const timeline = page.locator('#timeline');
        expect(await timeline.isVisible()).toBe(true);
        expect(await timeline.innerText()).toMatch(/decision[\s\S]*failing over to secondary/);
        expect(await page.locator('#overrides').innerText()).toContain('freeze by ops-alice');
        expect(await page.locator('#agreement').innerText()).toBe('coordinators disagree or are missing');
        await page.screenshot({ path: screenshot, fullPage: true });
        expect(statSync(screenshot).size).toBeGreaterThan(10_000);

        // It refreshes itself: clear the override on aws and wait for the page to notice.
        await pair.aws.coordinator.override({ service: SERVICE, action: 'auto', reason: 'done', by: OPERATOR.id, at: pair.clock.now() });
        await expect.poll(() => page.locator('#overrides').innerText(), { timeout: 8_000 }).toContain('none: automation decides');
        expect(await page.locator('#agreement').innerText()).toBe('all coordinators agree');
        expect(errors).toEqual([]);
        // Nothing secret reached the browser.
        expect(await page.content()).not.toContain(OPERATOR.hex);
      } finally {
        await server.close();
        await pair.close();
      }
    });

    it('draws an hour of signed rounds: latency per vantage point, availability bars, the failing DNS write and its incident', { timeout: 120_000 }, async () => {
      // The aws coordinator's DNS credentials are wrong (every write refused); cloudflare's work.
      // One round a minute, as many deployments run.
      const config = loadConfig(testConfigInput({ probing: { intervalSeconds: 60, recheckDelayMs: 1_000, controlUrls: [] } }));
      const clock = new TestClock(Date.now() - (HISTORY_BUCKETS - 2) * HISTORY_BUCKET_MS);
      const denied = (call: 'read' | 'apply') => { if (call === 'apply') throw new Error('AccessDenied: route53:ChangeResourceRecordSets'); };
      const aws = makeCoordinator('aws', config, new MemoryZone('example.com'), clock, undefined, denied);
      const cloudflare = makeCoordinator('cloudflare', config, new MemoryZone('example.com'), clock);
      const served = [await serveFetch((r) => aws.app.fetch(r)), await serveFetch((r) => cloudflare.app.fetch(r))];
      const endpoints = [{ name: 'aws', url: served[0]!.url }, { name: 'cloudflare', url: served[1]!.url }];
      const credentials = { keyId: OPERATOR.id, secret: keyBytes(OPERATOR.hex), source: 'test' };
      // Status is read with the coordinators' clock: the hour is simulated, the signatures real.
      const server = await startStatusServer({ load: () => fetchStatus(endpoints, credentials, { timeoutMs: 10_000, now: clock.now }), refreshMs: 600_000, now: clock.now }); // no swap mid-check: the other test covers refresh
      const vps: readonly VantagePoint[] = ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2', 'cloudflare:apac'];
      const base: Record<string, number> = { 'aws:us-east-1': 25, 'aws:eu-west-1': 90, 'aws:ap-northeast-2': 180, 'cloudflare:apac': 140 };
      const post = async (url: string, body: ObservationBatch) => {
        const bytes = new TextEncoder().encode(JSON.stringify(body));
        const headers = await signRequest({ method: 'POST', path: '/v1/observations', body: bytes, keyId: PROBE.id, secret: keyBytes(PROBE.hex), now: clock.now() });
        const res = await fetch(`${url}/v1/observations`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: bytes });
        expect(res.status).toBe(200);
      };
      try {
        // 55 minutes of rounds through the signed API; the primary dies at minute 45 for 3 of 4 VPs.
        for (let minute = 0; minute < 55; minute++) {
          for (const vp of vps) {
            const down = minute >= 45 && vp !== 'cloudflare:apac';
            const b = batch(vp, clock.now(), down ? 'unhealthy' : 'healthy');
            const jitter = (minute * 7 + vp.length * 13) % 23;
            const body = { ...b, results: b.results.map((r) => ({ ...r, latencyMs: r.target === 'primary' ? (down ? 2_000 : base[vp]! + jitter) : base[vp]! + 10 + jitter })) };
            for (const url of [served[0]!.url, served[1]!.url]) await post(url, body);
          }
          clock.advance(HISTORY_BUCKET_MS);
        }
        for (const c of [aws, cloudflare]) await c.coordinator.tick(); // aws retries its write, and fails again

        browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
        await page.goto(server.url);
        const card = page.locator(`[data-service="${SERVICE}"]`);
        await expect.poll(() => card.isVisible()).toBe(true);
        // One line per vantage point on the primary's latency chart, drawn (non-zero size).
        const chart = card.locator('svg.latency[data-target="primary"]');
        expect(await chart.locator('g[data-vp]').count()).toBe(vps.length);
        expect(await chart.locator('polyline').count()).toBeGreaterThanOrEqual(vps.length);
        const box = await chart.boundingBox();
        expect(box!.width).toBeGreaterThan(400);
        // 60 one-minute bars per target; the primary's last minutes red, the secondary's all green where voted.
        const bars = card.locator('svg.bars[data-target="primary"] rect');
        expect(await bars.count()).toBe(HISTORY_BUCKETS);
        expect(await card.locator('svg.bars[data-target="primary"] rect.down').count()).toBeGreaterThanOrEqual(9);
        expect(await card.locator('svg.bars[data-target="secondary"] rect.down').count()).toBe(0);
        expect(await card.locator('svg.bars[data-target="primary"] rect.down').first().evaluate((el) => getComputedStyle(el).fill)).toBe('rgb(214, 40, 57)');
        expect(await card.locator('.avail[data-target="primary"] .uptime').innerText()).toMatch(/^\d+\.\d%$/);
        // The failed write: in the banner and on the card, since the first failed attempt.
        expect(await page.locator('#banner').innerText()).toBe('1 service cannot write DNS');
        const failingText = await card.locator('.failing').innerText(); expect(failingText, failingText).toMatch(/^DNS write failing since \d{4}-\d\d-\d\dT[\d:.]+Z \(aws\): flip to secondary \(epoch 1\), \d+ attempts?, last /);
        // The incident, with the vantage points that voted for it.
        const incident = page.locator('#incidents details.kind-decision').first();
        expect(await incident.locator('summary').innerText()).toContain('failing over to secondary');
        expect(await incident.locator('table.ev tbody tr').count()).toBeGreaterThanOrEqual(vps.length);
        await page.screenshot({ path: screenshot, fullPage: true });
        expect(statSync(screenshot).size).toBeGreaterThan(30_000);
        if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(screenshot, readmePicture);
        expect(errors).toEqual([]);
      } finally {
        await server.close();
        for (const s of served) await s.close();
      }
    });
  });
}
