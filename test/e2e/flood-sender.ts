/**
 * The anonymous flood, in its own process: `node --import tsx test/e2e/flood-sender.ts '<spec JSON>'`
 * (test/e2e/flood-sender-process.ts starts it). In the test's own process the flood's CPU and
 * event-loop time delayed the local run's probes and coordinators, which measured the harness, not
 * the system. Loopback targets only, bounded in count (the spec, capped) and in time (`maxMs`).
 * Writes one JSON line per `progressEvery` answers, then one `done` line with the counts; exit 0,
 * or 2 with a one-line error when the spec is bad.
 */
import { hmacSigner } from '#core/signing/signer.ts';
import { parseFloodSpec, planRequest, FloodSpecError, type FloodLine, type FloodSpec } from './flood-sender-plan.ts';

const emit = (line: FloodLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** A batch as a vantage point would send it; the flood's bodies look honest, only their signatures are not. */
const fakeBatch = (spec: FloodSpec, i: number) => JSON.stringify({
  vantagePoint: 'aws:us-east-1', round: 1_000_000 + i, sentAt: Date.now(),
  results: [{ service: spec.service, target: 'primary', verdict: 'healthy', checkedAt: Date.now(), latencyMs: 5 }],
});

async function run(spec: FloodSpec): Promise<void> {
  const total = spec.unsigned + spec.badlySigned;
  // A real key id with a wrong secret, on the probe route and the operator route.
  const wrongSecret = crypto.getRandomValues(new Uint8Array(32));
  const probeForger = hmacSigner(spec.probeKeyId, wrongSecret);
  const operatorForger = hmacSigner(spec.operatorKeyId, wrongSecret);
  const byStatus: Record<string, number> = {};
  const perCoordinator = Object.fromEntries(spec.targets.map((t) => [t.name, { unsigned: 0, bad: 0 }]));
  const errors: string[] = [];
  const deadline = AbortSignal.timeout(spec.maxMs);
  const start = Date.now();
  let next = 0;
  let sent = 0;
  const worker = async () => {
    for (let i = next++; i < total && !deadline.aborted; i = next++) {
      const wait = start + (i * spec.spreadMs) / total - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const { target, unsigned, route } = planRequest(spec, i);
      const url = `${target.url}${route}`;
      const body = route === '/v1/override' ? JSON.stringify({ service: spec.service, action: 'force-primary', reason: 'flood' }) : fakeBatch(spec, i);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (!unsigned) Object.assign(headers, await (route === '/v1/override' ? operatorForger : probeForger)({ method: 'POST', url, body, now: Date.now() }));
      // Read each answer whole: cancelling a body mid-write makes workerd log broken pipes.
      const status = await fetch(url, { method: 'POST', headers, body, signal: deadline })
        .then(async (res) => { await res.arrayBuffer(); return res.status; })
        .catch((err: Error) => { errors.push(`${target.name} ${route}: ${err.name}`); return 0; });
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      perCoordinator[target.name]![unsigned ? 'unsigned' : 'bad']++;
      if (++sent % spec.progressEvery === 0) emit({ type: 'progress', sent });
    }
  };
  await Promise.all(Array.from({ length: spec.inFlight }, worker));
  emit({ type: 'done', sent, byStatus, perCoordinator, errors: errors.slice(0, 20), timedOut: deadline.aborted && sent < total });
}

try {
  await run(parseFloodSpec(JSON.parse(process.argv[2] ?? 'null')));
} catch (err) {
  process.stderr.write(`flood-sender: ${err instanceof FloodSpecError || err instanceof SyntaxError ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
