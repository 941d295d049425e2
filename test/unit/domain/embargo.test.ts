import { EMBARGO_FORMS, EmbargoError, parseEmbargo } from '../../../src/domain/embargo';

// Reference weeks in 2024: Friday 7 June (no DST change anywhere nearby); London moves to BST on
// Sunday 31 March at 01:00 UTC and back to GMT on Sunday 27 October at 01:00 UTC.
const at = (iso: string): Date => new Date(iso);
const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

describe('parseEmbargo: what is covered', () => {
  const weekend = parseEmbargo('Friday 6pm - Monday 9am');

  it.each<[string, boolean]>([
    ['2024-06-07T17:59:59.999Z', false],
    ['2024-06-07T18:00:00.000Z', true], // the start is included
    ['2024-06-08T12:00:00.000Z', true],
    ['2024-06-09T23:59:59.999Z', true], // across Sunday into Monday: the week wraps
    ['2024-06-10T00:00:00.000Z', true],
    ['2024-06-10T09:00:00.000Z', true], // the end is included, to the millisecond
    ['2024-06-10T09:00:00.001Z', false],
    ['2024-06-12T12:00:00.000Z', false],
    ['2024-06-14T18:00:00.000Z', true], // and again the next week
  ])('Friday 6pm - Monday 9am covers %s: %s', (when, covered) => {
    expect(weekend.covers(at(when))).toBe(covered);
  });

  it('is marge-bot\'s example, Friday 1pm - Monday 9am', () => {
    const embargo = parseEmbargo('Friday 1pm - Monday 9am');
    expect(embargo.covers(at('2024-06-07T12:59:00Z'))).toBe(false);
    expect(embargo.covers(at('2024-06-07T13:00:00Z'))).toBe(true);
  });

  it('wraps around the end of the week in the numbering too (Saturday to Sunday)', () => {
    const embargo = parseEmbargo('Sat 10pm - Sun 2am');
    expect(embargo.covers(at('2024-06-08T21:59:59.999Z'))).toBe(false);
    expect(embargo.covers(at('2024-06-08T23:00:00Z'))).toBe(true);
    expect(embargo.covers(at('2024-06-09T02:00:00Z'))).toBe(true);
    expect(embargo.covers(at('2024-06-09T02:00:00.001Z'))).toBe(false);
  });

  it('reads an end earlier in the same day as nearly a whole week', () => {
    const embargo = parseEmbargo('Wed 5pm - Wed 9am');
    expect(embargo.covers(at('2024-06-12T08:59:00Z'))).toBe(true);
    expect(embargo.covers(at('2024-06-12T12:00:00Z'))).toBe(false);
    expect(embargo.covers(at('2024-06-12T17:00:00Z'))).toBe(true);
    expect(embargo.covers(at('2024-06-15T12:00:00Z'))).toBe(true);
  });

  it('covers nothing when empty or blank', () => {
    for (const spec of ['', '   ', '\n\t']) {
      const none = parseEmbargo(spec);
      expect(none.covers(at('2024-06-08T12:00:00Z'))).toBe(false);
      expect(none.nextEnd(at('2024-06-08T12:00:00Z'))).toBeNull();
      expect(none.intervals).toEqual([]);
      expect(none.describe()).toBe('no embargo');
    }
  });

  it('takes any of several comma-separated intervals', () => {
    const embargo = parseEmbargo('Fri 6pm - Mon 9am, Wed 12:00 - Wed 14:00');
    expect(embargo.intervals).toHaveLength(2);
    expect(embargo.covers(at('2024-06-12T13:00:00Z'))).toBe(true);
    expect(embargo.covers(at('2024-06-08T13:00:00Z'))).toBe(true);
    expect(embargo.covers(at('2024-06-11T13:00:00Z'))).toBe(false);
  });

  it('ignores `now`: every accepted form is weekly', () => {
    const spec = 'Fri 6pm - Mon 9am';
    expect(parseEmbargo(spec, at('2030-01-01T00:00:00Z')).intervals).toEqual(parseEmbargo(spec).intervals);
  });
});

