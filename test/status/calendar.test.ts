/** Calendar days: day numbers ⇄ ISO, and every date shape ERPs send (parseCalendarDay). */
import fc from 'fast-check';
import {
  CalendarDayError,
  calendarDayOfInstant,
  dayFromIso,
  dayFromYmd,
  daysInMonth,
  isBlankDate,
  isLeapYear,
  isoFromDay,
  MAX_DAY,
  MIN_DAY,
  parseCalendarDay,
  parseOptionalCalendarDay,
  ymdFromDay,
} from '../../streams/status/calendar';
import { statusWarningMessage } from '../../streams/status/messages';

/** The ISO date of a day number by JavaScript's own Date (independent of the code under test). */
const isoByDate = (day: number): string => new Date(day * 86_400_000).toISOString().slice(0, 10);

function errorCode(value: unknown): string {
  try {
    parseCalendarDay(value);
  } catch (err) {
    if (err instanceof CalendarDayError) return err.code;
    throw err;
  }
  return 'NO_ERROR';
}

describe('day numbers', () => {
  it('counts days since 1970-01-01 UTC', () => {
    expect(dayFromIso('1970-01-01')).toBe(0);
    expect(dayFromIso('1969-12-31')).toBe(-1);
    expect(dayFromIso('2024-09-01')).toBe(19967);
    expect(isoFromDay(19967)).toBe('2024-09-01');
    expect(dayFromYmd(2000, 2, 29)).toBe(11016);
    expect(ymdFromDay(11016)).toEqual({ year: 2000, month: 2, day: 29 });
  });

  it('knows leap years and month lengths', () => {
    expect([1900, 2000, 2023, 2024, 2100].map(isLeapYear)).toEqual([false, true, false, true, false]);
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2023, 2)).toBe(28);
    expect(daysInMonth(2024, 4)).toBe(30);
    expect(dayFromIso('2024-03-01') - dayFromIso('2024-02-28')).toBe(2);
    expect(dayFromIso('2100-03-01') - dayFromIso('2100-02-28')).toBe(1);
  });

  it('round-trips ISO ⇄ day number over years 0001–9999, agreeing with Date', () => {
    expect(isoFromDay(MIN_DAY)).toBe('0001-01-01');
    expect(isoFromDay(MAX_DAY)).toBe('9999-12-31');
    fc.assert(
      fc.property(fc.integer({ min: MIN_DAY, max: MAX_DAY }), (day) => {
        const iso = isoFromDay(day);
        return iso === isoByDate(day) && dayFromIso(iso) === day;
      }),
      { numRuns: 20_000 },
    );
  });

  it('isoFromDay rejects what is not a day number', () => {
    expect(() => isoFromDay(1.5)).toThrow(RangeError);
    expect(() => isoFromDay(MAX_DAY + 1)).toThrow(RangeError);
  });

  it('dayFromIso is strict', () => {
    expect(() => dayFromIso('2024-9-1')).toThrow(CalendarDayError);
    expect(() => dayFromIso('2023-02-29')).toThrow(expect.objectContaining({ code: 'DATE_INEXISTANTE' }));
    expect(() => dayFromIso('2024-13-01')).toThrow(expect.objectContaining({ code: 'DATE_INEXISTANTE' }));
    expect(() => dayFromIso('2024-00-10')).toThrow(expect.objectContaining({ code: 'DATE_INEXISTANTE' }));
    expect(() => dayFromIso('abcd-ef-gh')).toThrow(expect.objectContaining({ code: 'FORMAT_INCONNU' }));
  });

  it('calendarDayOfInstant reads an instant as a Paris calendar day', () => {
    expect(calendarDayOfInstant(Date.parse('2024-08-31T22:00:00Z'))).toBe(dayFromIso('2024-09-01'));
    expect(calendarDayOfInstant(Date.parse('2024-08-31T21:59:59Z'))).toBe(dayFromIso('2024-08-31'));
    expect(calendarDayOfInstant(Date.parse('2024-08-31T22:00:00Z'), 'UTC')).toBe(dayFromIso('2024-08-31'));
    expect(() => calendarDayOfInstant(0, 'Nowhere/Nothing')).toThrow(
      expect.objectContaining({ code: 'FUSEAU_INCONNU' }),
    );
  });
});

