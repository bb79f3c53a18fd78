import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import type { Notifier, NotifyAction } from '#core/coordinator/coordinator.ts';
import { MemoryZone } from '#core/dns/memory.ts';
import { stateRecordName, encodeStateRecord } from '#core/dns/state-record.ts';
import type { ObservationBatch, Verdict } from '#core/model.ts';
import { jsonLogger } from '#core/log.ts';
import { WebhookConfigError, WebhookNotifier, webhookNotifierFromConfig, webhookTargets, type WebhookMessage } from '#core/notify/webhook.ts';
import { SECONDARY_IP, SERVICE, TestClock, makeCoordinator, servedAddress, testConfigInput } from '../support/coordinators.ts';

interface Hook {
  url: string;
  received: { body: WebhookMessage; idempotencyKey: string | undefined }[];
  attempts: number;
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) { s.closeAllConnections(); await new Promise((r) => s.close(r)); }
});

/** A loopback webhook: answers `statuses` in turn (then 200), or never answers when `hang`. */
async function webhook(statuses: number[] = [], hang = false): Promise<Hook> {
  const hook = { received: [], attempts: 0 } as unknown as Hook;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hook.attempts++;
      if (hang) return;
      const status = statuses.shift() ?? 200;
      if (status === 200) hook.received.push({ body: JSON.parse(Buffer.concat(chunks).toString()), idempotencyKey: req.headers['idempotency-key'] as string | undefined });
      res.writeHead(status).end('ok');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/SECRETPART`;
  return hook;
}

const note = (event: NotifyAction['event'] = 'failover'): NotifyAction => ({ type: 'notify', event, service: SERVICE, key: `${SERVICE}#1#${event}`, text: `${SERVICE}: failing over to secondary` });

function notifier(urls: string[], logs: string[] = [], extra: Partial<ConstructorParameters<typeof WebhookNotifier>[0]> = {}) {
  return new WebhookNotifier({
    webhooks: urls.map((url) => ({ url })), coordinator: 'aws', fetch, clock: { now: () => 1_700_000_000_000 },
    logger: jsonLogger((l) => logs.push(l), {}, 'debug'), baseDelayMs: 10, attemptTimeoutMs: 300, budgetMs: 2_000, random: () => 0.5, ...extra,
  });
}

describe('WebhookNotifier', () => {
  it('posts a Slack-compatible text with event, service and idempotency key', async () => {
    const hook = await webhook();
    await notifier([hook.url]).send(note());
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.body).toMatchObject({ event: 'failover', service: SERVICE, key: `${SERVICE}#1#failover`, coordinator: 'aws', at: '2023-11-14T22:13:20.000Z' });
    expect(hook.received[0]!.body.text).toContain('failing over to secondary');
    expect(hook.received[0]!.idempotencyKey).toBe(`${SERVICE}#1#failover`);
  });

  it('retries 5xx and 429 with backoff, at most 3 attempts', async () => {
    const flaky = await webhook([503, 429]);
    await notifier([flaky.url]).send(note());
    expect(flaky.attempts).toBe(3);
    expect(flaky.received).toHaveLength(1);
    const dead = await webhook([500, 500, 500, 500]);
    const logs: string[] = [];
    await notifier([dead.url], logs).send(note());
    expect(dead.attempts).toBe(3);
    expect(logs.join('\n')).toMatch(/notification not delivered.*HTTP 500/);
  });

  it('does not retry a 4xx that retrying cannot fix', async () => {
    const gone = await webhook([404]);
    await notifier([gone.url]).send(note());
    expect(gone.attempts).toBe(1);
  });

  it('gives up on a webhook that never answers within the budget, and never logs its URL', async () => {
    const hang = await webhook([], true);
    const logs: string[] = [];
    const started = Date.now();
    await notifier([hang.url], logs, { attemptTimeoutMs: 5_000, budgetMs: 400 }).send(note());
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(logs.join('\n')).toContain('notification not delivered');
    expect(logs.join('\n')).not.toContain('SECRETPART');
    expect(logs.join('\n')).not.toContain('127.0.0.1');
  });

  it('sends each webhook only the events it asked for', async () => {
    const all = await webhook();
    const some = await webhook();
    const n = new WebhookNotifier({
      webhooks: [{ url: all.url }, { url: some.url, events: ['failover'] }], coordinator: 'aws', fetch, clock: { now: Date.now }, logger: jsonLogger(() => {}),
    });
    await n.send(note('hold'));
    await n.send(note('failover'));
    expect(all.received.map((r) => r.body.event)).toEqual(['hold', 'failover']);
    expect(some.received.map((r) => r.body.event)).toEqual(['failover']);
  });

  it('resolves urlFromEnv, naming the variable (never a value) when it is missing', () => {
    const config = loadConfig(testConfigInput({ notifications: { webhooks: [{ urlFromEnv: 'LIFEBOAT_SLACK_URL', events: ['failover'] }, { url: 'https://hooks.example.com/x' }] } }));
    expect(webhookTargets(config, { LIFEBOAT_SLACK_URL: 'https://hooks.slack.com/services/T/B/X' })).toEqual([
      { url: 'https://hooks.slack.com/services/T/B/X', events: ['failover'] }, { url: 'https://hooks.example.com/x' },
    ]);
    expect(() => webhookTargets(config, {})).toThrow(WebhookConfigError);
    expect(() => webhookTargets(config, {})).toThrow(/LIFEBOAT_SLACK_URL is not set/);
    const deps = { coordinator: 'aws', fetch, clock: { now: Date.now }, logger: jsonLogger(() => {}) };
    expect(webhookNotifierFromConfig(loadConfig(testConfigInput()), {}, deps)).toBeUndefined();
    expect(webhookNotifierFromConfig(config, { LIFEBOAT_SLACK_URL: 'https://hooks.slack.com/services/T/B/X' }, deps)).toBeInstanceOf(WebhookNotifier);
    expect(() => loadConfig(testConfigInput({ notifications: { webhooks: [{}] } }))).toThrow(/notifications.webhooks\[0\].url: give exactly one of url or urlFromEnv/);
  });
});

