import { driveFolderName, inWindow, isMonth, isValidTimeZone, monthBefore, monthLabel, monthsBetween, monthWindow, parseMonth } from '../../../../src/domain/evidence/month';

describe('isMonth and parseMonth', () => {
  it.each(['2026-10', '2026-01', '2026-12', '1999-07'])('%j is a month', (text) => {
    expect(isMonth(text)).toBe(true);
  });

  it.each(['2026-13', '2026-00', '2026-1', '26-10', '2026/10', ' 2026-10', '2026-10-01', '0000-05', ''])('%j is not a month', (text) => {
    expect(isMonth(text)).toBe(false);
    expect(() => parseMonth(text)).toThrow(`Invalid month "${text}": expected YYYY-MM, e.g. 2026-10`);
  });

  it('reads the year and month as numbers', () => {
    expect(parseMonth('2026-09')).toEqual({ year: 2026, month: 9 });
  });
});

describe('isValidTimeZone', () => {
  it.each(['UTC', 'Europe/Madrid', 'America/Sao_Paulo', 'Australia/Lord_Howe'])('accepts %j', (tz) => {
    expect(isValidTimeZone(tz)).toBe(true);
  });

  it.each(['', 'Madrid', 'Europe/Atlantis', '+02:00', 'not a zone'])('refuses %j', (tz) => {
    expect(isValidTimeZone(tz)).toBe(false);
  });
});