describe('parseEmbargo: spellings', () => {
  it.each<[string, string]>([
    ['Friday 6pm - Monday 9am', 'Friday 18:00 UTC - Monday 09:00 UTC'],
    ['FRIDAY 6PM - monday 9AM', 'Friday 18:00 UTC - Monday 09:00 UTC'],
    ['Fri@17:00 - Mon@09:00', 'Friday 17:00 UTC - Monday 09:00 UTC'],
    ['fri @ 17:00-mon@9:05', 'Friday 17:00 UTC - Monday 09:05 UTC'],
    ['Tues 12:30pm - Thurs 12am', 'Tuesday 12:30 UTC - Thursday 00:00 UTC'],
    ['Tue 12pm - Thu 11:59pm', 'Tuesday 12:00 UTC - Thursday 23:59 UTC'],
    ['Wed 9 am - Wed 5 p.m.', 'Wednesday 09:00 UTC - Wednesday 17:00 UTC'],
    ['Sat 0:00 - Sun 23:59', 'Saturday 00:00 UTC - Sunday 23:59 UTC'],
    ['Friday 6pm Europe/London - Monday 9am Europe/London', 'Friday 18:00 Europe/London - Monday 09:00 Europe/London'],
    ['Fri 6pm europe/london - Mon 9am utc', 'Friday 18:00 Europe/London - Monday 09:00 UTC'],
    ['Fri 6pm – Mon 9am', 'Friday 18:00 UTC - Monday 09:00 UTC'], // en dash, as pasted from a document
    // Zones with dashes of their own still split at the right dash.
    ['Fri 6pm America/Port-au-Prince - Mon 9am Etc/GMT-5', 'Friday 18:00 America/Port-au-Prince - Monday 09:00 Etc/GMT-5'],
    ['Fri 6pm - Mon 9am,Sat 1am-Sat 2am', 'Friday 18:00 UTC - Monday 09:00 UTC, Saturday 01:00 UTC - Saturday 02:00 UTC'],
  ])('%s reads as %s', (spec, described) => {
    expect(parseEmbargo(spec).describe()).toBe(described);
  });

  it('exposes each interval, weekday numbered like getUTCDay, and the text it came from', () => {
    expect(parseEmbargo(' Fri 6pm Europe/London - Mon 9am ').intervals).toEqual([
      {
        start: { weekday: 5, hour: 18, minute: 0, timeZone: 'Europe/London' },
        end: { weekday: 1, hour: 9, minute: 0, timeZone: 'UTC' }, // each end has its own zone, UTC by default, as in marge-bot
        source: 'Fri 6pm Europe/London - Mon 9am',
      },
    ]);
  });

  it('reads its own description back to the same intervals', () => {
    const embargo = parseEmbargo('Fri 6pm Europe/London - Mon 9am Europe/London, Wed 12am - Wed 1:30am');
    const strip = (e: ReturnType<typeof parseEmbargo>) => e.intervals.map(({ start, end }) => ({ start, end }));
    expect(strip(parseEmbargo(embargo.describe()))).toEqual(strip(embargo));
  });
});

