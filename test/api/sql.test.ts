/**
 * Safe queries (issue 6 §5): hostile input never reaches SQL unescaped. A round trip of arbitrary
 * strings through the real ClickHouse 18.16 (what is rendered is exactly the value, never SQL), a
 * hostile-but-valid string that matches nothing and drops nothing, and HTTP requests with hostile
 * values: 400 naming the field, and no query sent to ClickHouse holds the hostile text. The
 * rendering layer alone: sql-render.test.ts (unit).
 */
import fc from 'fast-check';
import { escapeString, ident, isWellFormed, lit, sql, table, MAX_STRING_LENGTH } from '../../api/sql/render';
import { filterConditions, parseFilters, FILTER_NAMES } from '../../api/sql/filters';
import { apiFixture, bearer, recordQueries, type ApiFixture } from './support/app';

const HOSTILE = [
  "'",
  "\\'",
  '\\',
  "'; DROP TABLE effectifs_deltas; --",
  "69' OR '1'='1",
  '69\\',
  '1 OR 1=1',
  'a'.repeat(5_000),
  '𝕏☃é',
  'é',
  '\u0000',
  '69\u0000',
  '\uD800',
  '%00',
  '\uFFFD',
  '${x}',
  '" OR ""="',
  '\n\r\t',
  'FORMAT JSON',
  '`rm -rf`',
];

/** URL-encodes a value; a lone surrogate (not encodable) is sent as its raw UTF-8 bytes, invalid on purpose. */
const encodeQuery = (v: string) =>
  isWellFormed(v) ? encodeURIComponent(v) : v.replace(/[\uD800-\uDFFF]/g, '%ED%A0%80');

