/** Parsing of the read API's non-filter parameters (dates), with 400 errors naming the field. */
import { dayFromIso, isoFromDay } from '../streams/status';
import { badField } from './errors';

/** Dates the API answers for: the platform's data starts after 2000; ClickHouse's Date ends in 2106. */
export const FIRST_DAY = dayFromIso('2000-01-01');
export const LAST_DAY = dayFromIso('2100-12-31');

/** A YYYY-MM-DD query value as a day number; 400 naming `field` when malformed, not a real day, or out of range. */
export function parseDay(field: string, raw: string): number {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(raw)) throw badField(field, 'date attendue au format AAAA-MM-JJ');
  let day: number;
  try {
    day = dayFromIso(raw);
  } catch {
    throw badField(field, `date inexistante (${raw})`);
  }
  if (day < FIRST_DAY || day > LAST_DAY)
    throw badField(field, 'date hors de la période 2000-01-01 … 2100-12-31');
  return day;
}

/** The `date` query value as ISO, or today's date (the platform clock, Europe/Paris) when absent. */
export function dateOrToday(field: string, raw: string | undefined, today: number): string {
  return isoFromDay(raw === undefined ? today : parseDay(field, raw));
}
