/**
 * A model of how Route 53 evaluates health checks and answers failover records, written from the
 * documented rules (docs/data-plane.md cites each):
 *  - each checker: TCP connect within 4 s, then a 2xx/3xx status within 2 s, then the body within
 *    2 s; a string-match check is healthy only if the string is within the first 5,120 bytes;
 *  - an endpoint is healthy when MORE than 18% of checkers say so;
 *  - "invert health check status" reports the opposite;
 *  - a calculated check is healthy when at least `threshold` children are;
 *  - failover routing: the PRIMARY record when it is healthy (or has no check); else the
 *    SECONDARY when it is healthy (or has no check); when both are unhealthy, the PRIMARY.
 * It drives real HTTP requests at real coordinators on loopback; the answer it computes is what
 * the zone's name servers serve, written into a zone the embedded DNS server answers from.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RecordSet } from '#core/dns/types.ts';
import { ROUTE53_SEARCH_BYTES } from '#core/dns/data-plane.ts';

export const HEALTHY_SHARE = 0.18;

export interface EndpointCheck {
  readonly kind: 'endpoint';
  readonly id: string;
  /** Full URL (scheme, host, port, ResourcePath). */
  readonly url: string;
  readonly searchString?: string;
  readonly inverted: boolean;
}

export interface CalculatedCheck {
  readonly kind: 'calculated';
  readonly id: string;
  readonly children: readonly string[];
  readonly threshold: number;
  readonly inverted: boolean;
}

export type ModelCheck = EndpointCheck | CalculatedCheck;

export interface FailoverRecord {
  readonly role: 'PRIMARY' | 'SECONDARY';
  readonly healthCheckId?: string;
  readonly records: readonly RecordSet[];
}

export interface ModelOptions {
  /** Checker locations; every one sends its own request. */
  readonly checkers: readonly string[];
  /** Which checkers reach which URL's host:port (default: all reach all). */
  readonly reaches?: (checker: string, url: URL) => boolean;
  readonly connectTimeoutMs?: number;
  readonly answerTimeoutMs?: number;
}

export type CheckerResult = { readonly healthy: boolean; readonly why: string };

/** One checker's request, with Route 53's limits. HTTPS: the certificate is not validated. */
export function checkOnce(check: EndpointCheck, connectTimeoutMs = 4_000, answerTimeoutMs = 2_000): Promise<CheckerResult> {
  const url = new URL(check.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: CheckerResult) => { if (!settled) { settled = true; clearTimeout(timer); req.destroy(); resolve(r); } };
    let timer = setTimeout(() => done({ healthy: false, why: 'no TCP connection within the connect limit' }), connectTimeoutMs);
    const req = request(url, { method: 'GET', rejectUnauthorized: false, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 400) return done({ healthy: false, why: `status ${status}` });
      if (check.searchString === undefined) return done({ healthy: true, why: `status ${status}` });
      clearTimeout(timer);
      timer = setTimeout(() => done({ healthy: false, why: 'body not within the answer limit' }), answerTimeoutMs);
      const chunks: Buffer[] = [];
      let size = 0;
      const judge = () => {
        const head = Buffer.concat(chunks).subarray(0, ROUTE53_SEARCH_BYTES).toString('utf8');
        done(head.includes(check.searchString!) ? { healthy: true, why: 'string found' } : { healthy: false, why: 'string not in the first 5,120 bytes' });
      };
      res.on('data', (c: Buffer) => { chunks.push(c); size += c.length; if (size >= ROUTE53_SEARCH_BYTES) judge(); });
      res.on('end', judge);
      res.on('error', () => done({ healthy: false, why: 'body broken' }));
    });
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        clearTimeout(timer);
        timer = setTimeout(() => done({ healthy: false, why: 'no status within the answer limit' }), answerTimeoutMs);
      });
    });
    req.on('error', (err) => done({ healthy: false, why: `connect failed: ${err.message}` }));
    req.end();
  });
}

export class Route53Model {
  private readonly checks = new Map<string, ModelCheck>();
  /** Last evaluation: every check's reported status (after inversion), and why. */
  status = new Map<string, boolean>();
  detail = new Map<string, string>();

  constructor(private readonly options: ModelOptions) {}

  add(check: ModelCheck): this {
    this.checks.set(check.id, check);
    return this;
  }

  /** One round of every checker against every endpoint check, then the calculated checks. */
  async evaluate(): Promise<Map<string, boolean>> {
    const status = new Map<string, boolean>();
    const endpoints = [...this.checks.values()].filter((c): c is EndpointCheck => c.kind === 'endpoint');
    await Promise.all(endpoints.map(async (check) => {
      const url = new URL(check.url);
      const results = await Promise.all(this.options.checkers.map((checker) =>
        (this.options.reaches?.(checker, url) ?? true)
          ? checkOnce(check, this.options.connectTimeoutMs, this.options.answerTimeoutMs)
          : Promise.resolve({ healthy: false, why: 'unreachable from this checker' })));
      const healthyShare = results.filter((r) => r.healthy).length / results.length;
      const raw = healthyShare > HEALTHY_SHARE;
      status.set(check.id, check.inverted ? !raw : raw);
      this.detail.set(check.id, `${(healthyShare * 100).toFixed(0)}% healthy (${[...new Set(results.map((r) => r.why))].join('; ')})${check.inverted ? ', inverted' : ''}`);
    }));
    // Calculated checks may nest; evaluate until every one is known.
    const calculated = [...this.checks.values()].filter((c): c is CalculatedCheck => c.kind === 'calculated');
    for (let pass = 0; pass < calculated.length; pass++) {
      for (const check of calculated) {
        if (status.has(check.id) || !check.children.every((id) => status.has(id))) continue;
        const healthy = check.children.filter((id) => status.get(id)).length >= check.threshold;
        status.set(check.id, check.inverted ? !healthy : healthy);
      }
    }
    this.status = status;
    return status;
  }

  /** Failover routing over the last evaluation: which record Route 53 answers. */
  answer(primary: FailoverRecord, secondary: FailoverRecord): FailoverRecord {
    const healthy = (r: FailoverRecord) => r.healthCheckId === undefined || this.status.get(r.healthCheckId) === true;
    if (healthy(primary)) return primary;
    if (healthy(secondary)) return secondary;
    return primary; // both unhealthy: Route 53 answers the primary
  }
}
