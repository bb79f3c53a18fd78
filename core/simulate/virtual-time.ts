/**
 * A virtual clock and event queue. Events run one at a time, in time order (ties in the order
 * they were scheduled), each awaited before the next: the same scenario always runs the same way.
 */
import type { UnixMs } from '../model.ts';

interface Event {
  readonly at: UnixMs;
  readonly seq: number;
  readonly run: () => unknown;
}

export class VirtualTime {
  private seq = 0;
  private readonly heap: Event[] = [];

  constructor(public now: UnixMs) {}

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
    while (this.heap.length > 0 && this.heap[0]!.at <= end) {
      const event = this.pop();
      this.now = event.at;
      await event.run();
    }
    this.now = end;
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
