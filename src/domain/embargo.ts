// Merge embargoes: weekly periods, written like marge-bot's `--embargo 'Friday 6pm - Monday 9am'`,
// during which nothing is merged. Pure: no clock, no I/O, only ES2022 built-ins and Intl, because
// workflows evaluate embargoes inside Temporal's deterministic sandbox.

/** What `parseEmbargo` accepts, spelled out for error and help messages. */
export const EMBARGO_FORMS =
  'comma-separated weekly intervals "<day> <time> [zone] - <day> <time> [zone]", e.g. "Friday 6pm - Monday 9am" or ' +
  '"Fri@17:00 Europe/London - Mon@09:00 Europe/London"; days Monday..Sunday or Mon, Tue/Tues, Wed, Thu/Thurs, Fri, Sat, Sun; ' +
  'times 12-hour (1pm, 9am, 12:30pm, 12am is midnight) or 24-hour (17:00, 9:05); ' +
  'an optional IANA time zone after each end (default UTC); both ends are included';

/** Thrown by `parseEmbargo`. `part` is the offending piece of the spec, `reason` what is wrong with it. */
export class EmbargoError extends Error {
  override readonly name = 'EmbargoError';

  constructor(
    readonly spec: string,
    readonly part: string,
    readonly reason: string,
  ) {
    // An empty part (a stray comma) has nothing worth quoting; the reason says it all.
    const subject = part === '' ? '' : `${JSON.stringify(part)} `;
    super(`Invalid embargo ${JSON.stringify(spec)}: ${subject}${reason}. Accepted: ${EMBARGO_FORMS}.`);
  }
}

/** One end of an interval: a wall-clock time on a weekday, in a time zone. */
export interface EmbargoPoint {
  /** 0 = Sunday … 6 = Saturday, like `Date#getUTCDay`. */
  readonly weekday: number;
  readonly hour: number;
  readonly minute: number;
  /** Canonical IANA name, e.g. `Europe/London`; `UTC` when the spec names none. */
  readonly timeZone: string;
}

export interface EmbargoInterval {
  readonly start: EmbargoPoint;
  readonly end: EmbargoPoint;
  /** The interval as written in the spec, trimmed. */
  readonly source: string;
}

export interface Embargo {
  /** Whether merging is embargoed at `at`. Both ends of every interval are included, to the millisecond. */
  covers(at: Date): boolean;
  /**
   * When `at` is covered, the first instant that is not: the end of the interval covering `at`
   * plus 1 ms (ends are inclusive), following on through any intervals that overlap or touch it.
   * `null` when `at` is not covered.
   */
  nextEnd(at: Date): Date | null;
  readonly intervals: ReadonlyArray<EmbargoInterval>;
  /** Normalised, human-readable form, e.g. `Friday 18:00 UTC - Monday 09:00 UTC`. */
  describe(): string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/**
 * Parses an embargo spec such as `Friday 1pm - Monday 9am, Wed 12:00 Europe/Paris - Wed 14:00 Europe/Paris`.
 * An empty or blank spec is the embargo that covers nothing. Throws `EmbargoError` naming the
 * offending part otherwise.
 *
 * `now` is accepted so callers can pass the clock they already have (a workflow's deterministic
 * time) should the syntax ever grow relative forms; every form accepted today is weekly and
 * independent of it, so it is unused.
 */
export function parseEmbargo(spec: string, now?: Date): Embargo {
  void now;
  const pieces = spec.trim() === '' ? [] : spec.split(',').map((piece) => piece.trim());
  const intervals = pieces.map((piece) => parseInterval(spec, piece));
  assertEndsSometime(spec, intervals);
  return new WeeklyEmbargo(intervals);
}

class WeeklyEmbargo implements Embargo {
  constructor(readonly intervals: ReadonlyArray<EmbargoInterval>) {}

  covers(at: Date): boolean {
    return latestCoverEnd(this.intervals, at.getTime()) !== null;
  }

  nextEnd(at: Date): Date | null {
    const first = latestCoverEnd(this.intervals, at.getTime());
    return first === null ? null : new Date(followThrough(this.intervals, first));
  }

