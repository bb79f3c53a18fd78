/**
 * The Cloudflare half: the Worker has a secret for every HMAC key (LIFEBOAT_KEY_<ID>), read from
 * GET /accounts/{account}/workers/scripts/{script}/secrets (names only: the API never returns values).
 */
import type { LifeboatConfig } from '#core/config/schema.ts';
import type { Fetch } from '#core/ports.ts';
import { keyEnvVar } from '#core/signing/keys.ts';
import { fail, ok, reason, type CheckResult } from './checks.ts';

export interface CloudflareCheckOptions {
  readonly apiBase: string;
  readonly accountId: string;
  readonly script: string;
  readonly token: string;
  readonly fetch?: Fetch;
}

export async function checkWorkerSecrets(config: LifeboatConfig, o: CloudflareCheckOptions): Promise<CheckResult[]> {
  const check = `worker ${o.script} secrets`;
  const url = `${o.apiBase.replace(/\/+$/, '')}/accounts/${encodeURIComponent(o.accountId)}/workers/scripts/${encodeURIComponent(o.script)}/secrets`;
  let names: Set<string>;
  try {
    const res = await (o.fetch ?? fetch)(url, { headers: { authorization: `Bearer ${o.token}` }, signal: AbortSignal.timeout(15_000) });
    const body = await res.json().catch(() => null) as { success?: boolean; result?: { name: string }[]; errors?: { message: string }[] } | null;
    if (!res.ok || !body?.success) {
      const why = body?.errors?.map((e) => e.message).join('; ') || `HTTP ${res.status}`;
      return [fail(check, `cannot list: ${why}`, res.status === 404 ? 'deploy the Worker (lifeboat deploy cloudflare) or check CLOUDFLARE_ACCOUNT_ID and --worker' : 'give CLOUDFLARE_API_TOKEN "Workers Scripts: Read" on the account')];
    }
    names = new Set((body.result ?? []).map((s) => s.name));
  } catch (err) {
    return [fail(check, `cannot list: ${reason(err)}`, 'check the Cloudflare API is reachable (LIFEBOAT_CLOUDFLARE_API_URL)')];
  }
  return config.keys.filter((k) => k.publicKey === undefined && (k.algorithm ?? 'hmac-sha256') === 'hmac-sha256').map((k) => {
    const secret = keyEnvVar(k.id);
    return names.has(secret)
      ? ok(`worker secret ${secret}`, `present (key ${k.id})`)
      : fail(`worker secret ${secret}`, `missing: the Worker cannot verify key ${k.id}`, `wrangler secret put ${secret} --name ${o.script}   (paste the key's hex)`);
  });
}
