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
    return JSON.parse(text) as T;
  }
}