describe('filters: referentials and formats, 400 naming the field', () => {
  let fx: ApiFixture;
  let queries: string[];
  let admin: Record<string, string>;

  beforeAll(async () => {
    fx = await apiFixture(300, { seed: 9 });
    admin = bearer(fx.token({ role: 'admin', scope: [] }));
    queries = recordQueries(fx);
  }, 120_000);

  afterAll(async () => {
    await fx?.close();
  });

  it('parseFilters normalises valid values and names the field of invalid ones', () => {
    const t = fx.platform.ctx.territoires;
    expect(
      parseFilters(
        { rncp: '34567', uai: fx.ds.focus[0]!.uai.toLowerCase(), rqth: 'true', cfd: '50022101' },
        t,
      ),
    ).toEqual({
      rncp: 'RNCP34567',
      uai: fx.ds.focus[0]!.uai,
      rqth: '1',
      cfd: '50022101',
    });
    for (const name of FILTER_NAMES) {
      for (const bad of HOSTILE) {
        let err: unknown;
        try {
          parseFilters({ [name]: bad }, t);
        } catch (e) {
          err = e;
        }
        expect(err).toMatchObject({ statusCode: 400, champ: name });
      }
    }
  });

  it('every hostile value of every filter over HTTP: 400 with the field named, and no hostile text in any query', async () => {
    const before = queries.length;
    for (const route of [
      '/api/v1/indicateurs',
      '/api/v1/indicateurs/par/region',
      '/api/v1/indicateurs/series?from=2024-01-01&to=2024-02-01',
      '/api/v1/apprenants',
    ]) {
      for (const name of FILTER_NAMES) {
        for (const bad of HOSTILE) {
          const sep = route.includes('?') ? '&' : '?';
          const r = await fx.get(`${route}${sep}${name}=${encodeQuery(bad)}`, admin);
          expect([r.statusCode, r.json().champ]).toEqual([400, name]);
        }
      }
    }
    // A value longer than Node's header limit (16 KB) is refused by the HTTP parser itself.
    expect((await fx.get(`/api/v1/indicateurs?departement=${'9'.repeat(20_000)}`, admin)).statusCode).toBe(
      431,
    );
    // Malformed values were refused before any query was rendered.
    expect(queries.length).toBe(before);
  });

  it('unknown filters, malformed dates, dimensions, paging and UAI parameters: 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['/api/v1/indicateurs?commune=69123', 'commune'],
      [
        `/api/v1/indicateurs?${encodeURIComponent("region'; DROP TABLE x; --")}=1`,
        "region'; DROP TABLE x; --",
      ],
      ['/api/v1/indicateurs?date=2024-02-30', 'date'],
      [`/api/v1/indicateurs?date=${encodeURIComponent("2024-01-01' OR 1=1")}`, 'date'],
      ['/api/v1/indicateurs?date=1999-12-31', 'date'],
      ['/api/v1/indicateurs/series?from=2024-01-01', 'to'],
      ['/api/v1/indicateurs/series?from=x&to=2024-01-01', 'from'],
      ['/api/v1/indicateurs/series?from=2024-01-01&to=2024-02-01&pas=heure', 'pas'],
      [`/api/v1/indicateurs/par/${encodeURIComponent('region; DROP TABLE x')}`, 'dimension'],
      ['/api/v1/indicateurs/par/commune', 'dimension'],
      ['/api/v1/indicateurs?format=pdf', 'format'],
      ['/api/v1/indicateurs?departement=69&departement=75', 'departement'],
      ['/api/v1/apprenants?par_page=100000', 'par_page'],
      ['/api/v1/apprenants?page=0', 'page'],
      ['/api/v1/apprenants?statut=tous', 'statut'],
      [`/api/v1/organismes/${encodeURIComponent("0693446B' OR '1'='1")}/transmission`, 'uai'],
      ['/api/v1/organismes/0693446B/transmission', 'uai'],
      ['/api/v1/organismes/0693446X/transmission?jours=0', 'jours'],
    ];
    const before = queries.length;
    for (const [url, champ] of cases) {
      const r = await fx.get(url, admin);
      expect([url, r.statusCode, r.json().champ]).toEqual([url, 400, champ]);
      expect(r.json().message).toContain(champ);
    }
    expect(queries.length).toBe(before);
  });

  it('round trip through ClickHouse: any well-formed string renders to exactly itself', async () => {
    const ch = fx.platform.ctx.clickhouse;
    const samples = fc.sample(fc.string({ unit: 'binary', maxLength: 60 }).filter(isWellFormed), 300);
    samples.push(...HOSTILE.filter((s) => isWellFormed(s) && s.length <= MAX_STRING_LENGTH));
    // One query with many literals keeps the test fast; each value comes back as a column.
    for (let i = 0; i < samples.length; i += 50) {
      const chunk = samples.slice(i, i + 50);
      const cols = chunk.map((s, j) => sql`${lit.string(s)} AS ${ident(`v${j}`, [`v${j}`])}`);
      const [row] = await ch.query<Record<string, string>>(sql`SELECT ${cols}`.text);
      chunk.forEach((s, j) => expect(row![`v${j}`]).toBe(s));
    }
  });

  it('a hostile but well-formed string is rendered escaped, matches nothing and drops nothing', async () => {
    const ch = fx.platform.ctx.clickhouse;
    const db = ch.database;
    const total = async () =>
      Number((await ch.query<{ n: string }>(`SELECT count() AS n FROM ${db}.effectifs_deltas`))[0]!.n);
    const before = await total();
    expect(before).toBeGreaterThan(1000);
    for (const hostile of [
      "x' OR '1'='1",
      "\\' OR 1=1 --",
      `'; DROP TABLE ${db}.effectifs_deltas; --`,
      "0693446B') OR (1=1",
    ]) {
      const where = sql`organisme_uai = ${lit.string(hostile)}`;
      expect(where.text).toBe(`organisme_uai = ${escapeString(hostile)}`);
      const [row] = await ch.query<{ n: string }>(
        sql`SELECT count() AS n FROM ${table(db, 'effectifs_deltas')} WHERE ${where}`.text,
      );
      expect(Number(row!.n)).toBe(0);
    }
    // The same through the filter renderer (a value the referential check would refuse, rendered anyway).
    const [row] = await ch.query<{ n: string }>(
      sql`SELECT count() AS n FROM ${table(db, 'effectifs_deltas')} WHERE ${filterConditions({ departement: "69' OR '1'='1" })}`
        .text,
    );
    expect(Number(row!.n)).toBe(0);
    expect(await total()).toBe(before);
  });

  it('valid requests still work after all this (the tables are intact)', async () => {
    const r = await fx.get('/api/v1/indicateurs', admin);
    expect(r.statusCode).toBe(200);
    expect(r.json().apprenants).toBeGreaterThan(50);
  });
});
