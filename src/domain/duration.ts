// Human-written durations ("15min", "1h30m", ".25h", "900") as used in configuration and
// commands, converted to and from milliseconds. Pure: no clock, no I/O.

/** What `parseDuration` accepts, spelled out for error and help messages. */
export const DURATION_FORMS =
  'a number with a unit — ms, s, m or min, h, d (e.g. 500ms, 900s, 150 s, 15m, 15min, 0.5h, .25h, 2d) — ' +
  'several such parts largest unit first (1h30m), or a bare number of seconds (900)';

/** Thrown by `parseDuration`. `reason` names just the offending part, for callers that show the input themselves. */
export class DurationError extends Error {
  override readonly name = 'DurationError';

  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`Invalid duration ${JSON.stringify(input)}: ${reason}. Accepted: ${DURATION_FORMS}.`);
  }
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Every spelling of every unit; long words are accepted because people write them in YAML. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: SECOND,
  sec: SECOND,
  secs: SECOND,
  second: SECOND,
  seconds: SECOND,
  m: MINUTE,
  min: MINUTE,
  mins: MINUTE,
  minute: MINUTE,
  minutes: MINUTE,
  h: HOUR,
  hr: HOUR,
  hrs: HOUR,
  hour: HOUR,
  hours: HOUR,
  d: DAY,
  day: DAY,
  days: DAY,
};

const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
const BARE_SECONDS = new RegExp(`^${NUMBER}$`);
// Sticky, so consecutive matches must tile the whole text with nothing skipped in between.
const PART = new RegExp(`\\s*(${NUMBER})\\s*([a-z]+)\\s*`, 'y');

/**
 * Milliseconds in a duration such as `15min`, `15m`, `.25h`, `0.5h`, `900s`, `150 s`, `2d`,
 * `500ms`, `1h30m`, or a bare number of seconds (`900` or the number 900). Case-insensitive.
 * Fractions of a millisecond are rounded. Throws `DurationError` on anything else.
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') return secondsToMs(text, String(text));
  const normalized = text.trim().toLowerCase();
  if (normalized === '') throw new DurationError(text, 'it is empty');
  if (normalized.startsWith('-')) throw new DurationError(text, 'durations cannot be negative');
  if (BARE_SECONDS.test(normalized)) return secondsToMs(Number(normalized), text);
  return parseParts(normalized, text);
}

function secondsToMs(seconds: number, input: string): number {
  if (!Number.isFinite(seconds)) throw new DurationError(input, 'it is not a finite number');
  if (seconds < 0) throw new DurationError(input, 'durations cannot be negative');
  return checkedMs(seconds * SECOND, input);
}

/** Sums `<number><unit>` parts, insisting on largest-first so `1m30m` or `30s1h` read as typos. */
function parseParts(normalized: string, input: string): number {
  PART.lastIndex = 0;
  let total = 0;
  let previousUnitMs = Infinity;
  while (PART.lastIndex < normalized.length) {
    const start = PART.lastIndex;
    const match = PART.exec(normalized);
    if (!match) throw new DurationError(input, `cannot read ${JSON.stringify(normalized.slice(start).trim())}`);
    const amount = match[1] ?? '';
    const unit = match[2] ?? '';
    const unitMs = UNIT_MS[unit];
    if (unitMs === undefined) throw new DurationError(input, `unknown unit ${JSON.stringify(unit)}`);
    if (unitMs >= previousUnitMs) throw new DurationError(input, 'give each unit once, largest first');
    previousUnitMs = unitMs;
    total += Number(amount) * unitMs;
  }
  return checkedMs(total, input);
}

function checkedMs(ms: number, input: string): number {
  const rounded = Math.round(ms);
  if (!Number.isSafeInteger(rounded)) throw new DurationError(input, 'it is too large');
  return rounded;
}

const FORMAT_UNITS: ReadonlyArray<readonly [suffix: string, ms: number]> = [
  ['d', DAY],
  ['h', HOUR],
  ['m', MINUTE],
  ['s', SECOND],
  ['ms', 1],
];

/**
 * The shortest readable spelling of a duration that `parseDuration` reads back exactly:
 * `15min`, `2m30s`, `1h30m`, `500ms`, `0s`. A whole number of minutes is written `min`
 * (marge-bot's style, and unambiguous next to `ms`).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Cannot format duration ${ms}: expected milliseconds >= 0`);
  let remaining = Math.round(ms);
  const parts: Array<readonly [count: number, suffix: string]> = [];
  for (const [suffix, unitMs] of FORMAT_UNITS) {
    const count = Math.floor(remaining / unitMs);
    remaining -= count * unitMs;
    if (count > 0) parts.push([count, suffix]);
  }
  const [first] = parts;
  if (first === undefined) return '0s';
  if (parts.length === 1 && first[1] === 'm') return `${first[0]}min`;
  return parts.map(([count, suffix]) => `${count}${suffix}`).join('');
}
