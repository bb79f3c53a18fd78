/**
 * Webhook notifications: a generic JSON body with a Slack-compatible `text`, POSTed to every
 * configured webhook. Bounded: a few jittered attempts with short timeouts inside a hard overall
 * budget, so a dead webhook costs the coordinator a few seconds at most and never a DNS change
 * (the coordinator notifies only after DNS). URLs may hold secrets (Slack's do): they are never
 * logged; a webhook is named by its index in the config.
 */
import type { LifeboatConfig, WebhookConfig } from '../config/schema.ts';
import type { Notifier, NotifyAction } from '../coordinator/coordinator.ts';
import type { NotifyEvent } from '../engine/decision.ts';
import type { Clock, Fetch, Logger, Sleep } from '../ports.ts';
import { realSleep } from '../ports.ts';
import { ConfigurationError } from '../errors.ts';

export interface WebhookTarget {
  readonly url: string;
  /** Events sent to this webhook; absent means all. */
  readonly events?: readonly NotifyEvent[];
}

/** The body every webhook receives. `text` is what Slack shows; the rest is for machines. */
export interface WebhookMessage {
  readonly text: string;
  readonly event: NotifyEvent;
  readonly service: string;
  /** service + epoch + event: the same incident always has the same key, so receivers can drop repeats. */
  readonly key: string;
  readonly coordinator: string;
  readonly at: string;
  readonly hold?: string;
  readonly override?: NotifyAction['override'];
}

export interface WebhookNotifierOptions {
  readonly webhooks: readonly WebhookTarget[];
  readonly coordinator: string;
  readonly fetch: Fetch;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** Attempts per webhook (default 3). */
  readonly maxAttempts?: number;
  /** Timeout of one attempt (default 2 s). */
  readonly attemptTimeoutMs?: number;
  /** First backoff delay; doubles per attempt, jittered 50-150 % (default 250 ms). */
  readonly baseDelayMs?: number;
  /** Hard limit on one `send`, all webhooks and retries included (default 5 s). */
  readonly budgetMs?: number;
}

/** A webhook's `urlFromEnv` names a variable that is not set. Names the variable, never a value. */
export class WebhookConfigError extends ConfigurationError {
  override readonly name: string = 'WebhookConfigError';
  constructor(readonly index: number, message: string) {
    super(message);
  }
}

/** Resolves the config's webhooks against the environment (for `urlFromEnv`). */
export function webhookTargets(config: Pick<LifeboatConfig, 'notifications'>, env: Readonly<Record<string, string | undefined>>): WebhookTarget[] {
  return (config.notifications?.webhooks ?? []).map((w: WebhookConfig, i) => {
    const url = w.url ?? env[w.urlFromEnv ?? '']?.trim();
    if (!url) throw new WebhookConfigError(i, `notifications.webhooks[${i}]: environment variable ${w.urlFromEnv} is not set`);
    if (!/^https?:\/\//.test(url)) throw new WebhookConfigError(i, `notifications.webhooks[${i}]: ${w.urlFromEnv} must hold an http(s) URL`);
    return { url, ...(w.events ? { events: w.events } : {}) };
  });
}

export function webhookMessage(n: NotifyAction, coordinator: string, at: number): WebhookMessage {
  return {
    text: `${EMOJI[n.event]} [lifeboat] ${n.text}`,
    event: n.event, service: n.service, key: n.key, coordinator, at: new Date(at).toISOString(),
    ...(n.hold ? { hold: n.hold } : {}), ...(n.override ? { override: n.override } : {}),
  };
}

const EMOJI: Record<NotifyEvent, string> = {
  failover: ':rotating_light:', failback: ':white_check_mark:', override: ':raised_hand:',
  hold: ':warning:', 'override-expired': ':hourglass:', disagreement: ':twisted_rightwards_arrows:',
  'flip-failing': ':x:', 'flip-abandoned': ':leftwards_arrow_with_hook:', degraded: ':chart_with_downwards_trend:',
};

/** Retry on these: the receiver may take it next time. Other 4xx will not change by retrying. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

export class WebhookNotifier implements Notifier {
  private readonly o: Required<Omit<WebhookNotifierOptions, 'webhooks' | 'coordinator' | 'fetch' | 'clock' | 'logger'>>;

  constructor(private readonly options: WebhookNotifierOptions) {
    this.o = {
      sleep: options.sleep ?? realSleep,
      random: options.random ?? Math.random,
      maxAttempts: Math.max(1, Math.min(options.maxAttempts ?? 3, 5)),
      attemptTimeoutMs: options.attemptTimeoutMs ?? 2_000,
      baseDelayMs: options.baseDelayMs ?? 250,
      budgetMs: options.budgetMs ?? 5_000,
    };
  }

  /** Never throws; failures are logged by webhook index. Resolves within `budgetMs`. */
  async send(n: NotifyAction): Promise<void> {
    const targets = this.options.webhooks.map((w, index) => ({ w, index })).filter(({ w }) => !w.events || w.events.includes(n.event));
    if (targets.length === 0) return;
    const body = JSON.stringify(webhookMessage(n, this.options.coordinator, this.options.clock.now()));
    const budget = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => { budget.abort(new Error('notification budget used up')); resolve(); }, this.o.budgetMs);
    });
    const deliveries = Promise.all(targets.map(({ w, index }) => this.deliver(w.url, index, n, body, budget.signal)));
    try {
      // The race is the hard limit even if a fetch implementation ignores its abort signal.
      await Promise.race([deliveries, deadline]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      budget.abort(new Error('notification finished'));
    }
  }

  private async deliver(url: string, index: number, n: NotifyAction, body: string, budget: AbortSignal): Promise<void> {
    const { logger } = this.options;
    let last = '';
    for (let attempt = 1; attempt <= this.o.maxAttempts && !budget.aborted; attempt++) {
      const signal = AbortSignal.any([budget, AbortSignal.timeout(this.o.attemptTimeoutMs)]);
      try {
        const res = await this.options.fetch(url, {
          method: 'POST', body, signal,
          headers: { 'content-type': 'application/json', 'idempotency-key': n.key, 'user-agent': 'lifeboat-notify/1' },
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) {
          logger.info('notification sent', { webhook: index, event: n.event, service: n.service, key: n.key, attempt });
          return;
        }
        last = `HTTP ${res.status}`;
        if (!retryable(res.status)) break;
      } catch (err) {
        last = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).split(url).join('<webhook url>');
      }
      if (attempt < this.o.maxAttempts) {
        const delay = this.o.baseDelayMs * 2 ** (attempt - 1) * (0.5 + this.o.random());
        try { await this.o.sleep(delay, budget); } catch { break; }
      }
    }
    // Never the URL: it may be a credential.
    logger.error('notification not delivered', { webhook: index, event: n.event, service: n.service, key: n.key, error: last || 'budget used up' });
  }
}

/**
 * The config's webhooks as a Notifier for a coordinator, or undefined when none are configured.
 * Throws WebhookConfigError (naming the variable) when a `urlFromEnv` is not set: better to fail
 * at start-up than to find out during an incident that nobody was told.
 */
export function webhookNotifierFromConfig(
  config: Pick<LifeboatConfig, 'notifications'>,
  env: Readonly<Record<string, string | undefined>>,
  deps: Omit<WebhookNotifierOptions, 'webhooks'>,
): WebhookNotifier | undefined {
  const webhooks = webhookTargets(config, env);
  return webhooks.length === 0 ? undefined : new WebhookNotifier({ ...deps, webhooks });
}
