// Months of the evidence report and the instants that bound them in the team's time zone. Pure: no
// Node built-ins, only Date and Intl, so workflows (Temporal's sandbox) can call it too.
import type { Month } from './types';

/** The month's window: `since` is its first instant, `until` the next month's (exclusive), ISO UTC. */
export interface MonthWindow {
  readonly since: string;
  readonly until: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const HOUR = 3_600_000;

/** Whether `text` is a month as the report writes it: `YYYY-MM`, e.g. `2026-10` (year 0001 or later). */
export function isMonth(text: string): boolean {
  const match = MONTH.exec(text);
  return match !== null && Number(match[1]) > 0;
}

/** `2026-10` → { year: 2026, month: 10 }; throws for anything else. */
export function parseMonth(text: string): { year: number; month: number } {
  const match = MONTH.exec(text);
  if (!match || Number(match[1]) === 0) throw new Error(`Invalid month "${text}": expected YYYY-MM, e.g. 2026-10`);
  return { year: Number(match[1]), month: Number(match[2]) };
}

/**
 * Whether Intl knows `timeZone` as a zone name (`Europe/Madrid`, `UTC`). Offsets such as `+02:00`
 * are refused even where the runtime accepts them: they have no DST, so they are rarely what a
 * team means, and older Node versions reject them, so a worker and a client could disagree.
 */
export function isValidTimeZone(timeZone: string): boolean {
  if (!/^[A-Za-z]/.test(timeZone)) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The instants where `month` starts and the next one starts in `timeZone`: local midnight of each
 * 1st, or, when the clocks skip midnight that day, the first instant the day has; when midnight
 * happens twice (clocks set back to 00:00), the first of them.
 */
export function monthWindow(month: Month, timeZone: string): MonthWindow {
  const { year, month: m } = parseMonth(month);
  checkTimeZone(timeZone);
  const next = m === 12 ? { year: year + 1, month: 1 } : { year, month: m + 1 };
  return {
    since: new Date(startOfLocalDay(wallClock(year, m, 1), timeZone)).toISOString(),
    until: new Date(startOfLocalDay(wallClock(next.year, next.month, 1), timeZone)).toISOString(),
  };
}

/** The month before the one holding `instant` in `timeZone`: what a run on the 1st reports on. */
export function monthBefore(instant: Date | string, timeZone: string): Month {
  checkTimeZone(timeZone);
  const time = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  if (Number.isNaN(time)) throw new Error(`Invalid instant "${String(instant)}": expected a date and time, e.g. 2026-11-01T04:00:00Z`);
  const local = new Date(localWallClock(time, timeZone));
  const year = local.getUTCFullYear();
  const m = local.getUTCMonth() + 1;
  return m === 1 ? formatMonth(year - 1, 12) : formatMonth(year, m - 1);
}

/** Whether the instant `date` (ISO 8601, any offset) falls in the window: since <= date < until. */
export function inWindow(date: string, window: MonthWindow): boolean {
  const time = Date.parse(date);
  // A date nobody can read is a forge or collector bug; dropping the commit silently would hide it.
  if (Number.isNaN(time)) throw new Error(`Invalid date "${date}": expected ISO 8601, e.g. 2026-10-05T09:30:00+02:00`);
  return Date.parse(window.since) <= time && time < Date.parse(window.until);
}

/** The Google Drive folder of a month, as the people uploading evidence know it: `2026-10` → `2026_10`. */
export function driveFolderName(month: Month): string {
  const { year, month: m } = parseMonth(month);
  return formatMonth(year, m).replace('-', '_');
}

/** `2026-10` → `October 2026`, English whatever the runtime's locale data. */
export function monthLabel(month: Month): string {
  const { year, month: m } = parseMonth(month);
  return `${MONTH_NAMES[m - 1]} ${year}`;
}

/** Every month from `first` to `last`, both included, oldest first; empty when `first` is later. */
export function monthsBetween(first: Month, last: Month): Month[] {
  const from = parseMonth(first);
  const to = parseMonth(last);
  const months: Month[] = [];
  for (let index = from.year * 12 + from.month - 1; index <= to.year * 12 + to.month - 1; index += 1) {
    months.push(formatMonth(Math.floor(index / 12), (index % 12) + 1));
  }
  return months;
}

function formatMonth(year: number, month: number): Month {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
}

function checkTimeZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone)) throw new Error(`Invalid time zone "${timeZone}": expected an IANA name, e.g. Europe/Madrid or UTC`);
}

/** A local date and time written as if it were UTC, in ms: what offsets are added to and compared with. */
function wallClock(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // h23: some runtimes write midnight as 24 with hour12: false.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** What the clocks in `timeZone` show at the instant `time`, as a wall-clock ms value. */
function localWallClock(time: number, timeZone: string): number {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(time))) parts[part.type] = part.value;
  const yearOfEra = Number(parts.year);
  const year = parts.era === 'BC' || parts.era === 'B' ? 1 - yearOfEra : yearOfEra;
  const wall = wallClock(year, Number(parts.month), Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  // Intl shows whole seconds; the milliseconds are the instant's own (no zone offset has any).
  return wall + (((time % 1000) + 1000) % 1000);
}

function offsetAt(time: number, timeZone: string): number {
  return localWallClock(time, timeZone) - time;
}

/** The first instant whose local time is `wall` or later on that day (see monthWindow). */
function startOfLocalDay(wall: number, timeZone: string): number {
  // Fixed point of t = wall - offset(t): one or two steps, as offsets only change at transitions.
  let time = wall - offsetAt(wall, timeZone);
  for (let step = 0; step < 8; step += 1) {
    const next = wall - offsetAt(time, timeZone);
    if (next === time) break;
    time = next;
  }
  // Midnight may happen twice (clocks set back to it): the offset in force before it gives the earlier one.
  const candidates = [time, wall - offsetAt(time - 6 * HOUR, timeZone), wall - offsetAt(time + 6 * HOUR, timeZone)];
  const exact = candidates.filter((candidate) => localWallClock(candidate, timeZone) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // No instant shows `wall`: the clocks jump over it, and the day starts at the jump. Its bounds are
  // the two offsets the iteration swung between; halve to the second (transitions are on seconds).
  const offsets = [offsetAt(time, timeZone), offsetAt(wall - offsetAt(time, timeZone), timeZone)];
  let before = Math.floor((wall - Math.max(...offsets)) / 1000) * 1000; // shows less than `wall`
  let after = Math.ceil((wall - Math.min(...offsets)) / 1000) * 1000; // shows `wall` or later
  if (localWallClock(before, timeZone) >= wall || localWallClock(after, timeZone) < wall) {
    throw new Error(`Cannot find when ${new Date(wall).toISOString().slice(0, 10)} starts in ${timeZone}`);
  }
  while (after - before > 1000) {
    const middle = before + Math.floor((after - before) / 2000) * 1000;
    if (localWallClock(middle, timeZone) >= wall) after = middle;
    else before = middle;
  }
  return after;
}
