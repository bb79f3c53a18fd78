/**
 * Each DNS provider readable with the rights it was given (Route 53 ListResourceRecordSets,
 * Cloudflare zone read, RFC 2136 query, embedded zone file), and a dry-run plan per service to each
 * target: what a failover or a failback would write, computed and never applied.
 */
import { CloudflareApiError } from '#core/dns/cloudflare.ts';
import { planFlip } from '#core/dns/flip.ts';
import { Route53ApiError } from '#core/dns/route53.ts';
import { isNoop } from '#core/dns/plan.ts';
import type { LifeboatConfig } from '#core/config/schema.ts';
import { TARGET_ROLES } from '#core/model.ts';
import { dnsTargets } from '../dns-providers.ts';
import { fail, ok, reason, type CheckResult } from './checks.ts';

const FIX: Record<string, string> = {
  route53: 'grant route53:GetHostedZone, route53:ListResourceRecordSets and route53:ChangeResourceRecordSets on the hosted zone, and check hostedZoneId',
  cloudflare: 'give CLOUDFLARE_API_TOKEN "Zone DNS: Edit" on the zone, and check zoneId',
  rfc2136: 'check the server, port, zone and TSIG key name/secret (the variable named by secretFrom)',
  embedded: 'run `lifeboat run` once to create the zone files, or check --zones',
};

export async function checkDns(config: LifeboatConfig, env: Readonly<Record<string, string | undefined>>, zoneDir: string, now: number): Promise<CheckResult[]> {
  const { targets } = dnsTargets(config, { env, zoneDir });
  return Promise.all(targets.map(async (t): Promise<CheckResult> => {
    const name = `dns ${t.service} at ${t.where}`;
    const fix = FIX[t.record.provider] ?? 'check the provider settings';
    if (!t.provider) return fail(name, `cannot build the provider: ${reason(t.error)}`, fix);
    try {
      const plans = await Promise.all(TARGET_ROLES.map((to) => planFlip({ provider: t.provider!, dns: t.dns }, to, now)));
      const changes = plans.map((p, i) => `to ${TARGET_ROLES[i]}: ${isNoop(p) ? 'no change' : `${p.changes.length} change(s)`}`).join(', ');
      return ok(name, `readable; dry-run plan ${changes}`);
    } catch (err) {
      return fail(name, `read failed: ${reason(err)}`, fixFor(err) ?? fix);
    }
  }));
}

/** The fix for the refusals that say exactly what is wrong: missing rights, a zone not in the account, a refused token. */
function fixFor(err: unknown): string | null {
  if (err instanceof Route53ApiError) {
    if (err.code === 'AccessDenied' || err.status === 403) {
      return `the credentials may not read hosted zone ${err.zone}: grant route53:ListResourceRecordSets, route53:ChangeResourceRecordSets and route53:GetChange on arn:aws:route53:::hostedzone/${err.zone}`;
    }
    if (err.code === 'NoSuchHostedZone') {
      return `hosted zone ${err.zone} is not in the account of these credentials: check hostedZoneId (aws route53 list-hosted-zones) and AWS_PROFILE`;
    }
  }
  if (err instanceof CloudflareApiError && (err.status === 401 || err.status === 403)) {
    return `Cloudflare refused CLOUDFLARE_API_TOKEN (${err.status}): make a token with "Zone DNS: Edit" on zone ${err.zone} and set it`;
  }
  return null;
}
