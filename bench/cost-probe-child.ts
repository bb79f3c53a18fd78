/**
 * Child process of bench/cost-probe.ts: the probe handler as deployed (bundled, plain node), fed
 * `rounds` chain messages one after another like Lambda's SQS poller, against the loopback
 * targets and coordinators the parent serves. Prints one JSON line: each invocation's wall time
 * and the process's peak RSS, which is what Lambda's memory setting must hold.
 */
import { readFileSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { silentLogger, mapSecretSource } from '#core/ports.ts';
import { createProbeHandler } from '../functions/probe.ts';
import { keyParameterName } from '../functions/secrets.ts';

interface Input { readonly config: LifeboatConfig; readonly keyId: string; readonly secretHex: string; readonly rounds: number }

const input = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Input;
let claimed = -1;
const handler = createProbeHandler({
  config: () => input.config,
  region: 'us-east-1',
  keyId: input.keyId,
  keyParameterPrefix: '/lifeboat/keys/',
  secrets: () => mapSecretSource({ [keyParameterName('/lifeboat/keys/', input.keyId)]: input.secretHex }),
  logger: silentLogger,
  queue: () => ({ send: async () => {} }),
  claims: () => ({ claim: async (_vp, slot) => (slot > claimed ? ((claimed = slot), true) : false), newest: async () => claimed }),
});
const event = (slot: number): SQSEvent => ({ Records: [{ body: JSON.stringify({ v: 1, slot }) } as SQSEvent['Records'][number]] });
const invocationMs: number[] = [];
const cpuMs: number[] = [];
const slot0 = Math.floor(Date.now() / (input.config.probing.intervalSeconds * 1000));
for (let i = 0; i < input.rounds; i++) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await handler(event(slot0 + i));
  invocationMs.push(Math.round(performance.now() - started));
  const used = process.cpuUsage(cpu);
  cpuMs.push(Math.round((used.user + used.system) / 1000));
}
console.log(JSON.stringify({ invocationMs, cpuMs, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