  describe(): string {
    if (this.intervals.length === 0) return 'no embargo';
    return this.intervals.map((i) => `${describePoint(i.start)} - ${describePoint(i.end)}`).join(', ');
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

// A Map rather than an object literal, so `constructor` or `toString` is not a day.
const DAYS: ReadonlyMap<string, number> = new Map([
  ...['sunday', 'sun'].map((name) => [name, 0] as const),
  ...['monday', 'mon'].map((name) => [name, 1] as const),
  ...['tuesday', 'tue', 'tues'].map((name) => [name, 2] as const),
  ...['wednesday', 'wed'].map((name) => [name, 3] as const),
  ...['thursday', 'thu', 'thur', 'thurs'].map((name) => [name, 4] as const),
  ...['friday', 'fri'].map((name) => [name, 5] as const),
  ...['saturday', 'sat'].map((name) => [name, 6] as const),
]);
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// Day, then `@` or blanks, then the time, then an optional zone (anything without blanks; Intl judges it).
const POINT = /^([a-z]+)\s*(?:@\s*|\s+)(\S+?(?:\s*[ap]\.?m\.?)?)(?:\s+(\S+))?$/i;
const TIME_12H = /^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?$/i;
const TIME_24H = /^(\d{1,2}):(\d{2})$/;
// An en dash sneaks in whenever a spec is copied from a document.
const DASHES = /[-\u2013]/g;

function parseInterval(spec: string, piece: string): EmbargoInterval {
  if (piece === '') throw new EmbargoError(spec, '', 'it has an empty interval (check for a stray comma)');
  const [start, end] = splitAtDash(spec, piece);
  if (start.timeZone === end.timeZone && start.weekday === end.weekday && start.hour === end.hour && start.minute === end.minute) {
    throw new EmbargoError(spec, piece, 'starts and ends at the same time; give two different times');
  }
  return { start, end, source: piece };
}

/**
 * Zone names may contain dashes themselves (`America/Port-au-Prince`, `Etc/GMT-5`), so rather than
 * split on the first dash, try every dash and keep the split whose both halves read as points.
 * When none does, report the half that is wrong at the most plausible dash (one with blanks around it).
 */
function splitAtDash(spec: string, piece: string): [EmbargoPoint, EmbargoPoint] {
  const dashes = [...piece.matchAll(DASHES)].map((m) => m.index ?? 0);
  if (dashes.length === 0) throw new EmbargoError(spec, piece, 'has no "-" between its start and its end');
  let firstFailure: EmbargoError | undefined;
  for (const at of preferSpacedDashes(piece, dashes)) {
    const start = piece.slice(0, at).trim();
    const end = piece.slice(at + 1).trim();
    try {
      if (start === '') throw new EmbargoError(spec, piece, 'has no start before its "-"');
      if (end === '') throw new EmbargoError(spec, piece, 'has no end after its "-"');
      return [parsePoint(spec, start), parsePoint(spec, end)];
    } catch (error) {
      if (!(error instanceof EmbargoError)) throw error;
      firstFailure ??= error;
    }
  }
  throw firstFailure ?? new EmbargoError(spec, piece, 'cannot be read');
}

function preferSpacedDashes(piece: string, dashes: number[]): number[] {
  const spaced = (at: number): boolean => /\s/.test(piece.charAt(at - 1)) && /\s/.test(piece.charAt(at + 1));
  return [...dashes.filter(spaced), ...dashes.filter((at) => !spaced(at))];
}

function parsePoint(spec: string, text: string): EmbargoPoint {
  const match = POINT.exec(text);
  if (!match) throw new EmbargoError(spec, text, 'is not "<day> <time> [zone]"');
  const [, dayText = '', timeText = '', zoneText] = match;
  const weekday = DAYS.get(dayText.toLowerCase());
  if (weekday === undefined) throw new EmbargoError(spec, dayText, 'is not a day of the week');
  const { hour, minute } = parseTime(spec, timeText);
  const timeZone = zoneText === undefined ? 'UTC' : canonicalZone(spec, zoneText);
  return { weekday, hour, minute, timeZone };
}

function parseTime(spec: string, text: string): { hour: number; minute: number } {
  const twelve = TIME_12H.exec(text);
  if (twelve) {
    const [, h = '', m = '0', meridiem = ''] = twelve;
    const hour = Number(h);
    const minute = Number(m);
    if (hour < 1 || hour > 12 || minute > 59) throw new EmbargoError(spec, text, 'is not a time (12-hour times run 12:00am to 11:59pm)');
    // 12am is midnight and 12pm noon: the hour 12 counts as 0 before adding the afternoon.
    return { hour: (hour % 12) + (meridiem.toLowerCase() === 'p' ? 12 : 0), minute };
  }
  const twentyFour = TIME_24H.exec(text);
  if (twentyFour) {
    const hour = Number(twentyFour[1]);
    const minute = Number(twentyFour[2]);
    if (hour > 23 || minute > 59) throw new EmbargoError(spec, text, 'is not a time (24-hour times run 0:00 to 23:59)');
    return { hour, minute };
  }
  throw new EmbargoError(spec, text, 'is not a time');
}

function canonicalZone(spec: string, zone: string): string {
  try {
    return formatter(zone).resolvedOptions().timeZone;
  } catch {
    throw new EmbargoError(spec, zone, 'is not a known IANA time zone (such as UTC, Europe/London or America/New_York)');
  }
}

/**
 * An embargo that never ends would stop merging for good and leave `nextEnd` nowhere to go, so
 * reject it. Gaps are looked for after every end in a whole year, since a DST change can open or
 * close a gap between intervals in different zones for a few weeks; the reference year is fixed
 * to keep parsing deterministic.
 */
function assertEndsSometime(spec: string, intervals: ReadonlyArray<EmbargoInterval>): void {
  if (intervals.length === 0) return;
  const yearStart = Date.UTC(2024, 0, 1);
  for (const interval of intervals) {
    for (let week = 0; week <= 53; week += 1) {
      const after = firstAtOrAfter(interval.end, yearStart + week * WEEK) + 1;
      if (latestCoverEnd(intervals, after) === null) return;
    }
  }
  throw new EmbargoError(spec, spec.trim(), 'covers the whole week, so merging would never resume');
}

function describePoint(point: EmbargoPoint): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${DAY_NAMES[point.weekday] ?? '?'} ${pad(point.hour)}:${pad(point.minute)} ${point.timeZone}`;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** The latest end among the intervals covering `at` (ms), or null when none does. */
function latestCoverEnd(intervals: ReadonlyArray<EmbargoInterval>, at: number): number | null {
  let latest: number | null = null;
  for (const interval of intervals) {
    const end = coverEnd(interval, at);
    if (end !== null && (latest === null || end > latest)) latest = end;
  }
  return latest;
}

/** Jumps from one inclusive end to the next while overlapping or adjacent intervals keep covering. */
function followThrough(intervals: ReadonlyArray<EmbargoInterval>, end: number): number {
  let current = end;
  // parseEmbargo guarantees a gap exists; the bound only guards against a gap the year it sampled lacked.
  for (let hops = 0; hops < 1000; hops += 1) {
    const next = latestCoverEnd(intervals, current + 1);
    if (next === null) break;
    current = next;
  }
  return current + 1;
}

/**
 * If `interval` covers `at`, the instant its covering occurrence ends. An occurrence runs from a
 * start to the first end at or after it, so only the latest start at or before `at` can matter:
 * an earlier one ends no later than that one does.
 */
function coverEnd(interval: EmbargoInterval, at: number): number | null {
  const start = occurrencesAround(interval.start, at)
    .filter((instant) => instant <= at)
    .pop();
  if (start === undefined) return null;
  const end = firstAtOrAfter(interval.end, start);
  return at <= end ? end : null;
}

function firstAtOrAfter(point: EmbargoPoint, from: number): number {
  const end = occurrencesAround(point, from).find((instant) => instant >= from);
  // occurrencesAround spans more than a week past `from`, so there always is one.
  return end ?? from;
}

/** The instants of `point` in the weeks around `at`, ascending. */
function occurrencesAround(point: EmbargoPoint, at: number): number[] {
  const wall = wallClock(at, point.timeZone);
  const localDay = Date.UTC(wall.year, wall.month - 1, wall.day);
  const daysBack = (new Date(localDay).getUTCDay() - point.weekday + 7) % 7;
  const thisWeek = localDay - daysBack * DAY + point.hour * HOUR + point.minute * MINUTE;
  return [-2, -1, 0, 1, 2].map((weeks) => wallToInstant(thisWeek + weeks * WEEK, point.timeZone));
}

// ---------------------------------------------------------------------------------------------
// Zoned time: Intl is the only time zone database available in the workflow sandbox.

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

// Building a DateTimeFormat is costly next to using one; a zone's formatter never changes.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let cached = formatters.get(timeZone);
  if (cached === undefined) {
    cached = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, cached);
  }
  return cached;
}

function wallClock(at: number, timeZone: string): WallClock {
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(at))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year ?? 1970,
    month: fields.month ?? 1,
    day: fields.day ?? 1,
    hour: fields.hour ?? 0,
    minute: fields.minute ?? 0,
    second: fields.second ?? 0,
  };
}

/** How far the zone's wall clock is ahead of UTC at `at`, in ms. */
function offsetAt(at: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0; // the default, and by far the most common: skip Intl
  const w = wallClock(at, timeZone);
  const wholeSecond = Math.floor(at / 1000) * 1000;
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - wholeSecond;
}

/**
 * The instant a wall-clock time (given as ms on a UTC-based scale) happens in `timeZone`.
 * Like Temporal's "compatible" disambiguation: a time repeated when clocks go back means its
 * first occurrence, and a time skipped when clocks go forward means the instant the same
 * distance past the jump (01:30 on a spring-forward night in London is 02:30 BST).
 */
function wallToInstant(wall: number, timeZone: string): number {
  // Real zones change offset at most once in two days, so the offsets a day either side are the only candidates.
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const valid = [wall - before, wall - after].filter((instant, i) => offsetAt(instant, timeZone) === (i === 0 ? before : after));
  return valid.length > 0 ? Math.min(...valid) : wall - before;
}
