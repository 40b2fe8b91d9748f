/**
 * chdb, embedded current ClickHouse (the 26.x line), as a second engine for test/chdb: the same
 * `ClickHouse` interface as infra/clickhouse/client.ts, over one chdb session in a temporary folder.
 *
 * chdb weighs about 550 MB, so it is not a dependency of the project: `ensureChdb` installs the
 * version pinned by test/chdb/engine/package-lock.json (integrity-checked) into the
 * cache folder (TDB_CACHE_DIR, `.cache/` by default) the first time the suite runs, and loads it
 * from there. Settings that the HTTP server applies by default, or that infra/clickhouse/client.ts
 * sets per request, are set on the session so that both engines answer in the same shapes: 64-bit
 * integers quoted in JSON (the server's default), best-effort DateTime parsing (the client's
 * setting), the server's time zone.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClickHouseError, type ClickHouse } from '../../infra/clickhouse/client';

const ENGINE_DIR = path.join(__dirname, 'engine');

/** The pinned chdb version (test/chdb/engine/package.json). */
export const CHDB_VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(ENGINE_DIR, 'package.json'), 'utf8')) as {
    dependencies: { chdb: string };
  }
).dependencies.chdb;

/** What this suite uses of chdb's Session (chdb's index.d.ts). */
interface ChdbSession {
  queryAsync(query: string, opts?: { format?: string }): Promise<{ text(): string }>;
  insert(params: {
    table: string;
    values: string;
    format: 'JSONEachRow' | 'TabSeparated';
    columns?: readonly string[];
    settings?: Record<string, string | number>;
  }): Promise<unknown>;
  close(): void;
}

/**
 * The folder where chdb is installed, installing it first when missing: the pinned lock installed
 * into a temporary folder renamed at the end, so that an interrupted or concurrent install
 * never leaves a half-installed chdb. Progress on stderr.
 */
export function ensureChdb(cacheDir: string): string {
  const lock = fs.readFileSync(path.join(ENGINE_DIR, 'package-lock.json'));
  const digest = createHash('sha256').update(lock).digest('hex').slice(0, 8);
  const dir = path.resolve(cacheDir, `chdb-${CHDB_VERSION}-${digest}`);
  if (fs.existsSync(path.join(dir, 'node_modules', 'chdb', 'package.json'))) return dir;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  for (const f of ['package.json', 'package-lock.json'])
    fs.copyFileSync(path.join(ENGINE_DIR, f), path.join(tmp, f));
  process.stderr.write(`… installing chdb ${CHDB_VERSION} (embedded ClickHouse, about 550 MB) into ${dir}\n`);
  const t0 = Date.now();
  try {
    // `npm install` of the lock (not `npm ci`: the lock holds the native package of this platform
    // only, and ci would refuse the other platforms' optional ones as missing); versions and
    // integrity come from the lock.
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: tmp,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 15 * 60_000,
    });
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (fs.existsSync(path.join(dir, 'node_modules', 'chdb', 'package.json'))) return dir; // a concurrent install won
    throw err;
  }
  process.stderr.write(`✓ chdb ${CHDB_VERSION} installed in ${Math.round((Date.now() - t0) / 1000)} s\n`);
  return dir;
}

/** One chdb session and its data folder (removed by close()). */
export interface ChdbEngine {
  /** ClickHouse's version string, e.g. 26.7.2.1. */
  readonly version: string;
  /** A `ClickHouse` on database `database` of this session. */
  clickhouse(database: string): ChdbClickHouse;
  close(): void;
}

export interface ChdbClickHouse extends ClickHouse {
  /** A TabSeparated insert with explicit columns (what streams/processor/sink.ts sends). */
  insertTsv(table: string, columns: readonly string[], body: string): Promise<void>;
}

function wrap(err: unknown, query: string): ClickHouseError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { clickhouseCode?: unknown }).clickhouseCode;
  return new ClickHouseError(message, typeof code === 'number' ? code : undefined, query);
}

/** Opens a chdb session (installing chdb first when needed), with the server's time zone `timezone`. */
export async function openChdb(cacheDir: string, timezone: string): Promise<ChdbEngine> {
  const dir = ensureChdb(cacheDir);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const chdb = require(path.join(dir, 'node_modules', 'chdb')) as {
    Session: new (path: string) => ChdbSession;
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdb-chdb-'));
  const session = new chdb.Session(dataDir);
  const run = async (query: string, format?: string) => {
    try {
      return (await session.queryAsync(query, format ? { format } : undefined)).text();
    } catch (err) {
      throw wrap(err, query);
    }
  };
  if (!/^[A-Za-z_/+-]+$/.test(timezone)) throw new Error(`not a time zone: ${timezone}`);
  await run('SET output_format_json_quote_64bit_integers = 1');
  await run("SET date_time_input_format = 'best_effort'");
  await run(`SET session_timezone = '${timezone}'`);
  const [{ v }] = JSON.parse(`[${(await run('SELECT version() AS v', 'JSONEachRow')).trim()}]`) as [
    { v: string },
  ];
  return {
    version: v,
    clickhouse(database) {
      return {
        database,
        async query<T>(sql: string) {
          const text = await run(sql, 'JSONEachRow');
          return text
            .split('\n')
            .filter((l) => l.length > 0)
            .map((l) => JSON.parse(l) as T);
        },
        async command(sql: string) {
          await run(sql);
        },
        async insert(table: string, rows: readonly object[]) {
          if (rows.length === 0) return;
          try {
            await session.insert({
              table: `${database}.${table}`,
              values: rows.map((r) => JSON.stringify(r)).join('\n'),
              format: 'JSONEachRow',
              settings: { date_time_input_format: 'best_effort' },
            });
          } catch (err) {
            throw wrap(err, `INSERT INTO ${database}.${table}`);
          }
        },
        async insertTsv(table: string, columns: readonly string[], body: string) {
          if (body.length === 0) return;
          try {
            await session.insert({
              table: `${database}.${table}`,
              columns,
              values: body,
              format: 'TabSeparated',
            });
          } catch (err) {
            throw wrap(err, `INSERT INTO ${database}.${table}`);
          }
        },
        ping: async () => true,
        close: async () => undefined,
      };
    },
    close() {
      session.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
