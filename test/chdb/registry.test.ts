/**
 * The engine comparison covers every query (issue 10 §4): the modules that write SQL are found in
 * the sources, not listed by hand, and each must be in registry.ts with every builder in a case.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CASES } from './cases';
import { NOT_QUERY_MODULES, QUERY_MODULES, SOURCE_DIRS } from './registry';

const REPO = path.resolve(__dirname, '..', '..');

function* sources(dir: string): Generator<string> {
  for (const e of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) yield* sources(rel);
    else if (e.name.endsWith('.ts')) yield rel;
  }
}

/** Comments removed, so that a comment quoting SQL does not count. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

/**
 * What writes SQL: the `sql` template tag of api/sql/render.ts, a string or template literal that
 * starts with a statement, or a query, command or insert called on a ClickHouse client.
 */
const WRITES_SQL = [
  /\bsql`/,
  /['"`]\s*(SELECT|INSERT|CREATE|DROP|TRUNCATE|ALTER|OPTIMIZE|RENAME|SYSTEM|SHOW|DESCRIBE|EXISTS|KILL|SET|WITH)\s/,
  /\b(ch|clickhouse|client)\.(query|command|insert)\s*[<(]/,
];

describe('the query registry of the engine comparison (test/chdb)', () => {
  const found = SOURCE_DIRS.flatMap((d) => [...sources(d)]).filter((f) => {
    const text = code(fs.readFileSync(path.join(REPO, f), 'utf8'));
    return WRITES_SQL.some((re) => re.test(text));
  });

  it('every module that writes SQL is a registered query module (or a rendering/transport module)', () => {
    const known = new Set([...Object.keys(QUERY_MODULES), ...Object.keys(NOT_QUERY_MODULES)]);
    expect(found.filter((f) => !known.has(f))).toEqual([]);
    // And nothing registered is stale.
    expect([...known].filter((f) => !found.includes(f))).toEqual([]);
  });

  it('every builder of every query module has a case, and every case names a real builder', () => {
    const builders = Object.entries(QUERY_MODULES).flatMap(([m, b]) =>
      Object.keys(b).map((n) => `${m}#${n}`),
    );
    const covered = CASES.flatMap((c) => c.builders.map((n) => `${c.module}#${n}`));
    expect(builders.filter((b) => !covered.includes(b))).toEqual([]);
    expect(covered.filter((c) => !builders.includes(c))).toEqual([]);
    for (const [m, b] of Object.entries(QUERY_MODULES))
      for (const [name, fn] of Object.entries(b))
        expect([`${m}#${name}`, typeof fn]).toEqual([`${m}#${name}`, 'function']);
  });

  it('the scan recognises each way of writing SQL', () => {
    const sample = (s: string) => WRITES_SQL.some((re) => re.test(code(s)));
    expect(sample('const q = sql`SELECT 1`;')).toBe(true);
    expect(sample('await ch.query<{ n: string }>(`SELECT ${x}`);')).toBe(true);
    expect(sample("ctx.clickhouse.insert('transmissions', rows);")).toBe(true);
    expect(sample("const s = 'TRUNCATE TABLE x';")).toBe(true);
    expect(sample('// SELECT in a comment\n/* INSERT INTO x */ const a = 1;')).toBe(false);
    expect(sample("const url = 'http://example.org/SELECT ';")).toBe(false);
  });
});