describe('parseEmbargo: time zones and DST', () => {
  const london = parseEmbargo('Fri 6pm Europe/London - Mon 9am Europe/London');

  it('follows London wall-clock time in summer (BST = UTC+1)', () => {
    expect(london.covers(at('2024-06-07T16:59:59.999Z'))).toBe(false);
    expect(london.covers(at('2024-06-07T17:00:00.000Z'))).toBe(true);
    expect(london.covers(at('2024-06-10T08:00:00.000Z'))).toBe(true);
    expect(london.covers(at('2024-06-10T08:00:00.001Z'))).toBe(false);
  });

  it('starts in GMT and ends in BST the weekend clocks go forward', () => {
    expect(london.covers(at('2024-03-29T17:59:59.999Z'))).toBe(false);
    expect(london.covers(at('2024-03-29T18:00:00.000Z'))).toBe(true);
    expect(london.nextEnd(at('2024-03-30T12:00:00Z'))?.toISOString()).toBe('2024-04-01T08:00:00.001Z');
    expect(london.covers(at('2024-04-01T08:00:00.001Z'))).toBe(false);
  });

  it('starts in BST and ends in GMT the weekend clocks go back', () => {
    expect(london.covers(at('2024-10-25T16:59:59.999Z'))).toBe(false);
    expect(london.covers(at('2024-10-25T17:00:00.000Z'))).toBe(true);
    expect(london.nextEnd(at('2024-10-26T12:00:00Z'))?.toISOString()).toBe('2024-10-28T09:00:00.001Z');
  });

  it('ends a skipped wall-clock time (01:30 the night clocks go forward) at the instant as far past the jump', () => {
    const night = parseEmbargo('Sat 11pm Europe/London - Sun 1:30am Europe/London');
    // 01:30 GMT does not exist on 31 March 2024; it is read as 02:30 BST, which is 01:30 UTC.
    expect(iso(night.nextEnd(at('2024-03-31T00:30:00Z')))).toBe('2024-03-31T01:30:00.001Z');
  });

  it('ends a repeated wall-clock time (01:30 the night clocks go back) at its first occurrence', () => {
    const night = parseEmbargo('Sat 11pm Europe/London - Sun 1:30am Europe/London');
    // 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT) on 27 October 2024.
    expect(iso(night.nextEnd(at('2024-10-26T23:00:00Z')))).toBe('2024-10-27T00:30:00.001Z');
    expect(night.covers(at('2024-10-27T01:00:00Z'))).toBe(false);
  });

  it('lets each end have its own zone', () => {
    // 17:00 in New York (EDT, UTC-4) is 21:00 UTC; 09:00 in Tokyo (UTC+9) is 00:00 UTC.
    const embargo = parseEmbargo('Fri 5pm America/New_York - Mon 9am Asia/Tokyo');
    expect(embargo.covers(at('2024-06-07T20:59:59.999Z'))).toBe(false);
    expect(embargo.covers(at('2024-06-07T21:00:00.000Z'))).toBe(true);
    expect(iso(embargo.nextEnd(at('2024-06-08T12:00:00Z')))).toBe('2024-06-10T00:00:00.001Z');
    expect(embargo.covers(at('2024-06-10T00:00:00.001Z'))).toBe(false);
  });

  it('mixes intervals in different zones', () => {
    const embargo = parseEmbargo('Wed 9am America/Los_Angeles - Wed 10am America/Los_Angeles, Wed 9am Asia/Kolkata - Wed 10am Asia/Kolkata');
    expect(embargo.covers(at('2024-06-12T16:30:00Z'))).toBe(true); // 09:30 PDT
    expect(embargo.covers(at('2024-06-12T04:00:00Z'))).toBe(true); // 09:30 IST
    expect(embargo.covers(at('2024-06-12T10:00:00Z'))).toBe(false);
  });
});

describe('Embargo.nextEnd', () => {
  it('is the first uncovered instant: the inclusive end plus 1 ms', () => {
    const weekend = parseEmbargo('Fri 6pm - Mon 9am');
    expect(iso(weekend.nextEnd(at('2024-06-07T18:00:00Z')))).toBe('2024-06-10T09:00:00.001Z');
    expect(iso(weekend.nextEnd(at('2024-06-10T09:00:00.000Z')))).toBe('2024-06-10T09:00:00.001Z');
  });

  it('is null when not covered', () => {
    const weekend = parseEmbargo('Fri 6pm - Mon 9am');
    expect(weekend.nextEnd(at('2024-06-10T09:00:00.001Z'))).toBeNull();
    expect(weekend.nextEnd(at('2024-06-12T12:00:00Z'))).toBeNull();
  });

  it('continues through overlapping intervals, whichever order they are written in', () => {
    for (const spec of ['Fri 6pm - Sat 6pm, Sat 12:00 - Sun 12:00', 'Sat 12:00 - Sun 12:00, Fri 6pm - Sat 6pm']) {
      const embargo = parseEmbargo(spec);
      expect(iso(embargo.nextEnd(at('2024-06-07T20:00:00Z')))).toBe('2024-06-09T12:00:00.001Z');
      expect(iso(embargo.nextEnd(at('2024-06-08T13:00:00Z')))).toBe('2024-06-09T12:00:00.001Z');
    }
  });

  it('takes the later end when one interval lies inside another', () => {
    const embargo = parseEmbargo('Fri 6pm - Mon 9am, Sat 1am - Sat 2am');
    expect(iso(embargo.nextEnd(at('2024-06-08T01:30:00Z')))).toBe('2024-06-10T09:00:00.001Z');
  });

  it('continues through an interval that starts exactly where another ends', () => {
    const embargo = parseEmbargo('Mon 9am - Mon 10am, Mon 10am - Mon 11am, Mon 11:00 - Mon 11:30');
    expect(iso(embargo.nextEnd(at('2024-06-10T09:30:00Z')))).toBe('2024-06-10T11:30:00.001Z');
  });

  it('stops at a gap, even one minute long', () => {
    const embargo = parseEmbargo('Mon 9am - Mon 10am, Mon 10:01 - Mon 11am');
    expect(iso(embargo.nextEnd(at('2024-06-10T09:30:00Z')))).toBe('2024-06-10T10:00:00.001Z');
    expect(embargo.covers(at('2024-06-10T10:00:30Z'))).toBe(false);
  });

  it('chains across zones, continuing into a second interval that covers the end of the first', () => {
    // Friday 18:00 London (BST) to Saturday 12:00 UTC, then Saturday 12:00 New York (16:00 UTC) is a gap.
    const embargo = parseEmbargo('Fri 6pm Europe/London - Sat 12pm, Sat 8am America/New_York - Sat 6pm America/New_York');
    // 08:00 EDT = 12:00 UTC, so the second interval starts exactly where the first ends and runs to 22:00 UTC.
    expect(iso(embargo.nextEnd(at('2024-06-07T20:00:00Z')))).toBe('2024-06-08T22:00:00.001Z');
  });
});