describe('monthWindow', () => {
  it.each<[string, string, string, string]>([
    // Summer time ends on the last Sunday of October: the month starts at +02 and ends at +01.
    ['2026-10', 'Europe/Madrid', '2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z'],
    // …and starts on the last Sunday of March.
    ['2026-03', 'Europe/Madrid', '2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z'],
    ['2026-10', 'UTC', '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z'],
    ['2026-12', 'UTC', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2024-02', 'America/New_York', '2024-02-01T05:00:00.000Z', '2024-03-01T05:00:00.000Z'],
    // Brazil still had summer time in 2017 (from mid-October to February).
    ['2017-11', 'America/Sao_Paulo', '2017-11-01T02:00:00.000Z', '2017-12-01T02:00:00.000Z'],
    ['2017-10', 'America/Sao_Paulo', '2017-10-01T03:00:00.000Z', '2017-11-01T02:00:00.000Z'],
    // Lord Howe moves its clocks by half an hour (+10:30 / +11).
    ['2026-04', 'Australia/Lord_Howe', '2026-03-31T13:00:00.000Z', '2026-04-30T13:30:00.000Z'],
    ['2026-10', 'Australia/Lord_Howe', '2026-09-30T13:30:00.000Z', '2026-10-31T13:00:00.000Z'],
    // Samoa skipped 30 December 2011, moving from -10 to +14.
    ['2011-12', 'Pacific/Apia', '2011-12-01T10:00:00.000Z', '2011-12-31T10:00:00.000Z'],
    // Liberia's offset was -00:44:30 until 1972.
    ['1970-03', 'Africa/Monrovia', '1970-03-01T00:44:30.000Z', '1970-04-01T00:44:30.000Z'],
  ])('%s in %s is %s..%s', (month, tz, since, until) => {
    expect(monthWindow(month, tz)).toEqual({ since, until });
  });

  it('starts a month at the first instant of a 1st whose midnight the clocks skip', () => {
    // Paraguay went from 00:00 -04 to 01:00 -03 on 1 October 2017: the day began at 01:00 local.
    expect(monthWindow('2017-10', 'America/Asuncion').since).toBe('2017-10-01T04:00:00.000Z');
    // Cuba did the same on 1 April 2012; March ends where April starts.
    expect(monthWindow('2012-04', 'America/Havana').since).toBe('2012-04-01T05:00:00.000Z');
    expect(monthWindow('2012-03', 'America/Havana').until).toBe('2012-04-01T05:00:00.000Z');
  });

  it('starts a month at the first of two midnights when the clocks go back to 00:00', () => {
    // Cuba set 01:00 -04 back to 00:00 -05 on 1 November 2015: midnight came at 04:00Z and again at 05:00Z.
    expect(monthWindow('2015-11', 'America/Havana')).toEqual({ since: '2015-11-01T04:00:00.000Z', until: '2015-12-01T05:00:00.000Z' });
    expect(monthWindow('2015-10', 'America/Havana').until).toBe('2015-11-01T04:00:00.000Z');
  });

  it('starts every month at the first instant of the 1st, as the clocks show it, over years of DST changes', () => {
    for (const tz of ['Europe/Madrid', 'America/Santiago', 'America/Havana', 'Australia/Lord_Howe', 'Pacific/Apia', 'America/Sao_Paulo']) {
      const dayOf = new Intl.DateTimeFormat('en-US', { timeZone: tz, day: 'numeric' });
      for (const month of monthsBetween('2010-01', '2026-12')) {
        const since = Date.parse(monthWindow(month, tz).since);
        expect([month, tz, dayOf.format(since)]).toEqual([month, tz, '1']);
        expect([month, tz, dayOf.format(since - 1000)]).not.toEqual([month, tz, '1']);
        // A run at that very instant already reports on the month before.
        expect(monthBefore(new Date(since), tz)).toBe(monthsBetween('2009-12', month).at(-2));
      }
    }
  });

  it('refuses a bad month or time zone', () => {
    expect(() => monthWindow('2026-13', 'UTC')).toThrow('Invalid month "2026-13"');
    expect(() => monthWindow('2026-10', 'Europe/Atlantis')).toThrow('Invalid time zone "Europe/Atlantis"');
  });
});

describe('monthBefore', () => {
  it.each<[string, string, string]>([
    ['2026-11-01T03:30:00Z', 'Europe/Madrid', '2026-10'], // 04:30 on 1 November in Madrid
    ['2026-10-31T23:30:00Z', 'Europe/Madrid', '2026-10'], // already 00:30 on 1 November in Madrid
    ['2026-10-31T23:30:00Z', 'UTC', '2026-09'], // still 31 October
    ['2026-01-01T00:00:00Z', 'UTC', '2025-12'],
    ['2025-12-31T23:30:00Z', 'Europe/Madrid', '2025-12'], // New Year in Madrid, not yet in UTC
    ['2026-03-01T02:00:00Z', 'America/Los_Angeles', '2026-01'], // still 28 February in California
    ['2026-11-01T04:00:00+01:00', 'Europe/Madrid', '2026-10'], // offsets in the text are honoured
  ])('%s in %s reports %s', (instant, tz, month) => {
    expect(monthBefore(instant, tz)).toBe(month);
  });

  it('takes a Date too', () => {
    expect(monthBefore(new Date('2026-02-01T04:00:00Z'), 'Europe/Madrid')).toBe('2026-01');
  });

  it('refuses an unreadable instant or zone', () => {
    expect(() => monthBefore('yesterday', 'UTC')).toThrow('Invalid instant "yesterday"');
    expect(() => monthBefore(new Date(Number.NaN), 'UTC')).toThrow('Invalid instant');
    expect(() => monthBefore('2026-11-01T00:00:00Z', 'Mars/Olympus')).toThrow('Invalid time zone');
  });
});

describe('inWindow', () => {
  const october = monthWindow('2026-10', 'Europe/Madrid');

  it.each<[string, boolean]>([
    ['2026-10-01T00:00:00+02:00', true], // the first instant belongs to the month
    ['2026-09-30T23:59:59+02:00', false],
    ['2026-09-30T22:00:00Z', true],
    ['2026-10-31T23:59:59+01:00', true],
    ['2026-11-01T00:00:00+01:00', false], // until is exclusive
    ['2026-10-31T22:59:59.999Z', true],
    ['2026-10-15T12:00:00-07:00', true],
  ])('%s in October 2026 (Madrid): %s', (date, expected) => {
    expect(inWindow(date, october)).toBe(expected);
  });

  it('refuses a date it cannot read rather than dropping the commit', () => {
    expect(() => inWindow('last Tuesday', october)).toThrow('Invalid date "last Tuesday"');
  });
});

describe('month names', () => {
  it('names the Drive folder YYYY_MM', () => {
    expect(driveFolderName('2026-10')).toBe('2026_10');
    expect(driveFolderName('2027-01')).toBe('2027_01');
    expect(() => driveFolderName('2026-1')).toThrow('Invalid month');
  });

  it('labels a month in English', () => {
    expect(monthLabel('2026-10')).toBe('October 2026');
    expect(monthLabel('2027-01')).toBe('January 2027');
  });

  it('lists the months between two months, both included, across years', () => {
    expect(monthsBetween('2026-11', '2027-02')).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    expect(monthsBetween('2026-10', '2026-10')).toEqual(['2026-10']);
    expect(monthsBetween('2026-10', '2026-09')).toEqual([]);
  });
});
