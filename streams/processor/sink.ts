/**
 * The processor's ClickHouse write path: one INSERT per table per batch in TabSeparated (several
 * times cheaper than JSONEachRow for ClickHouse 18.16 to parse, and for Node to produce), each with
 * a query_id derived from the batch id, so that a restarted processor can tell whether a dead
 * process's insert is still running (system.processes) before deciding whether its batch landed.
 * Uses @clickhouse/client (as infra/clickhouse/client.ts does) with the platform's URL; rows are
 * the fact rows of streams/facts and facts.ts, columns as in migration 0001.
 */
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { ClickHouseError } from '../../infra/clickhouse/client';
import type { Config } from '../../infra/config';
import { DIMENSION_KEYS } from '../facts/dimensions';

/** Columns written per table (every other column of 0001 has none: there is none). */
export const COLUMNS = {
  effectifs_deltas: ['jour', 'statut', 'delta', ...DIMENSION_KEYS, 'record_key', 'version', 'batch_id'],
  statut_intervalles: [
    'record_key',
    'idx',
    'version',
    'deleted',
    'statut',
    'debut',
    'fin',
    ...DIMENSION_KEYS,
  ],
  dossiers: [
    'record_key',
    'version',
    'person_key',
    'operation',
    'deleted',
    ...DIMENSION_KEYS,
    'code_commune_insee',
    'date_entree',
    'date_fin',
    'statut_en_cours',
    'identite_chiffree',
    'ingestion_time',
  ],
  transitions: [
    'event_id',
    'record_key',
    'person_key',
    'version',
    'statut_avant',
    'statut_apres',
    'date_effet',
    'cause',
    'detected_at',
    'organisme_uai',
    'departement',
  ],
} as const;

export type FactTable = keyof typeof COLUMNS;

const SPECIAL = /[\t\n\\\r]/;
const escapeTsv = (s: string) =>
  s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

function cell(v: unknown): string {
  if (typeof v === 'string') return SPECIAL.test(v) ? escapeTsv(v) : v;
  if (typeof v === 'number') return String(v);
  return v === null || v === undefined ? '\\N' : String(v);
}

type LineEncoder = (row: object) => string;
const encoders = new Map<string, LineEncoder>();

/**
 * Compiles `return [cells…].join('\t')` over `parts` (JS expressions of `r`), writing into one
 * reused array: a flat line in one allocation, where `a + '\t' + b + …` makes a rope of ~50
 * pieces per row (the processor writes hundreds of thousands of rows per second).
 */
function compileJoin(parts: readonly string[], dims: LineEncoder | null): LineEncoder {
  const cells = new Array<string>(parts.length).fill('');
  const body = `${parts.map((p, i) => `a[${i}] = ${p};`).join('\n')}\nreturn a.join('\\t');`;
  const compiled = new Function('cell', 'dims', 'a', 'r', body) as (
    f: typeof cell,
    d: LineEncoder | null,
    a: string[],
    r: object,
  ) => string;
  return (r) => compiled(cell, dims, cells, r);
}

/** `cell(r.<column>)` for each column (the column names are ours, never input). */
function cellReads(columns: readonly string[]): string[] {
  for (const c of columns) if (!/^[a-z_]+$/.test(c)) throw new Error(`bad column name ${c}`);
  return columns.map((c) => `cell(r.${c})`);
}

/**
 * The dimension cells of a row, reusing the previous row's text when every dimension is the same:
 * a record's delta and interval rows are consecutive and share their dimensions, which are 17 of
 * their 24 cells.
 */
function dimensionsSegment(): LineEncoder {
  const encode = compileJoin(cellReads(DIMENSION_KEYS), null);
  const same = new Function(
    'a',
    'b',
    `return ${DIMENSION_KEYS.map((k) => `a.${k} === b.${k}`).join(' && ')};`,
  ) as (a: object, b: object) => boolean;
  let last: object | null = null;
  let text = '';
  return (r) => {
    if (last === null || !same(r, last)) {
      text = encode(r);
      last = r;
    }
    return text;
  };
}

/**
 * The line encoder of a column list, compiled once: direct property reads joined by tabs (a
 * generic loop over column names is several times slower); the dimensions, when the columns hold
 * all of them in a row, as one cached segment.
 */
function encoderOf(columns: readonly string[]): LineEncoder {
  const id = columns.join(',');
  let enc = encoders.get(id);
  if (!enc) {
    const reads = cellReads(columns);
    const at = columns.indexOf(DIMENSION_KEYS[0]!);
    if (at >= 0 && DIMENSION_KEYS.every((k, i) => columns[at + i] === k)) {
      reads.splice(at, DIMENSION_KEYS.length, 'dims(r)');
      enc = compileJoin(reads, dimensionsSegment());
    } else enc = compileJoin(reads, null);
    encoders.set(id, enc);
  }
  return enc;
}

/** One TabSeparated line per row (null → \N; strings escaped). */
export function toTsv(columns: readonly string[], rows: readonly object[]): string {
  if (rows.length === 0) return '';
  const enc = encoderOf(columns);
  const lines = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) lines[r] = enc(rows[r]!);
  return lines.join('\n') + '\n'; // flat: Buffer.from copies it without flattening a rope first
}

export interface FactSink {
  /** One INSERT of `rows` into `table`, with query_id `queryId` (one atomic block below a million rows). */
  insert(table: FactTable, rows: readonly object[], queryId: string): Promise<void>;
  /** Whether a query with this id is running on the server. */
  running(queryId: string): Promise<boolean>;
  close(): Promise<void>;
}

const QUERY_ID = /^[0-9a-z-]{1,80}$/;

/** One row (n): how many queries with this id the server is running (0 or 1). */
export function runningQuerySql(queryId: string): string {
  if (!QUERY_ID.test(queryId)) throw new Error(`not a query id: ${queryId}`);
  return `SELECT count() AS n FROM system.processes WHERE query_id = '${queryId}'`;
}

export function createFactSink(c: Config): FactSink {
  const database = c.clickhouseDatabase;
  const client: ClickHouseClient = createClient({
    url: c.clickhouseUrl,
    database: 'default',
    request_timeout: 60_000,
    max_open_connections: 16,
    compression: { request: false, response: false },
  });
  return {
    async insert(table, rows, queryId) {
      if (rows.length === 0) return;
      const body = toTsv(COLUMNS[table], rows);
      try {
        await client.insert({
          table: `${database}.${table}`,
          columns: [...COLUMNS[table]],
          values: Readable.from([Buffer.from(body)], { objectMode: false }),
          format: 'TabSeparated',
          query_id: queryId,
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const code = /Code: (\d+)/.exec(message);
        throw new ClickHouseError(
          message,
          code ? Number(code[1]) : undefined,
          `INSERT INTO ${database}.${table}`,
        );
      }
    },
    async running(queryId) {
      const rs = await client.query({ query: runningQuerySql(queryId), format: 'JSONEachRow' });
      const [row] = (await rs.json()) as { n: string }[];
      return Number(row?.n ?? 0) > 0;
    },
    close: () => client.close(),
  };
}

/**
 * The builders of this module (test/chdb runs each on ClickHouse 18.16 and current ClickHouse):
 * `toTsv` over COLUMNS is the body of every fact insert.
 */
export const SQL_BUILDERS = { toTsv, runningQuerySql };
