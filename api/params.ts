/**
 * Parsing of the read API's non-filter parameters (dates) and the character check shared by every
 * query value, with 400 errors naming the field and the real reason.
 */
import { dayFromIso, isoFromDay } from '../streams/status';
import { badField, shown } from './errors';

/** Dates the API answers for: the platform's data starts after 2000; ClickHouse's Date ends in 2106. */
export const FIRST_DAY = dayFromIso('2000-01-01');
export const LAST_DAY = dayFromIso('2100-12-31');

/** Control characters (C0, DEL, C1), the replacement character, lone surrogates. */
const INVALID_CHAR =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\uFFFD]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The same, line breaks and tabs allowed (free text: an advisor's comment). */
const INVALID_CHAR_FREE_TEXT =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\uFFFD]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const codePoint = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * 400 `CARACTERES_INVALIDES` naming `field` when `raw` holds a control character, U+FFFD (what an
 * undecodable byte becomes) or a lone surrogate; `expected` (e.g. "format AAAA-MM-JJ attendu") is
 * appended. No query value of the API may hold one; `freeText` (body texts such as a comment)
 * allows line breaks and tabs.
 */
export function checkCharacters(
  field: string,
  raw: string,
  expected?: string,
  opts: { freeText?: boolean } = {},
): void {
  const m = (opts.freeText ? INVALID_CHAR_FREE_TEXT : INVALID_CHAR).exec(raw);
  if (!m) return;
  const what =
    m[0] === '\uFFFD' ? 'caractère non décodable U+FFFD' : `caractère de contrôle ${codePoint(m[0])}`;
  throw badField(
    field,
    `caractères invalides (${what})${expected ? ` ; ${expected}` : ''}`,
    'CARACTERES_INVALIDES',
  );
}

/** A YYYY-MM-DD query value as a day number; 400 naming `field` when malformed, not a real day, or out of range. */
export function parseDay(field: string, raw: string): number {
  checkCharacters(field, raw, 'format AAAA-MM-JJ attendu');
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(raw))
    throw badField(field, `format AAAA-MM-JJ attendu${shown(raw)}`);
  let day: number;
  try {
    day = dayFromIso(raw);
  } catch {
    throw badField(field, `date inexistante (${raw})`);
  }
  if (day < FIRST_DAY || day > LAST_DAY)
    throw badField(field, `date hors de la période 2000-01-01 … 2100-12-31 (reçu : ${raw})`);
  return day;
}

/** The `date` query value as ISO, or today's date (the platform clock, Europe/Paris) when absent. */
export function dateOrToday(field: string, raw: string | undefined, today: number): string {
  return isoFromDay(raw === undefined ? today : parseDay(field, raw));
}