function downRound(vantagePoint: 'aws:us-east-1' | 'aws:eu-west-1' | 'aws:ap-northeast-2', at: number, primary: Verdict): ObservationBatch {
  return {
    vantagePoint, round: at, sentAt: at, controlOk: true,
    results: [
      { service: SERVICE, target: 'primary', verdict: primary, observedAt: at },
      { service: SERVICE, target: 'secondary', verdict: 'healthy', observedAt: at },
    ],
  };
}

describe('notifications from two coordinators', () => {
  it('send exactly one failover message per incident: only the DNS compare-and-swap winner notifies', async () => {
    const hook = await webhook();
    const config = loadConfig(testConfigInput());
    const zone = new MemoryZone('example.com');
    const clock = new TestClock(1_700_000_000_000);
    const [a, b] = ['aws', 'cloudflare'].map((name) => makeCoordinator(name, config, zone, clock, notifier([hook.url])));
    // Two rounds one interval apart: nothing is decided in a coordinator's first interval (cold start).
    for (const round of [0, 1]) {
      if (round) clock.advance(config.probing.intervalSeconds * 1000);
      for (const vp of ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2'] as const) {
        // Every VP posts to both coordinators at once, as in production.
        await Promise.all([a!.coordinator.ingest(downRound(vp, clock.now(), 'unhealthy'), 'probe'), b!.coordinator.ingest(downRound(vp, clock.now(), 'unhealthy'), 'probe')]);
      }
    }
    expect(servedAddress(zone)).toBe(SECONDARY_IP);
    expect((await a!.store.get(SERVICE))!.value.active).toBe('secondary');
    expect((await b!.store.get(SERVICE))!.value.active).toBe('secondary');
    expect(hook.received.map((r) => r.body.event)).toEqual(['failover']);
    expect(hook.received[0]!.body.key).toBe(`${SERVICE}#1#failover`);
  });

  it('send one override message when both coordinators apply the same forced change', async () => {
    const hook = await webhook();
    const config = loadConfig(testConfigInput());
    const zone = new MemoryZone('example.com');
    const clock = new TestClock();
    const [a, b] = ['aws', 'cloudflare'].map((name) => makeCoordinator(name, config, zone, clock, notifier([hook.url])));
    const cmd = { service: SERVICE, action: 'force-secondary' as const, reason: 'drill', by: 'ops-alice', at: clock.now() };
    await Promise.all([a!.coordinator.override(cmd), b!.coordinator.override(cmd)]);
    expect(hook.received.map((r) => r.body.event)).toEqual(['override']);
  });

  it('a dead webhook neither delays nor stops the DNS change', async () => {
    const hang = await webhook([], true);
    const config = loadConfig(testConfigInput());
    const zone = new MemoryZone('example.com');
    const clock = new TestClock();
    const inner = notifier([hang.url], [], { budgetMs: 300, attemptTimeoutMs: 10_000 });
    const servedWhenNotified: (string | undefined)[] = [];
    const spy: Notifier = { send: (n) => { servedWhenNotified.push(servedAddress(zone)); return inner.send(n); } };
    const { coordinator } = makeCoordinator('aws', config, zone, clock, spy);
    const started = Date.now();
    const { state, flip } = await coordinator.override({ service: SERVICE, action: 'force-secondary', reason: 'drill', by: 'ops-alice', at: clock.now() });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(state.active).toBe('secondary');
    expect(flip?.results[0]).toMatchObject({ ok: true, outcome: 'applied' });
    expect(servedWhenNotified).toEqual([SECONDARY_IP]);
    expect(hang.attempts).toBeGreaterThanOrEqual(1);
  });

  it('tell people when DNS shows another target than the coordinator decided (disagreement)', async () => {
    const hook = await webhook();
    const config = loadConfig(testConfigInput());
    const zone = new MemoryZone('example.com');
    const clock = new TestClock();
    // The other coordinator writes "primary, epoch 7" between this one's read and its write.
    let interfered = false;
    const { coordinator } = makeCoordinator('aws', config, zone, clock, notifier([hook.url]), (call) => {
      if (call !== 'apply' || interfered) return;
      interfered = true;
      zone.write([{ name: stateRecordName(SERVICE), type: 'TXT', ttl: 5, values: [encodeStateRecord({ active: 'primary', epoch: 7, at: 1 })] }]);
    });
    await coordinator.override({ service: SERVICE, action: 'force-secondary', reason: 'drill', by: 'ops-alice', at: clock.now() });
    const events = hook.received.map((r) => r.body);
    expect(events.find((e) => e.event === 'disagreement')).toMatchObject({ key: `${SERVICE}#1#disagreement` });
    expect(events.find((e) => e.event === 'disagreement')!.text).toMatch(/decided secondary \(epoch 1\) but DNS showed another target: embedded example.com serves primary \(epoch 7\)/);
    expect(servedAddress(zone)).toBe(SECONDARY_IP);
  });
});
