/**
 * The one place where values become SQL text for ClickHouse. ClickHouse 18.16 has no server-side
 * query parameters, so every value is rendered here by its type, and nothing else can produce SQL:
 *
 * - `Sql` fragments can only be created by this module (the constructor needs a private token);
 *   the `sql` template tag accepts only `Sql` values (or arrays of them) in its holes, so a raw
 *   string interpolated by mistake throws instead of reaching the server;
 * - strings are escaped by ClickHouse's literal rules (backslash and quote escaped with a
 *   backslash, control characters as \xHH), must be well-formed Unicode and at most
 *   MAX_STRING_LENGTH characters;
 * - dates are parsed and re-formatted (YYYY-MM-DD, a real calendar day within ClickHouse's Date
 *   range); integers must be safe integers;
 * - identifiers (columns, tables, the database) come from closed lists only.
 *
 * A value that breaks these rules is a programming error here (SqlRenderError): user input is
 * validated before (api/sql/filters.ts turns bad input into a 400 naming the field).
 */
import { dayFromIso, isoFromDay } from '../../streams/status/calendar';
import { PermanentError } from '../../infra/errors';

/** Thrown when a value cannot be rendered safely (never for valid input; a 500 if it happens). */
export class SqlRenderError extends PermanentError {
  override name = 'SqlRenderError';
}

const TOKEN: unique symbol = Symbol('sql');

/** A piece of SQL text produced by this module. */
export class Sql {
  readonly text: string;
  constructor(token: typeof TOKEN, text: string) {
    if (token !== TOKEN) throw new SqlRenderError('Sql fragments are created by api/sql/render.ts only');
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

const make = (text: string) => new Sql(TOKEN, text);

/** Longest string value accepted in SQL (characters). Filters are much shorter; this bounds abuse. */
export const MAX_STRING_LENGTH = 1000;

/**
 * Template tag: SQL text with `Sql` fragments (or arrays of fragments, joined by ', ') in the
 * holes. Throws SqlRenderError for any other value.
 */
export function sql(strings: TemplateStringsArray, ...values: (Sql | readonly Sql[])[]): Sql {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (v instanceof Sql) out += v.text;
    else if (Array.isArray(v) && v.every((x) => x instanceof Sql))
      out += (v as Sql[]).map((x) => x.text).join(', ');
    else
      throw new SqlRenderError(
        `sql: hole ${i} is not an Sql fragment (${typeof v}); render values with lit.*`,
      );
    out += strings[i + 1] ?? '';
  });
  return make(out);
}

/** ClickHouse string literal of `s`: quote, backslash and control characters escaped. */
export function escapeString(s: string): string {
  let out = "'";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x27) out += "\\'";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += s[i];
  }
  return out + "'";
}

/** True when `s` has no lone UTF-16 surrogate (it encodes to UTF-8 without replacement). */
export function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Last day of ClickHouse's Date type (2106-02-07); we stop at the end of 2105. */
const MAX_DATE_DAY = dayFromIso('2105-12-31');

function dayOf(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new SqlRenderError(`date: not a day number: ${value}`);
    return value;
  }
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new SqlRenderError('date: YYYY-MM-DD expected');
  try {
    return dayFromIso(value);
  } catch {
    throw new SqlRenderError(`date: not a calendar day: ${value}`);
  }
}

/** Literal renderers, one per type. */
export const lit = {
  /** A string literal (escaped). */
  string(value: string): Sql {
    if (typeof value !== 'string') throw new SqlRenderError(`string expected, got ${typeof value}`);
    if (value.length > MAX_STRING_LENGTH)
      throw new SqlRenderError(`string longer than ${MAX_STRING_LENGTH} characters`);
    if (!isWellFormed(value)) throw new SqlRenderError('string is not well-formed Unicode (lone surrogate)');
    return make(escapeString(value));
  },
  /** A Date literal from YYYY-MM-DD or a day number (days since 1970-01-01), within ClickHouse's Date range. */
  date(value: string | number): Sql {
    const day = dayOf(value);
    if (day < 0 || day > MAX_DATE_DAY)
      throw new SqlRenderError(`date out of ClickHouse's Date range: ${value}`);
    return make(`toDate('${isoFromDay(day)}')`);
  },
  /** A non-negative safe integer. */
  uint(value: number): Sql {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new SqlRenderError(`non-negative integer expected: ${value}`);
    return make(String(value));
  },
  /** A safe integer. */
  int(value: number): Sql {
    if (!Number.isSafeInteger(value)) throw new SqlRenderError(`integer expected: ${value}`);
    return make(String(value));
  },
};

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** An identifier taken from a closed list (`allowed`); anything else throws. */
export function ident(name: string, allowed: readonly string[]): Sql {
  if (!allowed.includes(name) || !IDENTIFIER.test(name))
    throw new SqlRenderError(`identifier not allowed: ${JSON.stringify(name)}`);
  return make(name);
}

/** The tables the API reads or writes (closed list). */
export const TABLES = [
  'effectifs_deltas',
  'effectifs_territoire',
  'statut_intervalles',
  'dossiers',
  'transmissions',
  'acces_nominatifs',
] as const;
export type Table = (typeof TABLES)[number];

/** `database.table`: the database is the namespace (validated like TDB_NAMESPACE), the table from TABLES. */
export function table(database: string, name: Table): Sql {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(database))
    throw new SqlRenderError(`database name not allowed: ${JSON.stringify(database)}`);
  return make(`${database}.${ident(name, TABLES).text}`);
}

/** Joins fragments with a separator from a closed list. */
export function join(parts: readonly Sql[], separator: ', ' | ' AND ' | ' OR '): Sql {
  for (const p of parts) if (!(p instanceof Sql)) throw new SqlRenderError('join: not an Sql fragment');
  return make(parts.map((p) => p.text).join(separator));
}

/** `a AND b AND …`, or `1` when there is no condition. */
export function and(conditions: readonly Sql[]): Sql {
  return conditions.length === 0
    ? make('1')
    : join(
        conditions.map((c) => make(`(${c.text})`)),
        ' AND ',
      );
}

/** `column IN (v1, v2, …)`, or `0` (nothing matches) for an empty list. */
export function inList(column: Sql, values: readonly Sql[]): Sql {
  return values.length === 0 ? make('0') : sql`${column} IN (${values})`;
}
