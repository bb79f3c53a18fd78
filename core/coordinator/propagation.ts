/**
 * Following a DNS change until the provider says it is live on all its name servers (Route 53:
 * GetChange reports INSYNC, usually within 60 s). Never waited for inside a decision: a change is
 * recorded when written, and each later DNS round of the coordinator (a tick, an ingest) checks
 * the ones still pending, at most once per `pollMs` each, alongside its own work. Bounded: after
 * `giveUpMs` a change is reported unconfirmed and no longer polled. Kept in memory per
 * coordinator instance, like the status history: a cold start forgets what it was following.
 */
import type { DnsProvider, DnsProviderName } from '../dns/types.ts';
import type { ServiceName, UnixMs } from '../model.ts';
import type { Logger } from '../ports.ts';

/** A provider that can say whether one of its changes has reached all its name servers. */
export interface SyncCheckingProvider extends DnsProvider {
  /** One look (no waiting): true once the change is live everywhere (Route 53: INSYNC). */
  isInSync(changeId: string): Promise<boolean>;
}

export function canCheckSync(provider: DnsProvider): provider is SyncCheckingProvider {
  return typeof (provider as Partial<SyncCheckingProvider>).isInSync === 'function';
}

export type PropagationState = 'pending' | 'propagated' | 'unconfirmed';

/** What the status shows of one change at one provider. */
export interface PropagationView {
  readonly provider: DnsProviderName;
  readonly zone: string;
  readonly changeId: string;
  /** The epoch the change wrote. */
  readonly epoch: number;
  readonly state: PropagationState;
  /** When the change was written ("pending since"). */
  readonly since: UnixMs;
  /** When a check first found it live ("propagated at"); null while pending or unconfirmed. */
  readonly propagatedAt: UnixMs | null;
}

export interface PropagationOptions {
  /** Least time between two checks of one change. */
  readonly pollMs: number;
  /** After this long without INSYNC the change is reported unconfirmed and no longer checked. */
  readonly giveUpMs: number;
}

export const DEFAULT_PROPAGATION: PropagationOptions = { pollMs: 10_000, giveUpMs: 10 * 60_000 };

interface Entry {
  view: PropagationView;
  readonly provider: SyncCheckingProvider;
  checkedAt: UnixMs;
  checking: boolean;
}

export class PropagationTracker {
  /** The latest change per service and provider zone: bounded by services x zones. */
  private readonly entries = new Map<ServiceName, Map<string, Entry>>();

  constructor(private readonly options: PropagationOptions = DEFAULT_PROPAGATION) {}

  /** Starts following a change just written; it replaces any earlier one of the service at that zone. */
  record(service: ServiceName, provider: SyncCheckingProvider, change: { changeId: string; epoch: number }, at: UnixMs): void {
    let byZone = this.entries.get(service);
    if (!byZone) this.entries.set(service, (byZone = new Map()));
    byZone.set(`${provider.name}|${provider.zone}`, {
      provider, checkedAt: at, checking: false,
      view: { provider: provider.name, zone: provider.zone, changeId: change.changeId, epoch: change.epoch, state: 'pending', since: at, propagatedAt: null },
    });
  }

  /** Checks every pending change that is due, concurrently; a failed check stays pending and is logged. */
  async follow(now: UnixMs, logger: Logger): Promise<void> {
    const due: Entry[] = [];
    for (const byZone of this.entries.values()) {
      for (const e of byZone.values()) {
        if (e.view.state !== 'pending' || e.checking) continue;
        if (now - e.view.since >= this.options.giveUpMs) {
          e.view = { ...e.view, state: 'unconfirmed' };
          logger.warn('DNS change not confirmed live in time', { provider: e.view.provider, zone: e.view.zone, changeId: e.view.changeId, afterMs: now - e.view.since });
        } else if (now - e.checkedAt >= this.options.pollMs) due.push(e);
      }
    }
    // One batch carries many services' changes under one id (a mass failover): ask once per id.
    const byChange = new Map<string, Entry[]>();
    for (const e of due) {
      const key = `${e.view.provider}|${e.view.zone}|${e.view.changeId}`;
      const list = byChange.get(key);
      if (list) list.push(e);
      else byChange.set(key, [e]);
    }
    await Promise.all([...byChange.values()].map(async (entries) => {
      const first = entries[0]!;
      const views = entries.map((e) => e.view);
      for (const e of entries) e.checking = true;
      try {
        const live = await first.provider.isInSync(first.view.changeId);
        // A newer change may have replaced an entry's view meanwhile: only settle the one checked.
        if (live) entries.forEach((e, i) => { if (e.view === views[i]) e.view = { ...views[i]!, state: 'propagated', propagatedAt: now }; });
      } catch (err) {
        logger.warn('could not check whether a DNS change is live', { provider: first.view.provider, zone: first.view.zone, changeId: first.view.changeId, error: err instanceof Error ? err.message : String(err) });
      } finally {
        for (const e of entries) { e.checkedAt = now; e.checking = false; }
      }
    }));
  }

  view(service: ServiceName): PropagationView[] {
    return [...(this.entries.get(service)?.values() ?? [])].map((e) => e.view);
  }
}

const trackers = new WeakMap<object, PropagationTracker>();

/** The tracker of one coordinator, keyed by its (stable) deps object. */
export function propagationOf(owner: object): PropagationTracker {
  let t = trackers.get(owner);
  if (!t) trackers.set(owner, (t = new PropagationTracker()));
  return t;
}
