/**
 * Versioned ClickHouse schema migrations: infra/clickhouse/migrations/NNNN_name.sql, applied in
 * order, each once, recorded in <database>.schema_migrations with a checksum (an applied file
 * that was edited afterwards is an error: write a new migration instead).
 *
 * In the files, `{db}` stands for the namespace's database; statements are separated by `;` at
 * the end of a line.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Progress } from '../services/progress';
import type { ClickHouse } from './client';
import { PermanentError } from '../errors';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      const withoutComments = text
        .split('\n')
        .filter((l) => !l.trim().startsWith('--'))
        .join('\n');
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        statements: withoutComments
          .split(/;\s*$/m)
          .map((s) => s.trim())
          .filter(Boolean),
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    });
}

export class MigrationError extends PermanentError {
  override name = 'MigrationError';
}

const DATABASE = /^[a-z][a-z0-9_]{0,30}$/;
const database = (db: string) => {
  if (!DATABASE.test(db)) throw new MigrationError(`not a database name: ${db}`);
  return db;
};

export const createDatabaseSql = (db: string) => `CREATE DATABASE IF NOT EXISTS ${database(db)}`;

export const migrationsTableSql = (db: string) =>
  `CREATE TABLE IF NOT EXISTS ${database(db)}.schema_migrations (version UInt32, name String, checksum String, applied_at DateTime) ENGINE = TinyLog`;

/** Rows (version, checksum) of the migrations applied to `db`. */
export const appliedMigrationsSql = (db: string) =>
  `SELECT version, checksum FROM ${database(db)}.schema_migrations`;

/** The statements of a migration for database `db`. */
export const migrationStatements = (m: Migration, db: string): string[] =>
  m.statements.map((s) => s.replaceAll('{db}', database(db)));

/** The schema_migrations row recording `m` as applied at `atMs` (epoch ms, UTC). */
export const migrationRow = (m: Migration, atMs: number) => ({
  version: m.version,
  name: m.name,
  checksum: m.checksum,
  applied_at: new Date(atMs).toISOString().slice(0, 19).replace('T', ' '),
});

/**
 * The builders of this module (test/chdb applies every migration through migrate() on ClickHouse
 * 18.16 and current ClickHouse, and compares the resulting tables).
 */
export const SQL_BUILDERS = {
  createDatabaseSql,
  migrationsTableSql,
  appliedMigrationsSql,
  migrationStatements,
  migrationRow,
};

/** Creates the database if needed and applies the pending migrations. Returns how many ran. */
export async function migrate(ch: ClickHouse, progress: Progress, dir = MIGRATIONS_DIR): Promise<number> {
  const db = ch.database;
  await ch.command(createDatabaseSql(db));
  await ch.command(migrationsTableSql(db));
  const applied = new Map(
    (await ch.query<{ version: number; checksum: string }>(appliedMigrationsSql(db))).map((r) => [
      Number(r.version),
      r.checksum,
    ]),
  );
  let ran = 0;
  for (const m of readMigrations(dir)) {
    const done = applied.get(m.version);
    if (done !== undefined) {
      if (done !== m.checksum)
        throw new MigrationError(
          `migration ${m.name} was changed after it was applied to ${db}: add a new migration instead`,
        );
      continue;
    }
    for (const statement of migrationStatements(m, db)) await ch.command(statement);
    await ch.insert('schema_migrations', [migrationRow(m, Date.now())]);
    ran++;
    progress.ok(`clickhouse migration ${m.name} applied to ${db}`);
  }
  return ran;
}
