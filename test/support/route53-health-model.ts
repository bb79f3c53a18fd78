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
 *  - a CLOUDWATCH_METRIC check is healthy while its alarm is OK, unhealthy while it is in ALARM;
 *    when the alarm has insufficient data, `InsufficientDataHealthStatus` decides: Healthy,
 *    Unhealthy, or LastKnownStatus (the check's status when the alarm last had data; healthy for a
 *    check that never had any);
 *  - an alarm (ModelCloudWatch) evaluates the datapoints published as EMF lines over its last
 *    periods; with TreatMissingData `missing`, periods without data are not evaluated, and an
 *    evaluation range with no data at all is INSUFFICIENT_DATA.
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

export interface AlarmCheck {
  readonly kind: 'alarm';
  readonly id: string;
  /** The alarm's id in the model's CloudWatch. */
  readonly alarm: string;
  readonly insufficientData: 'Healthy' | 'Unhealthy' | 'LastKnownStatus';
  readonly inverted: boolean;
}

export type ModelCheck = EndpointCheck | CalculatedCheck | AlarmCheck;

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface ModelAlarm {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Maximum';
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: 'GreaterThanOrEqualToThreshold';
  readonly treatMissingData: 'missing';
}

interface Datapoint { readonly at: number; readonly value: number }

/** CloudWatch as far as the alarms behind Route 53 checks need it: EMF lines in, alarm states out. */
export class ModelCloudWatch {
  private readonly series = new Map<string, Datapoint[]>();
  private readonly alarms = new Map<string, ModelAlarm>();

  private static key(namespace: string, name: string, dimensions: Readonly<Record<string, string>>): string {
    return JSON.stringify([namespace, name, Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b))]);
  }

  /** One Embedded Metric Format line, as CloudWatch Logs extracts it: each metric under each dimension set. */
  putEmf(line: string): void {
    const doc = JSON.parse(line) as { _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } } & Record<string, unknown>;
    for (const directive of doc._aws.CloudWatchMetrics) {
      for (const set of directive.Dimensions) {
        const dimensions = Object.fromEntries(set.map((d) => [d, String(doc[d])]));
        for (const m of directive.Metrics) {
          const value = doc[m.Name];
          if (typeof value !== 'number') throw new Error(`EMF line has no number for ${m.Name}`);
          const key = ModelCloudWatch.key(directive.Namespace, m.Name, dimensions);
          this.series.set(key, [...(this.series.get(key) ?? []), { at: doc._aws.Timestamp, value }]);
        }
      }
    }
  }

  addAlarm(id: string, alarm: ModelAlarm): this {
    this.alarms.set(id, alarm);
    return this;
  }

  /** The alarm's state at `now`: its last `evaluationPeriods` periods, each (end - period, end]. */
  state(id: string, now: number): AlarmState {
    const a = this.alarms.get(id);
    if (!a) throw new Error(`no alarm ${id}`);
    const points = this.series.get(ModelCloudWatch.key(a.namespace, a.metricName, a.dimensions)) ?? [];
    const period = a.periodSeconds * 1000;
    const values: number[] = [];
    for (let k = 0; k < a.evaluationPeriods; k++) {
      const end = now - k * period;
      const inPeriod = points.filter((p) => p.at > end - period && p.at <= end);
      if (inPeriod.length > 0) values.push(Math.max(...inPeriod.map((p) => p.value)));
    }
    // TreatMissingData `missing`: a range with no data at all is INSUFFICIENT_DATA.
    if (values.length === 0) return 'INSUFFICIENT_DATA';
    const breaching = values.filter((v) => v >= a.threshold).length;
    return breaching >= a.datapointsToAlarm ? 'ALARM' : 'OK';
  }
}

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
  /** Where alarm checks read their alarms, and the time they are read at. */
  readonly cloudWatch?: ModelCloudWatch;
  readonly now?: () => number;
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
  /** Alarm checks' status (before inversion) when their alarm last had data. */
  private readonly lastKnown = new Map<string, boolean>();

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
    for (const check of this.checks.values()) {
      if (check.kind !== 'alarm') continue;
      if (!this.options.cloudWatch) throw new Error('alarm checks need the model\'s cloudWatch');
      const state = this.options.cloudWatch.state(check.alarm, this.options.now?.() ?? Date.now());
      let raw: boolean;
      if (state === 'OK') raw = true;
      else if (state === 'ALARM') raw = false;
      else if (check.insufficientData === 'Healthy') raw = true;
      else if (check.insufficientData === 'Unhealthy') raw = false;
      else raw = this.lastKnown.get(check.id) ?? true; // a new check with no last status is healthy
      if (state !== 'INSUFFICIENT_DATA') this.lastKnown.set(check.id, raw);
      status.set(check.id, check.inverted ? !raw : raw);
      this.detail.set(check.id, `alarm ${state}${state === 'INSUFFICIENT_DATA' ? ` -> ${check.insufficientData}` : ''}${check.inverted ? ', inverted' : ''}`);
    }
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
