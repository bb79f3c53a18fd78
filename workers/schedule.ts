/**
 * Alarm clock arithmetic shared by both Durable Objects: core's slots (core/probe/schedule.ts).
 * A slot is a multiple of the interval since the epoch; each prober's alarm fires inside its slot
 * at an offset (a stable phase from its vantage point's name plus fresh jitter, always less than
 * the interval), so probers sample the primary at different moments while a slot number still
 * names one round (alarms are delivered at least once: a repeat has the same slot).
 */
export { nextProbeAt, nextSlotStart, probeJitterMaxMs, probePhaseMs, slotOf } from '#core/probe/schedule.ts';

/**
 * A shard's Durable Object name: shard 0 is the hint's own prober (its name must never change,
 * see workers/stubs.ts); shard k > 0 is `<name>#k`, created near the same hint.
 */
export const proberShardName = (proberName: string, shard: number): string => (shard === 0 ? proberName : `${proberName}#${shard}`);
