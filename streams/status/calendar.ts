/**
 * Calendar days as integers, and the parsing of every date shape ERPs send (shared by the whole
 * project: the connectors reuse `parseCalendarDay`).
 *
 * A day number is the count of days since 1970-01-01 (UTC): 0 is 1970-01-01, 19967 is 2024-09-01.
 * Conversions between day numbers and y/m/d are pure arithmetic (H. Hinnant's civil-date algorithms),
 * without Date objects; only date-times with a zone go through luxon.
 */
import { DateTime } from 'luxon';
import type { StatusWarningParams } from './types';
import { PermanentError } from '../../infra/errors';

/** The zone in which French ERPs write local midnight; date-times are read as calendar days there. */
export const DEFAULT_TIME_ZONE = 'Europe/Paris';

/** First and last day numbers accepted anywhere (0001-01-01 … 9999-12-31). */
export const MIN_DAY = -719162;
export const MAX_DAY = 2932896;

/** Excel 1900 date system: serial 1 is 1900-01-01; serial 60 is Lotus's phantom 1900-02-29. */
const EXCEL_MAX_SERIAL = 2958465; // 9999-12-31
const EXCEL_EPOCH_OFFSET = 25569; // serial of 1970-01-01

/** Why a value is not a calendar day. */
export type CalendarDayErrorCode =
  | 'TYPE_INVALIDE'
  | 'DATE_VIDE'
  | 'FORMAT_INCONNU'
  | 'DATE_INEXISTANTE'
  | 'SERIE_EXCEL_HORS_LIMITES'
  | 'FUSEAU_INCONNU';

/**
 * A value that cannot be read as a calendar day. The message is French and says what was expected;
 * the caller prefixes the field name (it knows it, this module does not).
 */
export class CalendarDayError extends PermanentError {
  override readonly name = 'CalendarDayError';
  constructor(
    readonly code: CalendarDayErrorCode,
    message: string,
    readonly input: unknown,
  ) {
    super(message);
  }
}

/**
 * A time part was present in the input and is not part of the result (the caller adds the field;
 * messages.ts renders the sentence). DATE_HEURE_CONVERTIE: the zone conversion changed the day;
 * DATE_HEURE_IGNOREE: it did not.
 */
export type CalendarDayWarning =
  | { code: 'DATE_HEURE_CONVERTIE'; params: StatusWarningParams['DATE_HEURE_CONVERTIE'] }
  | { code: 'DATE_HEURE_IGNOREE'; params: StatusWarningParams['DATE_HEURE_IGNOREE'] };

/** The result of `parseCalendarDay`: a day number, and a warning when a time part was dropped. */
export interface CalendarDay {
  day: number;
  warning?: CalendarDayWarning;
}

/** Options of `parseCalendarDay`. */
export interface ParseCalendarDayOptions {
  /** IANA zone in which UTC date-times are read (default Europe/Paris). */
  zone?: string;
}

/** Whether `year` (proleptic Gregorian) is a leap year. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Number of days in month `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Day number of a proleptic-Gregorian date. No range check: `month` 1–12 and `day` 1–31 are
 * assumed valid (use `dayFromIso` or `parseCalendarDay` for untrusted input).
 */
export function dayFromYmd(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400; // 0…399, so `| 0` below is an exact floor
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = (((153 * mp + 2) / 5) | 0) + day - 1;
  const doe = yoe * 365 + ((yoe / 4) | 0) - ((yoe / 100) | 0) + doy;
  return era * 146097 + doe - 719468;
}