describe('parseEmbargo: errors name the offending part and say what is valid', () => {
  const failure = (spec: string): EmbargoError => {
    try {
      parseEmbargo(spec);
    } catch (error) {
      if (error instanceof EmbargoError) return error;
      throw error;
    }
    throw new Error(`expected ${JSON.stringify(spec)} to be rejected`);
  };

  it.each<[string, string, RegExp]>([
    ['Friday 6pm', 'Friday 6pm', /no "-"/],
    ['Fri 6pm -', 'Fri 6pm -', /no end/],
    ['- Mon 9am', '- Mon 9am', /no start/],
    ['Fryday 6pm - Mon 9am', 'Fryday', /not a day of the week/],
    ['constructor 6pm - Mon 9am', 'constructor', /not a day of the week/],
    ['Fri - Mon 9am', 'Fri', /not "<day> <time> \[zone\]"/],
    ['Fri 6pm - Mon 9xm', '9xm', /not a time/],
    ['Fri 13pm - Mon 9am', '13pm', /12-hour/],
    ['Fri 0am - Mon 9am', '0am', /12-hour/],
    ['Fri 24:00 - Mon 9am', '24:00', /24-hour/],
    ['Fri 18:60 - Mon 9am', '18:60', /24-hour/],
    ['Fri 18 - Mon 9am', '18', /not a time/],
    ['Fri 6pm Mars/Olympus_Mons - Mon 9am', 'Mars/Olympus_Mons', /not a known IANA time zone/],
    ['Fri 6pm - Mon 9am Europe/Lundon', 'Europe/Lundon', /not a known IANA time zone/],
    ['Fri 6pm - Mon 9am tomorrow', 'tomorrow', /not a known IANA time zone/],
    ['Mon 9am - Mon 9am', 'Mon 9am - Mon 9am', /same time/],
  ])('%s: %s', (spec, part, reason) => {
    const error = failure(spec);
    expect(error.name).toBe('EmbargoError');
    expect(error.part).toBe(part);
    expect(error.message).toContain(JSON.stringify(part));
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(EMBARGO_FORMS);
  });

  it('names a stray comma', () => {
    for (const spec of ['Fri 6pm - Mon 9am,', ', Fri 6pm - Mon 9am', 'Fri 6pm - Mon 9am,,Sat 1am - Sat 2am']) {
      expect(failure(spec).message).toMatch(/empty interval \(check for a stray comma\)/);
    }
  });

  it('refuses an embargo that never ends', () => {
    const error = failure('Mon 0:00 - Sun 23:59, Sun 23:00 - Mon 1:00');
    expect(error.message).toMatch(/whole week/);
  });

  it('quotes the whole spec first, so the message stands on its own in logs', () => {
    expect(failure('Fri 6pm - Mon 9xm').message).toMatch(/^Invalid embargo "Fri 6pm - Mon 9xm": "9xm" is not a time\. Accepted: /);
  });
});
