/** Both coordinators reachable (/healthz) and a signed operator call accepted (GET /v1/status). */
import type { CoordinatorEndpoint } from '#core/probe/post.ts';
import type { StatusReport } from '#core/api/status.ts';
import { callAll, type CallOptions } from '../coordinator-client.ts';
import type { OperatorCredentials } from '../credentials.ts';
import { fail, ok, warn, type CheckResult } from './checks.ts';

export async function checkCoordinators(endpoints: readonly CoordinatorEndpoint[], credentials: OperatorCredentials, options: CallOptions): Promise<CheckResult[]> {
  const doFetch = options.fetch ?? fetch;
  const results: CheckResult[] = [];
  if (endpoints.length === 0) return [fail('coordinators', 'none configured', 'add "coordinators" to the config or set LIFEBOAT_COORDINATORS')];
  const health = await Promise.all(endpoints.map(async (e) => {
    const name = `coordinator ${e.name}: GET /healthz`;
    try {
      const res = await doFetch(`${e.url.replace(/\/+$/, '')}/healthz`, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
      return res.ok ? ok(name, `${res.status} at ${e.url}`) : fail(name, `HTTP ${res.status} at ${e.url}`, 'see the coordinator\'s logs (CloudWatch Logs / wrangler tail)');
    } catch (err) {
      return fail(name, `unreachable at ${e.url} (${(err as Error).message})`, 'check the URL in "coordinators" and that the stack/Worker is deployed');
    }
  }));
  results.push(...health);
  const calls = await callAll<StatusReport & { degraded?: { what: string; secret: string; detail: string }[] }>(endpoints, { method: 'GET', path: '/v1/status' }, credentials, options);
  for (const c of calls) {
    const name = `coordinator ${c.coordinator}: signed GET /v1/status as ${credentials.keyId}`;
    if (!c.ok) {
      const fix = c.status === 401 || c.status === 403
        ? `the coordinator does not accept key "${credentials.keyId}": list it in the config's keys with scope "operator" and put its secret where that coordinator reads keys (SSM / Worker secret)`
        : 'the coordinator answers but fails: see its logs';
      results.push(fail(name, c.error, fix));
      continue;
    }
    results.push(ok(name, `accepted, ${c.body.services.length} service(s)`));
    for (const d of c.body.degraded ?? []) results.push(warn(`coordinator ${c.coordinator}: ${d.what}`, `degraded: ${d.detail}`, `put the secret ${d.secret}`));
  }
  return results;
}
