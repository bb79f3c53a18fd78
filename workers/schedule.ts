/**
 * Alarm clock arithmetic shared by both Durable Objects. Alarms are aligned to multiples of the
 * interval since the epoch, so every prober probes at the same instants and a slot number names
 * one round unambiguously (alarms are delivered at least once: a repeat has the same slot).
 */
import type { UnixMs } from '../core/model.ts';

/** The slot `now` falls in. */
export function slotOf(now: UnixMs, intervalMs: number): number {
  return Math.floor(now / intervalMs);
}

/** The start of the next slot: strictly after `now`. */
export function nextSlotStart(now: UnixMs, intervalMs: number): UnixMs {
  return (slotOf(now, intervalMs) + 1) * intervalMs;
}
