/**
 * The platform's clock, injectable through TDB_CLOCK so that tests and demos can move time:
 *   unset                  the real clock;
 *   YYYY-MM-DD             that day, at noon in Europe/Paris (fixed);
 *   an ISO date-time       that instant (fixed);
 *   file:<path>            the date or date-time written in that file, read again at each call
 *                          (a test moves time for a running process by rewriting the file).
 * "Today" is the calendar day in Europe/Paris, as a day number (days since 1970-01-01).
 */
import fs from 'node:fs';
import { calendarDayOfInstant } from '../streams/status/calendar';
import { PermanentError } from './errors';

export interface Clock {
  /** Current instant, epoch milliseconds. */
  now(): number;
  /** Current calendar day in Europe/Paris, as a day number. */
  today(): number;
}

export class ClockError extends PermanentError {
  override name = 'ClockError';
}

function parseInstant(text: string, source: string): number {
  const t = text.trim();
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(t) ? Date.parse(`${t}T12:00:00+01:00`) : Date.parse(t);
  if (Number.isNaN(ms))
    throw new ClockError(`${source}: "${t}" is not a date (YYYY-MM-DD) or an ISO date-time`);
  return ms;
}

export function createClock(spec: string | undefined): Clock {
  let now: () => number;
  if (!spec) now = () => Date.now();
  else if (spec.startsWith('file:')) {
    const file = spec.slice(5);
    now = () => parseInstant(fs.readFileSync(file, 'utf8'), `TDB_CLOCK file ${file}`);
    now(); // fail early on a bad file
  } else {
    const fixed = parseInstant(spec, 'TDB_CLOCK');
    now = () => fixed;
  }
  return { now, today: () => calendarDayOfInstant(now()) };
}
