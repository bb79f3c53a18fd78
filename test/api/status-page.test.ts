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
import { OPERATOR, SERVICE, batch, keyBytes, startPair } from '../support/coordinators.ts';

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

    it('shows the services, the vote grid and the timeline, and refreshes itself', async () => {
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
        // Polled: the page re-renders every second, and a cell caught mid-swap has no style yet.
        await expect.poll(() => card.locator('td.unhealthy').first().evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 196, 196)');
        // The timeline holds the failover decision and the override.
        const timeline = page.locator('#timeline');
        expect(await timeline.isVisible()).toBe(true);
        expect(await timeline.innerText()).toMatch(/decision[\s\S]*failing over to secondary/);
        expect(await page.locator('#overrides').innerText()).toContain('freeze by ops-alice');
        expect(await page.locator('#agreement').innerText()).toBe('coordinators disagree or are missing');
        await page.screenshot({ path: screenshot, fullPage: true });
        expect(statSync(screenshot).size).toBeGreaterThan(10_000);
        if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(screenshot, readmePicture);

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
  });
}
