/** Several notifiers as one: each gets every message, and one failing never stops the others. */
import type { Notifier, NotifyAction } from '../coordinator/coordinator.ts';
import type { Logger } from '../ports.ts';

export function fanOut(notifiers: readonly (Notifier | undefined)[], logger: Logger): Notifier {
  const list = notifiers.filter((n): n is Notifier => n !== undefined);
  return {
    async send(n: NotifyAction) {
      const results = await Promise.allSettled(list.map((x) => x.send(n)));
      for (const r of results) {
        if (r.status === 'rejected') logger.error('notifier failed', { event: n.event, service: n.service, error: r.reason instanceof Error ? r.reason.message : String(r.reason) });
      }
    },
  };
}
