/**
 * Flipping one service at every provider it names: read, plan, apply, each provider on its own.
 * One provider failing does not stop the others; each result is reported separately.
 */
import type { TargetRole, UnixMs } from '../model.ts';
import { planChange } from './plan.ts';
import type { ApplyResult, DnsPlan, DnsProvider, ServiceDns } from './types.ts';

export interface ProviderTarget {
  readonly provider: DnsProvider;
  readonly dns: ServiceDns;
}

export type FlipResult =
  | (ApplyResult & { readonly ok: true; readonly plan: DnsPlan })
  | { readonly ok: false; readonly provider: string; readonly zone: string; readonly error: Error };

/** `epoch`: the decision's epoch to write (see PlanInput.epoch); absent for a change by hand. */
export async function planFlip(target: ProviderTarget, to: TargetRole, at: UnixMs, epoch?: number): Promise<DnsPlan> {
  const current = await target.provider.read(target.dns);
  return planChange({ provider: target.provider.name, zone: target.provider.zone, dns: target.dns, current, to, at, ...(epoch === undefined ? {} : { epoch }) });
}

export async function flipService(targets: readonly ProviderTarget[], to: TargetRole, at: UnixMs, epoch?: number): Promise<FlipResult[]> {
  return Promise.all(targets.map(async (target): Promise<FlipResult> => {
    try {
      const plan = await planFlip(target, to, at, epoch);
      return { ok: true, plan, ...(await target.provider.apply(plan)) };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      return { ok: false, provider: target.provider.name, zone: target.provider.zone, error };
    }
  }));
}
