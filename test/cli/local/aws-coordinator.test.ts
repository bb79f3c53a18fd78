/**
 * The local AWS coordinator's stop() must wait for the handler invocations it started (the
 * scheduled ticks, the function URL's requests): a tick still writing when dynalite closes threw
 * an uncaught "Database is closed" in the end-to-end teardown.
 */
import { expect, it } from 'vitest';
import { loadConfig } from '#core/config/validate.ts';
import { MemoryDnsProvider, MemoryZone } from '#core/dns/memory.ts';
import { jsonLogger } from '#core/log.ts';
import { startAwsCoordinator, startLocalDynamo } from '../../../cli/local/aws-coordinator.ts';

const config = loadConfig({
  services: [{
    name: 'shop.e2e.test',
    primary: { url: 'http://127.0.0.31:18080', a: ['127.0.0.31'] },
    secondary: { url: 'http://127.0.0.32:18080', a: ['127.0.0.32'] },
    healthCheck: { type: 'http', path: '/healthz' },
    dns: [{ provider: 'embedded', ttl: 1 }],
  }],
  vantagePoints: { aws: ['us-east-1'], cloudflare: ['apac'] },
  probing: { intervalSeconds: 2, controlUrls: [] },
  keys: [{ id: 'e2e-probe', scope: 'probe', speaksFor: ['aws', 'cloudflare'] }, { id: 'e2e-operator', scope: 'operator' }],
});

it('stop() returns only after its in-flight ticks, so the store can close right after', async () => {
  const uncaught: unknown[] = [];
  const record = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  const lines: string[] = [];
  try {
    // Several timings, so a stop lands both between ticks and inside one.
    for (const afterMs of [0, 3, 7, 15, 30]) {
      const dynamo = await startLocalDynamo();
      const aws = await startAwsCoordinator({
        config, dynamo, tickMs: 2,
        keySecrets: { 'e2e-probe': 'ab'.repeat(32), 'e2e-operator': 'cd'.repeat(32) },
        embedded: new MemoryDnsProvider(new MemoryZone('e2e.test')),
        logger: jsonLogger((l) => lines.push(l), {}, 'warn'),
      });
      await new Promise((r) => setTimeout(r, afterMs));
      await aws.stop();
      await dynamo.stop();
    }
    // An error from a tick that outlived its store would surface on a later turn of the loop.
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
  }
  expect(uncaught.map(String)).toEqual([]);
  expect(lines.filter((l) => l.includes('scheduled tick failed'))).toEqual([]);
});
