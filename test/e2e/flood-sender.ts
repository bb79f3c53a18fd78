/**
 * The anonymous flood, in its own process: `node --import tsx test/e2e/flood-sender.ts '<spec JSON>'`
 * (test/e2e/flood-sender-process.ts starts it). In the test's own process the flood's CPU and
 * event-loop time delayed the local run's probes and coordinators, which measured the harness, not
 * the system. Loopback targets only, bounded in count (the spec, capped) and in time (`maxMs`).
 * Writes one JSON line per `progressEvery` answers, then one `done` line with the counts; exit 0,
 * or 2 with a one-line error when the spec is bad.
 */
import { setMaxListeners } from 'node:events';
import { Agent, request } from 'node:http';
import { hmacSigner } from '#core/signing/signer.ts';
import { parseFloodSpec, planRequest, FloodSpecError, type FloodLine, type FloodSpec } from './flood-sender-plan.ts';

const emit = (line: FloodLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** A batch as a vantage point would send it; the flood's bodies look honest, only their signatures are not. */
const fakeBatch = (spec: FloodSpec, i: number) => JSON.stringify({
  vantagePoint: 'aws:us-east-1', round: 1_000_000 + i, sentAt: Date.now(),
  results: [{ service: spec.service, target: 'primary', verdict: 'healthy', checkedAt: Date.now(), latencyMs: 5 }],
});

interface Prepared { readonly target: string; readonly unsigned: boolean; readonly route: string; readonly url: URL; readonly body: string; readonly headers: Record<string, string> }

/**
 * Every request built and signed before the first is sent, and sent with node:http over kept-alive
 * sockets: the sender's own CPU per request stays small, since on this machine it competes with the
 * system under test for the same cores (an attacker's CPU would cost the system nothing).
 */
async function prepare(spec: FloodSpec): Promise<Prepared[]> {
  // A real key id with a wrong secret, on the probe route and the operator route.
  const wrongSecret = crypto.getRandomValues(new Uint8Array(32));
  const probeForger = hmacSigner(spec.probeKeyId, wrongSecret);
  const operatorForger = hmacSigner(spec.operatorKeyId, wrongSecret);
  const out: Prepared[] = [];
  for (let i = 0; i < spec.unsigned + spec.badlySigned; i++) {
    const { target, unsigned, route } = planRequest(spec, i);
    const url = `${target.url}${route}`;
    const body = route === '/v1/override' ? JSON.stringify({ service: spec.service, action: 'force-primary', reason: 'flood' }) : fakeBatch(spec, i);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    if (!unsigned) Object.assign(headers, await (route === '/v1/override' ? operatorForger : probeForger)({ method: 'POST', url, body, now: Date.now() }));
    out.push({ target: target.name, unsigned, route, url: new URL(url), body, headers });
  }
  return out;
}

/** One POST; resolves with the status once the whole answer is read (0 and the error name when none came). */
const post = (agent: Agent, r: Prepared, signal: AbortSignal) => new Promise<{ status: number; error?: string }>((resolve) => {
  const req = request(r.url, { method: 'POST', headers: r.headers, agent, signal }, (res) => {
    res.resume();
    res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    res.on('error', (err) => resolve({ status: 0, error: err.name }));
  });
  req.on('error', (err) => resolve({ status: 0, error: err.name }));
  req.end(r.body);
});

async function run(spec: FloodSpec): Promise<void> {
  const requests = await prepare(spec);
  const total = requests.length;
  const agent = new Agent({ keepAlive: true, maxSockets: spec.inFlight });
  const byStatus: Record<string, number> = {};
  const perCoordinator = Object.fromEntries(spec.targets.map((t) => [t.name, { unsigned: 0, bad: 0 }]));
  const errors: string[] = [];
  const deadline = AbortSignal.timeout(spec.maxMs);
  setMaxListeners(spec.inFlight + 10, deadline); // one listener per request in flight
  const start = Date.now();
  let next = 0;
  let sent = 0;
  const worker = async () => {
    for (let i = next++; i < total && !deadline.aborted; i = next++) {
      const wait = start + (i * spec.spreadMs) / total - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const r = requests[i]!;
      const { status, error } = await post(agent, r, deadline);
      if (error) errors.push(`${r.target} ${r.route}: ${error}`);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      perCoordinator[r.target]![r.unsigned ? 'unsigned' : 'bad']++;
      if (++sent % spec.progressEvery === 0) emit({ type: 'progress', sent });
    }
  };
  await Promise.all(Array.from({ length: spec.inFlight }, worker));
  agent.destroy();
  emit({ type: 'done', sent, byStatus, perCoordinator, errors: errors.slice(0, 20), timedOut: deadline.aborted && sent < total });
}

try {
  await run(parseFloodSpec(JSON.parse(process.argv[2] ?? 'null')));
} catch (err) {
  process.stderr.write(`flood-sender: ${err instanceof FloodSpecError || err instanceof SyntaxError ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