/** The y/m/d of a day number (inverse of `dayFromYmd`). */
export function ymdFromDay(dayNumber: number): { year: number; month: number; day: number } {
  const z = dayNumber + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/**
 * Whole years from a birth day to `day` (both day numbers), by the birthday rule: one more year on
 * each anniversary (someone born on 29 February turns a year older on 1 March in common years).
 */
export function ageAt(naissance: number, day: number): number {
  const b = ymdFromDay(naissance);
  const d = ymdFromDay(day);
  return d.year - b.year - (d.month < b.month || (d.month === b.month && d.day < b.day) ? 1 : 0);
}

/**
 * 'YYYY-MM-DD' of a day number. Throws a RangeError outside 0001-01-01 … 9999-12-31 or for a
 * non-integer (a programming error, not bad input).
 */
export function isoFromDay(dayNumber: number): string {
  if (!Number.isInteger(dayNumber) || dayNumber < MIN_DAY || dayNumber > MAX_DAY) {
    throw new RangeError(`not a day number in 0001-01-01…9999-12-31: ${dayNumber}`);
  }
  const { year, month, day } = ymdFromDay(dayNumber);
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

/** Day number of a y/m/d checked for existence (throws CalendarDayError DATE_INEXISTANTE). */
function checkedDay(year: number, month: number, day: number, input: unknown): number {
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new CalendarDayError(
      'DATE_INEXISTANTE',
      `la date ${String(input)} n'existe pas dans le calendrier`,
      input,
    );
  }
  return dayFromYmd(year, month, day);
}

/** Value of the ASCII digits of `s` from `from` to `to` (exclusive), or -1 if one is not a digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Strict 'YYYY-MM-DD' → day number, without regular expressions or Date objects (hot path).
 * Throws CalendarDayError: FORMAT_INCONNU (other shape), DATE_INEXISTANTE (e.g. 2023-02-29).
 */
export function dayFromIso(iso: string): number {
  if (iso.length === 10 && iso.charCodeAt(4) === 45 && iso.charCodeAt(7) === 45) {
    const y = digits(iso, 0, 4);
    const m = digits(iso, 5, 7);
    const d = digits(iso, 8, 10);
    if (y >= 0 && m >= 0 && d >= 0) return checkedDay(y, m, d, iso);
  }
  throw new CalendarDayError('FORMAT_INCONNU', `date attendue au format AAAA-MM-JJ, reçu "${iso}"`, iso);
}

/**
 * Day number of an instant (ms since the epoch) as a calendar day in `zone` (default Europe/Paris).
 * Used at the edges to turn "now" into a day number; the engine itself has no clock.
 */
export function calendarDayOfInstant(epochMs: number, zone: string = DEFAULT_TIME_ZONE): number {
  const dt = DateTime.fromMillis(epochMs, { zone });
  if (!dt.isValid) {
    throw new CalendarDayError(
      'FUSEAU_INCONNU',
      `fuseau horaire inconnu ou instant invalide (${zone})`,
      epochMs,
    );
  }
  return dayFromYmd(dt.year, dt.month, dt.day);
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:\s*(Z|[+-]\d{2}(?::?\d{2})?))?$/i;
/** Whether the time part of a DATE_TIME match is exactly 00:00[:00[.000…]]. */
const atMidnight = (dt: RegExpExecArray) =>
  dt[4] === '00' && dt[5] === '00' && (dt[6] === undefined || dt[6] === '00') && !/[1-9]/.test(dt[7] ?? '');
/** Z, +00, +0000, +00:00 (or -00…): an instant in UTC. */
const isUtc = (zone: string) => /^(?:z|[+-]00(?::?00)?)$/i.test(zone);
/** ±HH[[:]MM] within ±18:00, the range of real offsets. */
function validOffset(zone: string): boolean {
  const m = /^[+-](\d{2})(?::?(\d{2}))?$/.exec(zone)!;
  const h = Number(m[1]);
  const mm = Number(m[2] ?? 0);
  return mm < 60 && h * 60 + mm <= 18 * 60;
}
const DAY_MONTH_YEAR = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$/;
const EXCEL_SERIAL = /^\d+(?:\.\d+)?$/;

/** 'YYYY-MM-DD' when `s` is 8 digits forming an existing date YYYYMMDD (1000–2999), else null. */
function compactDate(s: string): string | null {
  if (!/^[12]\d{7}$/.test(s)) return null;
  const [y, m, d] = [Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8))];
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}

