/**
 * The end-to-end fault matrix (issue 7): each case runs the real system on loopback and is
 * judged by real DNS queries to the embedded server. Also `npm run e2e`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { INTERVAL_S, PRIMARY_IP, SECONDARY_IP, SERVICE, startE2E, steady, waitFor, type E2E } from './harness.ts';
import type { ObservationBatch } from '#core/model.ts';

const signScript = fileURLToPath(new URL('../../docs/sign-request.sh', import.meta.url));
// Async: the AWS coordinator's function URL is served by this very process.
const run = promisify(execFile);
const intervals = (n: number) => n * INTERVAL_S * 1000;
let e: E2E | undefined;

afterEach(async () => {
  await e?.stop();
  e = undefined;
});

const onSecondary = async () => (await e!.answer()).join() === SECONDARY_IP;
const seesPrimaryHealthy = (batch: ObservationBatch) => batch.results.some((r) => r.service === SERVICE && r.target === 'primary' && r.verdict === 'healthy');

describe('end to end, judged by DNS', () => {
  it('primary stops: failover, one change', async () => {
    e = await startE2E();
    await steady(e);
    expect(await e.answer()).toEqual([PRIMARY_IP]);
    await e.primary().stop();
    const ms = await waitFor('DNS to serve the secondary', onSecondary, intervals(8));
    expect(ms).toBeLessThan(intervals(8));
    expect(await e.stateRecord()).toMatchObject({ active: 'secondary', epoch: 1 });
  });

  for (const killed of ['cloudflare', 'aws'] as const) {
    it(`primary stops while the ${killed} coordinator is dead: the other side alone fails over`, async () => {
      e = await startE2E();
      await steady(e);
      await e.run.stopCoordinator(killed);
      await e.primary().stop();
      await waitFor('DNS to serve the secondary', onSecondary, intervals(10));
      const [report] = await e.status();
      expect(report!.coordinator).not.toBe(killed);
      expect(report!.services[0]).toMatchObject({ active: 'secondary', lastDecision: { cause: 'primary-unhealthy' } });
    });
  }

  it("all Cloudflare-side probes see failures while AWS's see health: no failover", async () => {
    const refused = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes(PRIMARY_IP)) throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
      return fetch(input, init);
    }) as typeof fetch;
    e = await startE2E({}, { fetchFor: (vp) => (vp.startsWith('cloudflare:') ? refused : fetch) });
    await waitFor('both coordinators to see the split', async () => {
      const reports = await e!.status().catch(() => []);
      return reports.length === 2 && reports.every((r) => r.services[0]!.tally.primary.unhealthy === 3 && r.services[0]!.tally.primary.healthy === 3);
    });
    // Five more evaluations of every vantage point's batch by both coordinators: past failAfter
    // (2) and the failover bound (interval x (failAfter + 1)), so a wrong failover would be in DNS.
    await e.afterRounds(5, 'the split evaluated');
    expect(await e.answer()).toEqual([PRIMARY_IP]);
    for (const r of await e.status()) expect(r.services[0]).toMatchObject({ active: 'primary', epoch: 0, lastDecision: null });
  });

  it('a coordinator restarted mid-incident: no lost or repeated decision', async () => {
    e = await startE2E();
    await steady(e);
    await e.run.stopCoordinator('cloudflare'); // the AWS side alone, so the restart matters
    await e.primary().stop();
    await waitFor('the AWS coordinator to start its failover streak', async () => (await e!.status())[0]!.services[0]!.tally.primary.unhealthy >= 3, intervals(5), 100);
    await e.run.stopCoordinator('aws');
    await e.run.startCoordinator('aws'); // a new Lambda container on the same table
    await waitFor('DNS to serve the secondary', onSecondary, intervals(10));
    // A repeated decision would come from the next batches or ticks: let three rounds be evaluated.
    await e.afterRounds(3, 'the failover settled');
    expect(await e.stateRecord()).toMatchObject({ active: 'secondary', epoch: 1 });
    expect((await e.status())[0]!.services[0]).toMatchObject({ active: 'secondary', epoch: 1, pendingFlip: null });
  });

  it('primary recovers: no failback under manual', async () => {
    // recoverAfter and minDwell as short as the auto case below, so only `manual` keeps DNS put.
    e = await startE2E({ failback: 'manual', recoverAfterSeconds: 4, minDwellSeconds: 0 });
    await steady(e);
    await e.primary().stop();
    await waitFor('DNS to serve the secondary', onSecondary, intervals(8));
    await e.primary().start();
    // Six rounds that see the primary healthy, evaluated by both: past recoverAfter (2 intervals)
    // plus failAfter and slack, when `auto` would have failed back.
    await e.afterRounds(6, 'the recovered primary evaluated', { where: seesPrimaryHealthy });
    expect(await e.answer()).toEqual([SECONDARY_IP]);
  });

  it('primary recovers: failback after recoverAfter under auto', async () => {
    e = await startE2E({ failback: 'auto', recoverAfterSeconds: 6, minDwellSeconds: 0 });
    await steady(e);
    await e.primary().stop();
    await waitFor('DNS to serve the secondary', onSecondary, intervals(8));
    await e.primary().start();
    const back = await waitFor('DNS to serve the primary again', async () => (await e!.answer()).join() === PRIMARY_IP, intervals(12));
    expect(back).toBeGreaterThanOrEqual(5_000); // not before recoverAfter (6 s, less polling slack)
    expect(await e.stateRecord()).toMatchObject({ active: 'primary', epoch: 2 });
  });

  it('a signed override from curl + openssl flips DNS at once; its replay is refused', async () => {
    e = await startE2E();
    await steady(e);
    const aws = e.run.coordinators().find((c) => c.name === 'aws')!;
    const body = join(e.dir, 'override.json');
    writeFileSync(body, JSON.stringify({ service: SERVICE, action: 'force-secondary', reason: 'e2e: drill from curl' }));
    const env = { ...process.env, KEY_ID: e.run.operator.keyId, SECRET_HEX: Buffer.from(e.run.operator.secret).toString('hex') };
    const headers = (await run('bash', [signScript, 'POST', '/v1/override', body], { env })).stdout.trim().split('\n');
    const curl = async () => (await run('curl', ['--silent', '--show-error', '--max-time', '10', '--write-out', '\n%{http_code}', ...headers.flatMap((h) => ['--header', h]),
      '--header', 'Content-Type: application/json', '--data-binary', `@${body}`, `${aws.url}/v1/override`])).stdout;
    const [answer, status] = (await curl()).split('\n');
    expect(status).toBe('200');
    expect(JSON.parse(answer!)).toMatchObject({ active: 'secondary', dns: [{ provider: 'embedded', outcome: 'applied' }] });
    expect(await e.answer()).toEqual([SECONDARY_IP]); // at once: no waiting
    const [replayed, replayStatus] = (await curl()).split('\n');
    expect(replayStatus).toBe('401');
    expect(JSON.parse(replayed!)).toMatchObject({ error: 'replayed_nonce' });
  });
});
