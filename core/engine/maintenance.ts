/**
 * Maintenance windows (config `maintenance`): while one is open for a service, automation is
 * frozen for it and no hold alerts fire. Pure: the caller passes `now`.
 *
 * A window is one-off (`start` <= now < `end`, ISO 8601 times) or weekly recurring: it opens on
 * each listed weekday at `startTime` in `timezone` (UTC or a fixed offset such as "+09:00"; no
 * daylight-saving rules, so the meaning never shifts) and lasts `durationMinutes` (it may run past
 * midnight, up to a whole week). `services` limits a window to some services; absent means all.
 */
import { normaliseName, type ServiceName, type UnixMs } from '../model.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface RecurringWindow {
  readonly weekdays: readonly Weekday[];
  /** "HH:MM", 24-hour, in `timezone`. */
  readonly startTime: string;
  readonly durationMinutes: number;
  /** "UTC" or a fixed offset "+HH:MM" / "-HH:MM". */
  readonly timezone: string;
}

export interface MaintenanceWindow {
  readonly services?: readonly ServiceName[] | undefined;
  readonly start?: string | undefined;
  readonly end?: string | undefined;
  readonly recurring?: RecurringWindow | undefined;
  readonly reason?: string | undefined;
}

const MINUTES_PER_WEEK = 7 * 24 * 60;
export const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
export const TIMEZONE_RE = /^(UTC|Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

/** Offset of a timezone string from UTC, in minutes; null when it is not UTC or a fixed offset. */
export function offsetMinutes(timezone: string): number | null {
  if (!TIMEZONE_RE.test(timezone)) return null;
  if (timezone === 'UTC' || timezone === 'Z') return 0;
  const sign = timezone.startsWith('-') ? -1 : 1;
  const [h, m] = timezone.slice(1).split(':').map(Number);
  return sign * (h! * 60 + m!);
}


function appliesTo(window: MaintenanceWindow, service: ServiceName): boolean {
  if (!window.services || window.services.length === 0) return true;
  const s = normaliseName(service);
  return window.services.some((name) => normaliseName(name) === s);
}

/** Whether `now` falls inside one occurrence of a weekly window. */
export function inRecurring(r: RecurringWindow, now: UnixMs): boolean {
  const offset = offsetMinutes(r.timezone);
  const time = TIME_RE.exec(r.startTime);
  if (offset === null || !time) return false;
  const localMinutes = Math.floor(now / 60_000) + offset;
  // 1970-01-01 was a Thursday: shift so that 0 is Monday 00:00 local.
  const minuteOfWeek = (((localMinutes + 3 * 1440) % MINUTES_PER_WEEK) + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
  const startOfDay = Number(time[1]) * 60 + Number(time[2]);
  const duration = Math.min(r.durationMinutes, MINUTES_PER_WEEK);
  return r.weekdays.some((day) => {
    const opens = WEEKDAYS.indexOf(day) * 1440 + startOfDay;
    const since = (((minuteOfWeek - opens) % MINUTES_PER_WEEK) + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
    return since < duration;
  });
}

/** The first window open for `service` at `now`, or null. */
export function openWindow(windows: readonly MaintenanceWindow[] | undefined, service: ServiceName, now: UnixMs): MaintenanceWindow | null {
  for (const w of windows ?? []) {
    if (!appliesTo(w, service)) continue;
    if (w.recurring) {
      if (inRecurring(w.recurring, now)) return w;
    } else if (w.start !== undefined && w.end !== undefined) {
      if (Date.parse(w.start) <= now && now < Date.parse(w.end)) return w;
    }
  }
  return null;
}

export function inMaintenance(windows: readonly MaintenanceWindow[] | undefined, service: ServiceName, now: UnixMs): boolean {
  return openWindow(windows, service, now) !== null;
}
