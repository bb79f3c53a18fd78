/**
 * Child process of bench/cost-probe.ts: the probe handler as deployed (bundled, plain node), fed
 * `rounds` chain messages one after another like Lambda's SQS poller (one per shard when the
 * memory size shards the round), against the loopback targets and coordinators the parent serves.
 * Prints one JSON line: each invocation's wall and CPU time, the shard count and the process's
 * peak RSS, which is what Lambda's memory setting must hold.
 */
import { readFileSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { silentLogger, mapSecretSource } from '#core/ports.ts';
import { createProbeHandler } from '../functions/probe.ts';
import { keyParameterName } from '../functions/secrets.ts';
import { encodeChainMessage } from '#core/probe/chain.ts';
import { DEFAULT_POST_TIMEOUT_MS } from '#core/probe/post.ts';
import { lambdaShardCount } from '#core/probe/shard.ts';

interface Input { readonly config: LifeboatConfig; readonly keyId: string; readonly secretHex: string; readonly rounds: number; readonly memoryMb: number }

const input = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Input;
const claimed = new Map<string, number>();
const handler = createProbeHandler({
  config: () => input.config,
  region: 'us-east-1',
  keyId: input.keyId,
  keyParameterPrefix: '/lifeboat/keys/',
  secrets: () => mapSecretSource({ [keyParameterName('/lifeboat/keys/', input.keyId)]: input.secretHex }),
  logger: silentLogger,
  queue: () => ({ send: async () => {} }),
  claims: () => ({
    claim: async (key, slot) => (slot > (claimed.get(key) ?? -1) ? (claimed.set(key, slot), true) : false),
    newest: async (key) => claimed.get(key),
  }),
  // The memory size as configured decides the shards, as on Lambda (AWS_LAMBDA_FUNCTION_MEMORY_SIZE).
  memoryMb: input.memoryMb,
});
const shards = lambdaShardCount(input.config, input.memoryMb, DEFAULT_POST_TIMEOUT_MS);
const event = (slot: number, index: number): SQSEvent => ({ Records: [{ body: encodeChainMessage(slot, { index, count: shards }) } as SQSEvent['Records'][number]] });
const invocationMs: number[] = [];
const cpuMs: number[] = [];
const slot0 = Math.floor(Date.now() / (input.config.probing.intervalSeconds * 1000));
// Each shard is its own invocation on Lambda (in parallel there); here they run one after another.
for (let i = 0; i < input.rounds; i++) {
  for (let index = 0; index < shards; index++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    await handler(event(slot0 + i, index));
    invocationMs.push(Math.round(performance.now() - started));
    const used = process.cpuUsage(cpu);
    cpuMs.push(Math.round((used.user + used.system) / 1000));
  }
}
console.log(JSON.stringify({ invocationMs, cpuMs, shards, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
