/**
 * Issue 14: a decided failover whose DNS write fails is heard of. The local run's Cloudflare
 * coordinator is given a wrong credential for its DNS provider (the embedded zone API's bearer
 * token), the AWS coordinator is stopped so the Cloudflare one decides alone, and the primary
 * stops: a loopback webhook receiver gets `flip-failing` naming the service within one probe
 * interval of the decision (the coordinator's decidedAt against the receiver's clock, one machine).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { INTERVAL_S, PRIMARY_IP, SERVICE, startE2E, steady, waitFor, type E2E } from './harness.ts';

interface Received { readonly at: number; readonly body: { event: string; service: string; coordinator: string; text: string; key: string } }

let e: E2E | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
  receiver?.closeAllConnections();
  await new Promise((r) => receiver ? receiver.close(r) : r(undefined));
  receiver = undefined;
});

/** A webhook receiver on loopback that stamps each message with its own clock on arrival. */
async function startReceiver(): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  receiver = createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ at, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'] });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, received };
}

it('a wrong DNS credential: flip-failing at the webhook within one interval of the decision, and in status', { timeout: 180_000 }, async () => {
  const hook = await startReceiver();
  e = await startE2E({}, { cloudflareBindings: { EMBEDDED_DNS_TOKEN: 'not-the-zone-api-token' } },
    (input) => ({ ...input, notifications: { webhooks: [{ url: hook.url }] } }));
  await steady(e);
  await e.run.stopCoordinator('aws');
  await e.primary().stop();

  const flipFailing = () => hook.received.find((m) => m.body.event === 'flip-failing' && m.body.service === SERVICE);
  await waitFor('flip-failing at the webhook', async () => flipFailing() !== undefined, INTERVAL_S * 1000 * 20, 50);
  const message = flipFailing()!;
  expect(message.body).toMatchObject({ coordinator: 'cloudflare', service: SERVICE });
  expect(message.body.text).toMatch(/DNS could not be changed to secondary/);

  const [report] = await e.status();
  const service = report!.services[0]!;
  // Decided, not written: DNS still serves the primary, and the status says so.
  expect(service.pendingFlip).toMatchObject({ to: 'secondary', epoch: 1 });
  const decidedAt = service.pendingFlip!.decidedAt;
  const lag = message.at - decidedAt;
  console.log(`flip-failing received ${lag} ms after the decision (interval ${INTERVAL_S * 1000} ms)`);
  expect(lag).toBeGreaterThanOrEqual(-50); // the Worker's clock and ours are the same machine's
  expect(lag).toBeLessThan(INTERVAL_S * 1000);
  expect(await e.answer()).toEqual([PRIMARY_IP]);
  const alerts = (report as typeof report & { alerts: { kind: string; service?: string; message: string }[] }).alerts;
  expect(alerts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'flip-failing', service: SERVICE, message: expect.stringMatching(/^DNS write failing since /) })]));
  // Nothing announced a failover that did not happen.
  expect(hook.received.filter((m) => m.body.event === 'failover')).toEqual([]);
});
