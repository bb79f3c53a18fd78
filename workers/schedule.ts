/**
 * Alarm clock arithmetic shared by both Durable Objects: core's slots (core/probe/schedule.ts).
 * Alarms are aligned to multiples of the interval since the epoch, so every prober probes at the
 * same instants and a slot number names one round (alarms are delivered at least once: a repeat
 * has the same slot).
 */
export { nextSlotStart, slotOf } from '../core/probe/schedule.ts';
