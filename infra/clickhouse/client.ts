/**
 * The ClickHouse client of the platform (@clickhouse/client over HTTP), adapted to the server
 * Debian ships (18.16): inserts always in JSONEachRow (the client's default format does not exist
 * there), errors parsed into ClickHouseError with the server's numeric code (the client does not
 * set it), 64-bit integers returned as strings by the server are left to callers to convert.
 *
 * 18.16 has no server-side query parameters: every value in SQL must come from sql.ts.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../config';
import { TdbError } from '../errors';

/**
 * Server error codes that say "not now" rather than "never" (ClickHouse's ErrorCodes): 159
 * TIMEOUT_EXCEEDED, 202 TOO_MANY_SIMULTANEOUS_QUERIES, 209 SOCKET_TIMEOUT, 210 NETWORK_ERROR,
 * 241 MEMORY_LIMIT_EXCEEDED, 242 TABLE_IS_READ_ONLY, 252 TOO_MANY_PARTS, 425 SYSTEM_ERROR.
 */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([159, 202, 209, 210, 241, 242, 252, 425]);

export class ClickHouseError extends TdbError {
  override name = 'ClickHouseError';
  constructor(
    message: string,
    /** ClickHouse error code (e.g. 60 UNKNOWN_TABLE, 81 UNKNOWN_DATABASE), when the server gave one. */
    readonly code: number | undefined,
    readonly query?: string,
  ) {
    super(message);
  }
  /** No code (the server could not be reached or answered nothing) or a transient one: retriable. */
  override get retriable(): boolean {
    return this.code === undefined || TRANSIENT_CODES.has(this.code);
  }
}

function wrap(err: unknown, query?: string): ClickHouseError {
  const message = err instanceof Error ? err.message : String(err);
  const m = /Code: (\d+)/.exec(message);
  return new ClickHouseError(message, m ? Number(m[1]) : undefined, query);
}

export interface ClickHouse {
  readonly database: string;
  /** Runs a SELECT and returns its rows (JSON). */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Runs a statement without result (DDL, ALTER, OPTIMIZE). */
  command(sql: string): Promise<void>;
  /** Inserts rows (objects with the table's column names) in one INSERT, i.e. one atomic block. */
  insert(table: string, rows: readonly object[]): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export function createClickHouse(c: Config, opts: { database?: string } = {}): ClickHouse {
  const database = opts.database ?? c.clickhouseDatabase;
  const client: ClickHouseClient = createClient({
    url: c.clickhouseUrl,
    database: 'default',
    request_timeout: 60_000,
    max_open_connections: 32,
    compression: { request: false, response: false },
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  });
  return {
    database,
    async query<T>(sql: string) {
      try {
        const rs = await client.query({ query: sql, format: 'JSONEachRow' });
        return (await rs.json()) as T[];
      } catch (err) {
        throw wrap(err, sql);
      }
    },
    async command(sql: string) {
      try {
        await client.command({ query: sql });
      } catch (err) {
        throw wrap(err, sql);
      }
    },
    async insert(table: string, rows: readonly object[]) {
      if (rows.length === 0) return;
      try {
        await client.insert({
          table: `${database}.${table}`,
          values: rows as object[],
          format: 'JSONEachRow',
        });
      } catch (err) {
        throw wrap(err, `INSERT INTO ${database}.${table}`);
      }
    },
    async ping() {
      const r = await client.ping();
      return r.success;
    },
    close: () => client.close(),
  };
}
