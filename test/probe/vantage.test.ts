/**
 * core's one vantage round, as every runtime runs it: probe (recheck, control check), sign, post
 * to every coordinator, summarise in one log line. Timers run in virtual time, so deadlines are
 * exact and the test takes no real seconds.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import { jsonLogger } from '#core/log.ts';
import type { Fetch } from '#core/ports.ts';
import { runVantageRound, NO_COORDINATORS_MESSAGE, type VantageDeps, type VantageSummary } from '#core/probe/vantage.ts';
import { hmacSigner } from '#core/signing/signer.ts';
import { VirtualTime } from '#core/simulate/virtual-time.ts';

const START = 1_700_000_000_000;
const config = loadConfig({
  services: [{
    name: 'app.example.com',
    primary: { url: 'https://primary.example', a: ['192.0.2.1'] },
    secondary: { url: 'https://secondary.example', a: ['192.0.2.2'] },
    healthCheck: { type: 'http', path: '/health', timeoutMs: 5_000 },
    dns: [{ provider: 'embedded' }],
  }],
  vantagePoints: { aws: ['eu-west-1'] },
  probing: { intervalSeconds: 10, recheckDelayMs: 1_000, controlUrls: ['https://control.example/'] },
  keys: [{ id: 'probe-aws', scope: 'probe', speaksFor: ['aws'] }],
});
const ENDPOINTS = [{ name: 'aws', url: 'https://aws.example' }, { name: 'cloudflare', url: 'https://cf.example' }];

type Answer = 'ok' | 503 | 'silent';

/** Targets answer as told after 40 ms of virtual time; coordinators accept after 10 ms. */
function world(time: VirtualTime, answers: Record<string, Answer>): { fetch: Fetch; posted: string[] } {
  const posted: string[] = [];
  const fetch: Fetch = async (input, init) => {
    const url = new URL(String(input));
    const signal = init?.signal ?? undefined;
    if (url.pathname === '/v1/observations') {
      await time.sleep(10, signal);
      posted.push(url.origin);
      return new Response('{}');
    }
    const answer = answers[url.origin] ?? 'ok';
    if (answer === 'silent') return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    await time.sleep(40, signal);
    return new Response(null, { status: answer === 'ok' ? 200 : answer });
  };
  return { fetch, posted };
}

async function round(answers: Record<string, Answer>, extra: Partial<VantageDeps> = {}, endpoints = ENDPOINTS) {
  const time = new VirtualTime(START);
  const { fetch, posted } = world(time, answers);
  const lines: Record<string, unknown>[] = [];
  let summary: VantageSummary | undefined;
  const hmac = hmacSigner('probe-aws', new Uint8Array(32));
  time.spawn(async () => {
    summary = await runVantageRound({ config, vantagePoint: 'aws:eu-west-1', round: 3, endpoints }, {
      fetch, sleep: time.sleep, timer: time.sleep, clock: { now: () => time.now },
      // WebCrypto is real asynchronous work: tracked, so virtual time waits for it.
      signer: (request) => time.track(hmac(request)), logger: jsonLogger((l) => lines.push(JSON.parse(l) as Record<string, unknown>), {}, 'debug'), ...extra,
    });
  });
  await time.run(START + 60_000);
  return { summary: summary!, posted, lines };
}

describe('runVantageRound', () => {
  it('probes every target, posts the batch to every coordinator and logs the round in one line', async () => {
    const { summary, posted, lines } = await round({ 'https://primary.example': 503 });
    expect(summary.batch).toMatchObject({ vantagePoint: 'aws:eu-west-1', round: 3, controlOk: true });
    expect(summary.batch.results.map((r) => [r.target, r.verdict, r.failure])).toEqual([['primary', 'unhealthy', 'status'], ['secondary', 'healthy', undefined]]);
    expect(posted.sort()).toEqual(['https://aws.example', 'https://cf.example']);
    expect(summary.posts.map((p) => [p.coordinator, p.ok])).toEqual([['aws', true], ['cloudflare', true]]);
    expect(summary.counts).toEqual({ healthy: 1, unhealthy: 1, abstain: 0, postsOk: 2, postsFailed: 0 });
    const done = lines.filter((l) => l.message === 'round done');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ level: 'info', vantagePoint: 'aws:eu-west-1', round: 3, controlOk: true, unhealthy: 1, healthy: 1, posted: ['aws:200', 'cloudflare:200'] });
  });

  it('abstains, through the real control check, when nothing answers', async () => {
    const { summary } = await round({ 'https://primary.example': 'silent', 'https://secondary.example': 'silent', 'https://control.example': 'silent' });
    expect(summary.batch.controlOk).toBe(false);
    expect(summary.batch.results.map((r) => r.verdict)).toEqual(['abstain', 'abstain']);
    expect(summary.counts).toMatchObject({ abstain: 2, postsOk: 2 });
  });

  it('cuts a recheck short so probing leaves the posts their time inside the interval', async () => {
    // Interval 10 s, posts 3 s: probing must end by 7 s. The silent primary times out at 5 s,
    // the recheck starts at 6 s and gets the 1 s left, not another 5 s.
    const { summary } = await round({ 'https://primary.example': 'silent' });
    const primary = summary.batch.results.find((r) => r.target === 'primary')!;
    expect(primary).toMatchObject({ verdict: 'unhealthy', failure: 'timeout', latencyMs: 1_000 });
    expect(primary.observedAt).toBe(START + 7_000);
    expect(summary.batch.sentAt).toBe(START + 7_000);
  });

  it('never cuts a recheck below 1 s', async () => {
    const { summary } = await round({ 'https://primary.example': 'silent' }, { postTimeoutMs: 9_500 });
    const primary = summary.batch.results.find((r) => r.target === 'primary')!;
    expect(primary).toMatchObject({ failure: 'timeout', latencyMs: 1_000 });
    expect(primary.observedAt).toBe(START + 7_000);
  });

  it('posts nothing when stopped while probing, and says so when no coordinator is configured', async () => {
    const stopped = new AbortController();
    stopped.abort();
    const quiet = await round({}, { signal: stopped.signal });
    expect(quiet.posted).toEqual([]);
    expect(quiet.summary.posts).toEqual([]);
    const nowhere = await round({}, {}, []);
    expect(nowhere.lines).toEqual(expect.arrayContaining([expect.objectContaining({ level: 'error', message: NO_COORDINATORS_MESSAGE })]));
  });
});