describe('parseCalendarDay', () => {
  const day = (v: unknown): string => isoFromDay(parseCalendarDay(v).day);
  const warning = (v: unknown): string | undefined => parseCalendarDay(v).warning?.code;

  it('reads YYYY-MM-DD without warning, trimming spaces', () => {
    expect(parseCalendarDay('2024-09-01')).toEqual({ day: 19967 });
    expect(parseCalendarDay(' 2024-09-01 ')).toEqual({ day: 19967 });
    expect(day('2024-02-29')).toBe('2024-02-29');
  });

  it('reads UTC date-times as the calendar day in Europe/Paris, with a warning', () => {
    expect(day('2024-08-31T22:00:00.000Z')).toBe('2024-09-01'); // local midnight converted to UTC (summer)
    expect(warning('2024-08-31T22:00:00.000Z')).toBe('DATE_HEURE_CONVERTIE');
    expect(day('2024-12-31T23:00:00Z')).toBe('2025-01-01'); // winter: UTC+1
    expect(day('2024-12-31T22:59:59Z')).toBe('2024-12-31');
    expect(day('2024-09-01T00:00:00.000Z')).toBe('2024-09-01');
    expect(day('2024-09-01T10:15:00Z')).toBe('2024-09-01');
    expect(warning('2024-09-01T10:15:00Z')).toBe('DATE_HEURE_IGNOREE'); // a time dropped, same day
    expect(day('2024-09-01T00:00:00+02:00')).toBe('2024-09-01');
    expect(day('2024-09-01T00:00:00+0200')).toBe('2024-09-01');
    expect(day('2024-09-01T00:00+02')).toBe('2024-09-01');
    expect(day('2024-09-01 00:00:00Z')).toBe('2024-09-01');
    expect(day('2024-09-01T00:00:00 +02:00')).toBe('2024-09-01');
    expect(day('2024-03-31T01:30:00Z')).toBe('2024-03-31'); // the night of the change to summer time
    expect(day('2024-02-28T23:00:00Z')).toBe('2024-02-29');
    expect(day('2024-08-31T22:00:00+00:00')).toBe('2024-09-01');
    expect(day('2024-08-31T22:00:00-0000')).toBe('2024-09-01');
  });

  it('reads a date-time with a non-zero offset as the sender’s own day (overseas ERPs), with a warning', () => {
    expect(day('2024-09-01T00:00:00+04:00')).toBe('2024-09-01'); // La Réunion midnight (Paris: 08-31 22:00)
    expect(day('2005-03-04T00:00:00+14:00')).toBe('2005-03-04');
    expect(day('2024-09-01T00:00:00+11:00')).toBe('2024-09-01'); // Nouvelle-Calédonie
    expect(day('2024-08-31T20:00:00-04:00')).toBe('2024-08-31'); // as written, not 02:00 in Paris
    expect(warning('2024-09-01T00:00:00+04:00')).toBeUndefined(); // midnight: the day written
    expect(warning('2024-08-31T20:00:00-04:00')).toBe('DATE_HEURE_IGNOREE');
    const local = parseCalendarDay('2024-09-01T08:30:00+04:00').warning!;
    expect(local).toEqual({
      code: 'DATE_HEURE_IGNOREE',
      params: {
        recu: '2024-09-01T08:30:00+04:00',
        jour: '2024-09-01',
        forme: 'decalage',
        decalage: '+04:00',
      },
    });
    expect(statusWarningMessage({ ...local, champ: 'date_entree_formation' })).toMatch(/décalage \+04:00/);
    expect(() => parseCalendarDay('2024-09-01T00:00:00+19:00')).toThrow(/décalage hors limites/);
    expect(() => parseCalendarDay('2024-09-01T25:00:00+02:00')).toThrow(/heure ou décalage hors limites/);
    expect(() => parseCalendarDay('2024-02-30T00:00:00+02:00')).toThrow(CalendarDayError);
  });

  it('issue 10: a date-time at exactly midnight is that calendar day, without a warning', () => {
    // What most JavaScript ERPs send for every date (toISOString() of a date at UTC midnight).
    expect(parseCalendarDay('2021-09-01T00:00:00.000Z')).toEqual({ day: dayFromIso('2021-09-01') });
    for (const midnight of [
      '2021-09-01T00:00:00Z',
      '2021-09-01T00:00Z',
      '2021-09-01 00:00:00.000000Z',
      '2021-09-01T00:00:00+00:00',
      '2021-09-01T00:00:00.000+02:00',
      '2021-09-01T00:00:00-04:00',
      '2021-09-01T00:00:00',
      '2021-09-01T00:00',
      new Date('2021-09-01T00:00:00.000Z'),
    ])
      expect([midnight, parseCalendarDay(midnight)]).toEqual([midnight, { day: dayFromIso('2021-09-01') }]);
    // A day had to be chosen: warned.
    expect(parseCalendarDay('2021-08-31T22:00:00.000Z').warning?.code).toBe('DATE_HEURE_CONVERTIE');
    expect(parseCalendarDay('2021-09-01T00:00:00.001Z').warning?.code).toBe('DATE_HEURE_IGNOREE');
    expect(parseCalendarDay('2021-09-01T00:00:01').warning?.code).toBe('DATE_HEURE_IGNOREE');
    expect(parseCalendarDay(new Date('2021-09-01T12:00:00Z')).warning?.code).toBe('DATE_HEURE_IGNOREE');
  });

  it('reads a date-time without zone as its own date, with a warning', () => {
    expect(day('2024-09-01T23:30:00')).toBe('2024-09-01');
    expect(warning('2024-09-01T23:30:00')).toBe('DATE_HEURE_IGNOREE');
    expect(errorCode('2024-09-01T25:00:00')).toBe('DATE_INEXISTANTE');
  });

  it('reads a zone option', () => {
    expect(isoFromDay(parseCalendarDay('2024-08-31T22:00:00Z', { zone: 'UTC' }).day)).toBe('2024-08-31');
    expect(() => parseCalendarDay('2024-08-31T22:00:00Z', { zone: 'Nowhere/Nothing' })).toThrow(
      expect.objectContaining({ code: 'FUSEAU_INCONNU' }),
    );
  });

  it('reads DD/MM/YYYY, DD-MM-YYYY and DD.MM.YYYY', () => {
    expect(day('01/09/2024')).toBe('2024-09-01');
    expect(day('1/9/2024')).toBe('2024-09-01');
    expect(day('01-09-2024')).toBe('2024-09-01');
    expect(day('01.09.2024')).toBe('2024-09-01');
    expect(day('29/02/2024')).toBe('2024-02-29');
    expect(warning('01/09/2024')).toBeUndefined();
    expect(errorCode('29/02/2023')).toBe('DATE_INEXISTANTE');
    expect(errorCode('01/09-2024')).toBe('FORMAT_INCONNU');
    expect(errorCode('01/09/24')).toBe('FORMAT_INCONNU');
  });

  it('reads Excel serial numbers of the 1900 date system, as numbers or numeric strings', () => {
    expect(day(45536)).toBe('2024-09-01');
    expect(day('45536')).toBe('2024-09-01');
    expect(day(25569)).toBe('1970-01-01');
    expect(day(1)).toBe('1900-01-01');
    expect(day(59)).toBe('1900-02-28');
    expect(day(61)).toBe('1900-03-01'); // after Lotus's phantom 1900-02-29
    expect(day(45351)).toBe('2024-02-29');
    expect(day(2958465)).toBe('9999-12-31');
    expect(day(45536.75)).toBe('2024-09-01');
    expect(warning(45536.75)).toBe('DATE_HEURE_IGNOREE');
    expect(warning('45536.5')).toBe('DATE_HEURE_IGNOREE');
    for (const bad of [60, 0, -1, 2958466, Number.NaN, Number.POSITIVE_INFINITY, '20240901']) {
      expect(errorCode(bad)).toBe('SERIE_EXCEL_HORS_LIMITES');
    }
  });

  it('reads Date objects as instants in Paris', () => {
    expect(day(new Date('2024-08-31T22:00:00Z'))).toBe('2024-09-01');
    expect(warning(new Date('2024-08-31T22:00:00Z'))).toBe('DATE_HEURE_CONVERTIE');
    expect(errorCode(new Date('nope'))).toBe('DATE_INEXISTANTE');
  });

  it('rejects everything else with a typed error naming the reason', () => {
    expect(errorCode('')).toBe('DATE_VIDE');
    expect(errorCode('   ')).toBe('DATE_VIDE');
    expect(errorCode(null)).toBe('TYPE_INVALIDE');
    expect(errorCode(undefined)).toBe('TYPE_INVALIDE');
    expect(errorCode(true)).toBe('TYPE_INVALIDE');
    expect(errorCode({})).toBe('TYPE_INVALIDE');
    expect(errorCode('demain')).toBe('FORMAT_INCONNU');
    expect(errorCode('2024/09/01')).toBe('FORMAT_INCONNU');
    expect(errorCode('2024-W35')).toBe('FORMAT_INCONNU');
    const err = (() => {
      try {
        parseCalendarDay('31/02/2024');
      } catch (e) {
        return e as CalendarDayError;
      }
      throw new Error('expected an error');
    })();
    expect(err).toBeInstanceOf(CalendarDayError);
    expect(err.message).toMatch(/31\/02\/2024/);
    expect(err.input).toBe('31/02/2024');
  });

  it('optional fields: blank means absent', () => {
    expect([undefined, null, '', '  ', '2024-09-01'].map(isBlankDate)).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(parseOptionalCalendarDay(null)).toBeNull();
    expect(parseOptionalCalendarDay('')).toBeNull();
    expect(parseOptionalCalendarDay('2024-09-01')).toEqual({ day: 19967 });
  });

  it('agrees across shapes for any day (ISO, DD/MM/YYYY, Excel serial)', () => {
    const excelMin = dayFromIso('1900-03-01');
    fc.assert(
      fc.property(fc.integer({ min: excelMin, max: MAX_DAY }), (d) => {
        const iso = isoByDate(d);
        const dmy = `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
        return (
          parseCalendarDay(iso).day === d &&
          parseCalendarDay(dmy).day === d &&
          parseCalendarDay(d + 25569).day === d &&
          parseCalendarDay(String(d + 25569)).day === d
        );
      }),
      { numRuns: 20_000 },
    );
  });
});
