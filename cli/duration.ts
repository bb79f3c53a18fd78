/** Durations on the command line: "30m", "1h", "2d", "1h30m" (s, m, h, d). */
import { UsageError } from './io.ts';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(text: string, flag: string): number {
  if (!/^(\d+[smhd])+$/.test(text)) throw new UsageError(`${flag}: "${text}" is not a duration such as 30m, 1h, 2d or 1h30m`);
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  if (ms <= 0) throw new UsageError(`${flag}: must be longer than zero`);
  return ms;
}
