import { DURATION_FORMS, DurationError, formatDuration, parseDuration } from '../../../src/domain/duration';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each<[string | number, number]>([
    ['15min', 15 * MINUTE],
    ['15m', 15 * MINUTE],
    ['.25h', 15 * MINUTE],
    ['0.5h', 30 * MINUTE],
    ['900s', 900 * SECOND],
    ['150 s', 150 * SECOND],
    ['2d', 2 * DAY],
    ['500ms', 500],
    ['1h30m', 90 * MINUTE],
    ['1h 30m', 90 * MINUTE],
    ['2m30s', 150 * SECOND],
    ['1d2h3m4s5ms', DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND + 5],
    ['900', 900 * SECOND],
    ['1.5', 1500],
    [900, 900 * SECOND],
    [0.25, 250],
    ['15MIN', 15 * MINUTE],
    ['2H', 2 * HOUR],
    ['  120s  ', 120 * SECOND],
    ['15 minutes', 15 * MINUTE],
    ['2 hours', 2 * HOUR],
    ['10 sec', 10 * SECOND],
    ['0s', 0],
    ['0', 0],
    ['0.1s', 100],
  ])('reads %p as %p ms', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each<[string | number, RegExp]>([
    ['', /empty/],
    ['   ', /empty/],
    ['-5s', /negative/],
    ['-900', /negative/],
    [-1, /negative/],
    [Number.NaN, /finite/],
    [Number.POSITIVE_INFINITY, /finite/],
    ['15 minutes later', /cannot read "later"/],
    ['soon', /cannot read "soon"/],
    ['15x', /unknown unit "x"/],
    ['1h30', /cannot read "30"/],
    ['30m1h', /largest first/],
    ['1m30m', /largest first/],
    ['1e3s', /unknown unit "e"/],
    ['+5s', /cannot read/],
    ['99999999999999999d', /too large/],
  ])('rejects %p', (text, reason) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
    expect(() => parseDuration(text)).toThrow(reason);
  });

  it('lists the accepted forms and quotes the input in its message', () => {
    const error = catchError(() => parseDuration('15 minutes later'));
    expect(error).toBeInstanceOf(DurationError);
    expect(error.message).toContain('"15 minutes later"');
    expect(error.message).toContain(DURATION_FORMS);
    for (const form of ['15min', '.25h', '900s', '500ms', '1h30m', '900']) expect(error.message).toContain(form);
  });

  it('gives the offending part as a separate reason', () => {
    const error = catchError(() => parseDuration('15 minutes later'));
    expect((error as DurationError).reason).toBe('cannot read "later"');
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [500, '500ms'],
    [30 * SECOND, '30s'],
    [120 * SECOND, '2min'],
    [15 * MINUTE, '15min'],
    [150 * SECOND, '2m30s'],
    [HOUR, '1h'],
    [90 * MINUTE, '1h30m'],
    [2 * DAY, '2d'],
    [DAY + 5, '1d5ms'],
    [1500, '1s500ms'],
    [1499.6, '1s500ms'],
  ])('writes %p ms as %p', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it.each([0, 1, 999, 1000, 59_999, 60_000, 61_001, 3_600_000, 5_400_000, 86_400_000, 90_061_001])(
    'round-trips %p ms through parseDuration',
    (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    },
  );

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %p', (ms) => {
    expect(() => formatDuration(ms)).toThrow(RangeError);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected an error');
}
