/**
 * Data-plane mode: both coordinators decide and "apply" (each its own verdict page), so both send
 * the failover notice. It is one notice for receivers: the same idempotency key
 * (`service#epoch#event`, the webhook's `idempotency-key` header and `key` field), whoever sends it.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { NotifyAction } from '#core/coordinator/coordinator.ts';
import { createCoordinatorApp } from '#core/coordinator/compose.ts';
import { MemoryStateStore } from '#core/coordinator/store.ts';
import type { VantagePoint } from '#core/model.ts';
import { webhookMessage } from '#core/notify/webhook.ts';
import { silentLogger } from '#core/ports.ts';
import { staticKeyResolver } from '#core/signing/keys.ts';
import { MemoryNonceStore } from '#core/signing/nonce-store.ts';
import { batch, keyBytes, OPERATOR, PROBE, SERVICE, testConfigInput, TestClock } from '../support/coordinators.ts';

const input = testConfigInput();
const config: LifeboatConfig = loadConfig({
  ...input,
  services: input.services.map((s) => ({ ...s, mode: 'data-plane', dns: [{ provider: 'route53', hostedZoneId: 'Z0123456789ABC', ttl: 60 }] })),
});
const VPS: VantagePoint[] = ['aws:us-east-1', 'aws:eu-west-1', 'aws:ap-northeast-2', 'cloudflare:apac'];

function side(name: string, clock: TestClock) {
  const sent: NotifyAction[] = [];
  const { coordinator } = createCoordinatorApp({
    name, config, store: new MemoryStateStore(), nonces: new MemoryNonceStore(), clock, logger: silentLogger,
    keys: staticKeyResolver([{ id: PROBE.id, scope: 'probe', secret: keyBytes(PROBE.hex) }, { id: OPERATOR.id, scope: 'operator', secret: keyBytes(OPERATOR.hex) }]),
    dnsProvider: () => { throw new Error('data-plane mode builds no DNS provider'); },
    dataPlaneSecret: keyBytes('5a'.repeat(32)),
    notifier: { send: async (n) => { sent.push(n); } },
  });
  return { name, coordinator, sent };
}

describe('data-plane notices', () => {
  it('both coordinators notify the failover and the failback under the same key, so receivers keep one', async () => {
    const clock = new TestClock();
    const aws = side('aws', clock);
    const cf = side('cloudflare', clock);
    // The same probes' batches reach both (each probe sends to both coordinators).
    for (let round = 0; round < 3; round++) {
      for (const vp of VPS) for (const c of [aws, cf]) await c.coordinator.ingest(batch(vp, clock.at, 'unhealthy'), PROBE.id);
      clock.advance(config.probing.intervalSeconds * 1000);
    }
    for (const c of [aws, cf]) await c.coordinator.override({ service: SERVICE, action: 'force-primary', reason: 'fixed', by: OPERATOR.id, at: clock.at });
    const keys = (c: typeof aws) => c.sent.filter((n) => n.event === 'failover' || n.event === 'failback' || n.event === 'override').map((n) => n.key);
    expect(keys(aws).length).toBeGreaterThanOrEqual(2);
    expect(keys(cf)).toEqual(keys(aws));
    const failover = aws.sent.find((n) => n.event === 'failover')!;
    expect(failover.key).toMatch(new RegExp(`^${SERVICE.replaceAll('.', '\\.')}#\\d+#failover$`));
    // What a webhook receives: the same key, only the sender and the time differ.
    const a = webhookMessage(failover, 'aws', 1);
    const b = webhookMessage(cf.sent.find((n) => n.event === 'failover')!, 'cloudflare', 2);
    expect(b.key).toBe(a.key);
    expect(b.coordinator).not.toBe(a.coordinator);
  });
});
