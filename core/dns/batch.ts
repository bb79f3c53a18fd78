/**
 * Flipping many services in one zone at once (a whole site down: every service fails together).
 * A provider that can, reads the zone in a few listings and writes many services per API call,
 * each service's compare-and-swap kept inside the batch; any other provider is driven one service
 * at a time as before. Results come back per service, in the order asked.
 */
import type { TargetRole, UnixMs } from '../model.ts';
import { normaliseName } from '../model.ts';
import { flipService, type FlipResult } from './flip.ts';
import { planChange } from './plan.ts';
import type { ApplyResult, CurrentRecords, DnsPlan, DnsProvider, ServiceDns } from './types.ts';

export interface BatchDnsProvider extends DnsProvider {
  /** What the provider holds for each service, keyed by normalised service name. */
  readMany(services: readonly ServiceDns[]): Promise<ReadonlyMap<string, CurrentRecords>>;
  /** Applies every plan, each only if its state record still holds; one result per plan, in order. */
  applyMany(plans: readonly DnsPlan[]): Promise<readonly (ApplyResult | Error)[]>;
}

export function isBatchProvider(provider: DnsProvider): provider is BatchDnsProvider {
  const p = provider as Partial<BatchDnsProvider>;
  return typeof p.readMany === 'function' && typeof p.applyMany === 'function';
}

export interface FlipItem {
  readonly dns: ServiceDns;
  readonly to: TargetRole;
  /** The decision's epoch (see PlanInput.epoch). */
  readonly epoch?: number;
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** Flips every item at one provider; one provider-level failure fails each item with that error. */
export async function flipMany(provider: DnsProvider, items: readonly FlipItem[], at: UnixMs): Promise<FlipResult[]> {
  const failed = (error: Error): FlipResult => ({ ok: false, provider: provider.name, zone: provider.zone, error });
  if (!isBatchProvider(provider) || items.length === 1) {
    const out: FlipResult[] = [];
    // One at a time, as before batching: providers without a batch API have no rate budget to share.
    for (const item of items) out.push(...await flipService([{ provider, dns: item.dns }], item.to, at, item.epoch));
    return out;
  }
  let current: ReadonlyMap<string, CurrentRecords>;
  try {
    current = await provider.readMany(items.map((i) => i.dns));
  } catch (err) {
    return items.map(() => failed(asError(err)));
  }
  const results: (FlipResult | undefined)[] = new Array(items.length);
  const plans: { index: number; plan: DnsPlan }[] = [];
  items.forEach((item, index) => {
    try {
      const found = current.get(normaliseName(item.dns.service)) ?? { records: [], state: null };
      const plan = planChange({ provider: provider.name, zone: provider.zone, dns: item.dns, current: found, to: item.to, at, ...(item.epoch === undefined ? {} : { epoch: item.epoch }) });
      plans.push({ index, plan });
    } catch (err) {
      results[index] = failed(asError(err));
    }
  });
  let applied: readonly (ApplyResult | Error)[];
  try {
    applied = await provider.applyMany(plans.map((p) => p.plan));
  } catch (err) {
    applied = plans.map(() => asError(err));
  }
  plans.forEach(({ index, plan }, i) => {
    const r = applied[i] ?? new Error(`provider ${provider.name} zone ${provider.zone} returned no result for ${plan.service}`);
    results[index] = r instanceof Error ? failed(r) : { ok: true, plan, ...r };
  });
  return results.map((r) => r!);
}

/**
 * Splits `items` into consecutive chunks whose summed weights each stay within `limits`, one
 * weight per limit (e.g. records and characters); an item over a limit on its own goes alone.
 */
export function chunkByWeight<T>(items: readonly T[], limits: readonly number[], weights: (item: T) => readonly number[]): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let sums = limits.map(() => 0);
  for (const item of items) {
    const w = weights(item);
    if (chunk.length > 0 && limits.some((limit, k) => sums[k]! + (w[k] ?? 0) > limit)) {
      chunks.push(chunk);
      chunk = [];
      sums = limits.map(() => 0);
    }
    chunk.push(item);
    sums = sums.map((sum, k) => sum + (w[k] ?? 0));
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
