/**
 * Route 53 data-plane mode (docs/data-plane.md): a service's failover is carried by Route 53's
 * own health checks reading each coordinator's verdict page, so an incident needs no Route 53
 * API call. This module holds what both coordinators and the CDK app must agree on, derived
 * from one deploy secret: the unguessable verdict path per service and the per-service token
 * the page shows only while that coordinator says "fail over".
 */
import { ConfigurationError } from '../errors.ts';
import { normaliseName, type ServiceName, type TargetRole } from '../model.ts';
import { isNoop } from './plan.ts';
import type { ApplyResult, CurrentRecords, DnsPlan, DnsProvider, ServiceDns, StateRecord } from './types.ts';

/** Where the verdict pages live; everything after it is the HMAC of the service name. */
export const VERDICT_PATH_PREFIX = '/v1/verdict/';
/** The environment variable (Lambda) / Worker secret holding the deploy secret, hex. */
export const DATA_PLANE_SECRET_ENV = 'LIFEBOAT_DATA_PLANE_SECRET';
/** Route 53 searches only the first 5,120 bytes of a body; the page is far shorter. */
export const ROUTE53_SEARCH_BYTES = 5_120;

export interface VerdictIds {
  readonly service: ServiceName;
  /** `/v1/verdict/<64 hex>`: the Route 53 health check's ResourcePath. */
  readonly path: string;
  /** `lifeboat-failover-<32 hex>`: the health check's SearchString. */
  readonly token: string;
}

/** The deploy secret is wrong: names the variable, never the value. */
export class DataPlaneSecretError extends ConfigurationError {
  override readonly name: string = 'DataPlaneSecretError';
}

/** At least 32 random bytes as hex (`openssl rand -hex 32`). */
export function parseDataPlaneSecret(text: string | undefined, source = DATA_PLANE_SECRET_ENV): Uint8Array {
  const hex = (text ?? '').trim();
  if (!/^(?:[0-9a-fA-F]{2}){32,}$/.test(hex)) {
    throw new DataPlaneSecretError(`${source} must be at least 32 bytes of hex (make one with \`openssl rand -hex 32\`)${hex === '' ? '; it is not set' : ''}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Path and token of one service. Separate labels keep them independent: the path (in the health
 * check's config, and in every checker's request) never tells anyone the token.
 */
export async function verdictIds(secret: Uint8Array, service: ServiceName): Promise<VerdictIds> {
  const key = await crypto.subtle.importKey('raw', secret as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const name = normaliseName(service);
  const mac = (label: string) => crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`lifeboat-data-plane/${label}\u0000${name}`));
  const [path, token] = await Promise.all([mac('path'), mac('token')]);
  return { service: name, path: `${VERDICT_PATH_PREFIX}${hex(path)}`, token: `lifeboat-failover-${hex(token).slice(0, 32)}` };
}

/**
 * The page body. The token appears only when this coordinator's verdict is the secondary: the
 * health check (string match, inverted) then reads unhealthy, and the calculated check over all
 * coordinators' checks takes the PRIMARY failover record out.
 */
export function verdictBody(active: TargetRole, token: string): string {
  return active === 'secondary' ? `fail over ${token}\n` : 'stay\n';
}

/**
 * The "DNS provider" of a data-plane service: the flip is the verdict the coordinator saved, which
 * its verdict page serves from then on; nothing is sent to Route 53. It acknowledges each
 * decision so the engine clears the pending flip exactly as with a real provider.
 */
export class DataPlaneVerdictProvider implements DnsProvider {
  readonly name = 'route53' as const;
  private readonly acknowledged = new Map<ServiceName, StateRecord>();

  constructor(readonly zone: string) {}

  async read(dns: ServiceDns): Promise<CurrentRecords> {
    const state = this.acknowledged.get(dns.service) ?? null;
    return { records: dns.targets[state?.active ?? 'primary'], state };
  }

  async apply(plan: DnsPlan): Promise<ApplyResult> {
    const base = { provider: this.name, zone: this.zone };
    if (isNoop(plan)) return { ...base, outcome: 'unchanged', state: plan.expectedState };
    this.acknowledged.set(plan.service, plan.newState);
    return { ...base, outcome: 'applied', state: plan.newState };
  }
}
