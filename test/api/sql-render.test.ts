/**
 * The typed rendering layer of ClickHouse SQL (api/sql/render.ts), without a server: literals by
 * type (ClickHouse's escaping rules), closed identifier lists, and the `sql` tag refusing anything
 * that is not an Sql fragment. The round trip through the real server and the hostile HTTP
 * requests are in sql.test.ts (integration).
 */
import {
  escapeString,
  ident,
  inList,
  isWellFormed,
  lit,
  sql,
  Sql,
  SqlRenderError,
  table,
  MAX_STRING_LENGTH,
} from '../../api/sql/render';

describe('render: literals by type', () => {
  it('escapes quotes, backslashes and control characters by ClickHouse rules', () => {
    expect(escapeString("l'école")).toBe("'l\\'école'");
    expect(escapeString('a\\b')).toBe("'a\\\\b'");
    expect(escapeString("\\'")).toBe("'\\\\\\''");
    expect(escapeString('a\u0000b\nc\u007f')).toBe("'a\\x00b\\x0ac\\x7f'");
    expect(escapeString('𝕏')).toBe("'𝕏'");
  });

  it('refuses lone surrogates and strings longer than the limit', () => {
    expect(isWellFormed('\uD835\uDD4F')).toBe(true);
    expect(isWellFormed('a\uD800b')).toBe(false);
    expect(isWellFormed('\uDC00')).toBe(false);
    expect(() => lit.string('\uD800')).toThrow(SqlRenderError);
    expect(() => lit.string('x'.repeat(MAX_STRING_LENGTH + 1))).toThrow(SqlRenderError);
    expect(lit.string('x'.repeat(MAX_STRING_LENGTH)).text).toHaveLength(MAX_STRING_LENGTH + 2);
  });

  it('dates are parsed and re-formatted; anything else throws', () => {
    expect(lit.date('2024-02-29').text).toBe("toDate('2024-02-29')");
    expect(lit.date(0).text).toBe("toDate('1970-01-01')");
    for (const bad of [
      '2024-02-30',
      "2024-01-01' OR 1=1 --",
      '2024-1-1',
      '20240101',
      '',
      '2024-01-01 ',
      'now()',
    ]) {
      expect(() => lit.date(bad)).toThrow(SqlRenderError);
    }
    for (const bad of [1.5, NaN, -1, 1e20]) expect(() => lit.date(bad)).toThrow(SqlRenderError);
  });

  it('integers must be safe integers', () => {
    expect(lit.uint(42).text).toBe('42');
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 60]) expect(() => lit.uint(bad)).toThrow(SqlRenderError);
    expect(() => lit.int(Number('1; DROP'))).toThrow(SqlRenderError);
  });

  it('identifiers and tables come from closed lists only', () => {
    expect(ident('region', ['region']).text).toBe('region');
    expect(() => ident('region; DROP TABLE x', ['region'])).toThrow(SqlRenderError);
    expect(() => ident('departement', ['region'])).toThrow(SqlRenderError);
    expect(table('t_abc', 'dossiers').text).toBe('t_abc.dossiers');
    expect(() => table('t_abc; DROP', 'dossiers')).toThrow(SqlRenderError);
    expect(() => table('t_abc', 'system.users' as never)).toThrow(SqlRenderError);
  });

  it('the sql tag accepts only Sql fragments: a raw string interpolated by mistake throws', () => {
    const raw = "'; DROP TABLE x; --" as unknown as Sql;
    expect(() => sql`SELECT ${raw}`).toThrow(SqlRenderError);
    expect(() => sql`SELECT ${[lit.uint(1), 'x' as unknown as Sql]}`).toThrow(SqlRenderError);
    expect(() => new Sql(Symbol('sql') as never, 'DROP TABLE x')).toThrow(SqlRenderError);
    expect(sql`SELECT ${[lit.uint(1), lit.string("a'b")]}`.text).toBe("SELECT 1, 'a\\'b'");
    expect(inList(sql`x`, []).text).toBe('0');
  });
});