function fromExcelSerial(serial: number, input: unknown): CalendarDay {
  const whole = Math.floor(serial);
  if (!Number.isFinite(serial) || whole < 1 || whole > EXCEL_MAX_SERIAL || whole === 60) {
    const compact = compactDate(String(input).trim());
    throw new CalendarDayError(
      'SERIE_EXCEL_HORS_LIMITES',
      whole === 60
        ? `numéro de série Excel 60 (29/02/1900, jour inexistant)`
        : compact
          ? `"${String(input).trim()}" ressemble à une date AAAAMMJJ sans séparateurs : format non accepté, écrivez ${compact}`
          : `numéro de série Excel hors limites (${String(input)}) : attendu 1 à ${EXCEL_MAX_SERIAL}, ou une date AAAA-MM-JJ`,
      input,
    );
  }
  // Serials before the phantom 1900-02-29 are one day ahead of the true calendar.
  const day = whole < 60 ? whole - (EXCEL_EPOCH_OFFSET - 1) : whole - EXCEL_EPOCH_OFFSET;
  if (whole === serial) return { day };
  return {
    day,
    warning: {
      code: 'DATE_HEURE_IGNOREE',
      params: { recu: String(input), jour: isoFromDay(day), forme: 'serie_excel' },
    },
  };
}

function fromInstant(dt: DateTime, input: string, writtenDay: number, zone: string): CalendarDay {
  if (!dt.isValid) {
    throw new CalendarDayError(
      dt.invalidReason === 'unsupported zone' ? 'FUSEAU_INCONNU' : 'DATE_INEXISTANTE',
      dt.invalidReason === 'unsupported zone'
        ? `fuseau horaire inconnu (${zone})`
        : `date-heure invalide "${input}" : date, heure ou décalage hors limites`,
      input,
    );
  }
  const day = dayFromYmd(dt.year, dt.month, dt.day);
  const iso = isoFromDay(day);
  if (writtenDay !== day) {
    return {
      day,
      warning: { code: 'DATE_HEURE_CONVERTIE', params: { recu: input, jour: iso, fuseau: zone } },
    };
  }
  return {
    day,
    warning: { code: 'DATE_HEURE_IGNOREE', params: { recu: input, jour: iso, forme: 'utc' } },
  };
}

/**
 * Reads one date as sent by an ERP and returns its calendar day number.
 *
 * Accepted (surrounding spaces ignored):
 * - 'YYYY-MM-DD';
 * - ISO date-time 'YYYY-MM-DDTHH:mm[:ss[.sss]]' (or a space instead of T) in UTC ('Z', ±00,
 *   ±0000, ±00:00): the instant's calendar day in `opts.zone` (Europe/Paris), since ERPs write
 *   local midnight and some convert it to UTC ('2024-08-31T22:00:00.000Z' → 2024-09-01);
 *   with a non-zero offset (±HH, ±HHmm, ±HH:mm, at most 18:00): its own date part, the sender's
 *   local day; without zone: its own date part;
 * - 'DD/MM/YYYY', 'DD-MM-YYYY', 'DD.MM.YYYY' (day and month may have one digit);
 * - Excel serial numbers of the 1900 date system, as a number or numeric string (45536 → 2024-09-01);
 * - a JS Date (an instant, read as a date-time with zone).
 *
 * A date-time at exactly midnight (00:00, 00:00:00, 00:00:00.000, in any zone: what JavaScript ERPs
 * send for every date) is the day written, without a warning. Otherwise, `warning` says when a day
 * had to be chosen: the zone conversion changed the day (DATE_HEURE_CONVERTIE), or a time that is
 * not midnight was dropped (DATE_HEURE_IGNOREE; also an Excel serial with a fraction).
 * Throws CalendarDayError (TYPE_INVALIDE, DATE_VIDE, FORMAT_INCONNU, DATE_INEXISTANTE,
 * SERIE_EXCEL_HORS_LIMITES, FUSEAU_INCONNU) naming the reason; the caller adds the field name.
 */
