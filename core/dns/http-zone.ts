/**
 * The embedded zone over HTTP: how a coordinator running in another process or runtime (the
 * Worker in workerd, the Lambda handler) reaches the local run's embedded DNS zone. The server
 * side is cli/local/zone-api.ts; it applies plans with the same compare-and-swap as every
 * other provider. Loopback only, guarded by a per-run bearer token.
 */
import type { Fetch } from '../ports.ts';
import { DnsError, type ApplyResult, type CurrentRecords, type DnsPlan, type DnsProvider, type ServiceDns } from './types.ts';

export interface HttpZoneOptions {
  /** e.g. http://127.0.0.1:5380 */
  readonly baseUrl: string;
  readonly token: string;
  readonly zone: string;
  readonly fetch?: Fetch;
  readonly timeoutMs?: number;
}

export class HttpZoneProvider implements DnsProvider {
  readonly name = 'embedded' as const;
  readonly zone: string;
  readonly #token: string;

  constructor(private readonly options: HttpZoneOptions) {
    this.zone = options.zone;
    this.#token = options.token;
  }

  read(service: ServiceDns): Promise<CurrentRecords> {
    return this.call<CurrentRecords>('read', { service: service.service }, service.service);
  }

  apply(plan: DnsPlan): Promise<ApplyResult> {
    return this.call<ApplyResult>('apply', { plan }, plan.service);
  }

  private async call<T>(op: 'read' | 'apply', body: unknown, record: string): Promise<T> {
    const url = new URL(`/zones/${encodeURIComponent(this.zone)}/${op}`, this.options.baseUrl);
    let res: Response;
    try {
      res = await (this.options.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
    } catch (err) {
      throw new DnsError(`embedded zone ${this.zone} unreachable at ${this.options.baseUrl}: ${(err as Error).message}`, 'embedded', this.zone, record, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw new DnsError(`embedded zone ${this.zone} refused ${op} of ${record}: ${res.status} ${text.slice(0, 200)}`, 'embedded', this.zone, record);
    let answer: unknown;
    try { answer = JSON.parse(text); } catch { answer = undefined; }
    // Something else on the port (or a proxy page) must not pass for a zone's answer.
    if (!(op === 'read' ? isCurrentRecords(answer) : isApplyResult(answer))) {
      throw new DnsError(`embedded zone ${this.zone} at ${this.options.baseUrl}: ${op} of ${record} answered something that is not a zone API answer (${text.slice(0, 80).replace(/\s+/g, ' ')})`, 'embedded', this.zone, record);
    }
    return answer as T;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isState = (v: unknown) => v === null || (isObject(v) && typeof v.epoch === 'number' && (v.active === 'primary' || v.active === 'secondary'));
const isCurrentRecords = (v: unknown) => isObject(v) && Array.isArray(v.records) && isState(v.state);
const isApplyResult = (v: unknown) => isObject(v) && (v.outcome === 'applied' || v.outcome === 'unchanged' || v.outcome === 'conflict') && isState(v.state);
