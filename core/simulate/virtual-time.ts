/**
 * A virtual clock and event queue. Events run one at a time, in time order (ties in the order
 * they were scheduled), each awaited before the next: the same scenario always runs the same way.
 *
 * Processes (`spawn`) are code that waits in virtual time (`sleep`), such as a vantage round with
 * its rapid recheck: an event only wakes them, so they never block the queue. Before the clock
 * moves on, the queue lets every woken process run until it waits on virtual time again: it
 * drains microtasks and waits for the real asynchronous work processes declare with `track`
 * (WebCrypto signing, an in-process HTTP request), which is delivered in the order it started,
 * so its real duration cannot reorder the simulation.
 */
import type { UnixMs } from '../model.ts';
import type { Sleep } from '../ports.ts';

interface Event {
  readonly at: UnixMs;
  readonly seq: number;
  readonly run: () => unknown;
}

export class VirtualTime {
  private seq = 0;
  private readonly heap: Event[] = [];
  /** Tracked real work not yet delivered. */
  private busy = 0;
  /** Resolves once every tracked piece of work started so far is delivered. */
  private delivered: Promise<unknown> = Promise.resolve();
  private readonly failures: unknown[] = [];
  private channel: MessageChannel | undefined;
  /** Set when a process was started or woken: only then must the queue wait for it to block again. */
  private stirred = false;

  constructor(public now: UnixMs) {}

  /** Waits `ms` of virtual time; an abort rejects at once with the signal's reason. */
  readonly sleep: Sleep = (ms, signal) => new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let done = false;
    const onAbort = (): void => { if (!done) { done = true; reject(signal!.reason); } };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.at(this.now + Math.max(0, ms), () => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      this.stirred = true;
      resolve();
    });
  });

  /** Starts a process that may wait in virtual time; if it throws, `run` rethrows. */
  spawn(process: () => Promise<unknown>): void {
    this.stirred = true;
    process().catch((error: unknown) => this.fail(error));
  }

  /** Fails the run (after the current event): for errors that a process would otherwise swallow. */
  fail(error: unknown): void {
    this.failures.push(error);
  }

  /** Real asynchronous work a process awaits; its result is delivered in start order. */
  track<T>(work: Promise<T>): Promise<T> {
    this.busy++;
    const settled = work.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
    const result = this.delivered.then(() => settled).then((r) => {
      this.busy--;
      if (r.ok) return r.value;
      throw r.error;
    });
    this.delivered = result.catch(() => undefined);
    return result;
  }

  at(at: UnixMs, run: () => unknown): void {
    this.push({ at: Math.max(at, this.now), seq: this.seq++, run });
  }

  /** Runs `run` at start, start + period, ... while before `end`. */
  every(start: UnixMs, period: number, end: UnixMs, run: () => unknown): void {
    const tick = async (at: UnixMs) => {
      await run();
      if (at + period < end) this.at(at + period, () => tick(at + period));
    };
    if (start < end) this.at(start, () => tick(start));
  }

  /** Processes events until none are left before `end`. */
  async run(end: UnixMs): Promise<void> {
    try {
      await this.settle();
      while (this.heap.length > 0 && this.heap[0]!.at <= end) {
        const event = this.pop();
        this.now = event.at;
        await event.run();
        await this.settle();
        if (this.failures.length > 0) throw this.failures[0];
      }
      this.now = end;
    } finally {
      this.channel?.port1.close();
      this.channel?.port2.close();
      this.channel = undefined;
    }
  }

  /** Returns once every woken process waits on virtual time again (or has ended). */
  private async settle(): Promise<void> {
    if (!this.stirred && this.busy === 0) return;
    this.stirred = false;
    for (;;) {
      await this.nextMacrotask();
      if (this.busy === 0) return;
      await this.delivered;
    }
  }

  /** A message round trip: every pending microtask runs before it (a Web API, unlike setImmediate). */
  private nextMacrotask(): Promise<void> {
    const channel = this.channel ??= new MessageChannel();
    return new Promise((resolve) => {
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });
  }

  private less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Event): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Event {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