export function parseCalendarDay(value: unknown, opts?: ParseCalendarDayOptions): CalendarDay {
  const zone = opts?.zone ?? DEFAULT_TIME_ZONE;
  if (typeof value === 'number') return fromExcelSerial(value, value);
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new CalendarDayError('DATE_INEXISTANTE', 'objet Date invalide', value);
    if (ms % 86_400_000 === 0) return { day: ms / 86_400_000 }; // UTC midnight: that day
    return fromInstant(
      DateTime.fromMillis(ms, { zone }),
      value.toISOString(),
      Math.floor(ms / 86_400_000),
      zone,
    );
  }
  if (typeof value !== 'string') {
    throw new CalendarDayError(
      'TYPE_INVALIDE',
      `date attendue (texte AAAA-MM-JJ), reçu ${value === null ? 'null' : typeof value}`,
      value,
    );
  }
  const s = value.trim();
  if (s.length === 0) throw new CalendarDayError('DATE_VIDE', 'date vide', value);

  if (s.length === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) return { day: dayFromIso(s) };

  const dt = DATE_TIME.exec(s);
  if (dt) {
    const writtenDay = checkedDay(Number(dt[1]), Number(dt[2]), Number(dt[3]), s);
    const offset = dt[8];
    // Midnight is the calendar day written, whatever the zone: what most JavaScript ERPs send for
    // every date (`toISOString()` of a UTC date, 2021-09-01T00:00:00.000Z), nothing to warn about.
    // (In Paris, UTC midnight is 01:00 or 02:00 of the same day: the same day either way.)
    if (atMidnight(dt) && (offset === undefined || isUtc(offset) || validOffset(offset)))
      return { day: writtenDay };
    if (offset === undefined || !isUtc(offset)) {
      // A local time: without a zone, or with a non-zero offset, the sender's own (an overseas ERP
      // writes local midnight as 00:00+04:00): the day it wrote is its calendar day, where Paris
      // would make it the day before.
      const timeOk = Number(dt[4]) <= 24 && Number(dt[5]) <= 59 && Number(dt[6] ?? 0) <= 59;
      if (offset === undefined && !timeOk)
        throw new CalendarDayError('DATE_INEXISTANTE', `heure invalide dans "${s}"`, value);
      if (offset !== undefined && !(timeOk && validOffset(offset)))
        throw new CalendarDayError(
          'DATE_INEXISTANTE',
          `date-heure invalide "${s}" : heure ou décalage hors limites`,
          value,
        );
      return {
        day: writtenDay,
        warning: {
          code: 'DATE_HEURE_IGNOREE',
          params:
            offset === undefined
              ? { recu: s, jour: isoFromDay(writtenDay), forme: 'sans_fuseau' }
              : { recu: s, jour: isoFromDay(writtenDay), forme: 'decalage', decalage: offset },
        },
      };
    }
    // UTC: ERPs that store local midnight and serialise it in UTC (`toISOString()`), so the
    // calendar day is the one in Paris.
    const normalised = `${s.slice(0, 10)}T${s.slice(11).replace(/\s+/g, '').toUpperCase()}`;
    return fromInstant(DateTime.fromISO(normalised, { zone }), s, writtenDay, zone);
  }

  const dmy = DAY_MONTH_YEAR.exec(s);
  if (dmy) return { day: checkedDay(Number(dmy[4]), Number(dmy[3]), Number(dmy[1]), s) };

  if (EXCEL_SERIAL.test(s)) return fromExcelSerial(Number(s), s);

  throw new CalendarDayError(
    'FORMAT_INCONNU',
    `format de date non reconnu "${s}" : attendu AAAA-MM-JJ, JJ/MM/AAAA, date-heure ISO 8601 ou numéro de série Excel`,
    value,
  );
}

/** Whether a field counts as absent: undefined, null, or a blank string. */
export function isBlankDate(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim().length === 0);
}

/** `parseCalendarDay` for an optional field: null when `isBlankDate(value)`. */
export function parseOptionalCalendarDay(value: unknown, opts?: ParseCalendarDayOptions): CalendarDay | null {
  return isBlankDate(value) ? null : parseCalendarDay(value, opts);
}
