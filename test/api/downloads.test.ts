/**
 * CSV and XLSX downloads of the API's tables (format= or Accept) parse back to the same rows as
 * the JSON answer: csv-parse for CSV (`;`, UTF-8 BOM), exceljs for XLSX. Hidden counts (secrecy)
 * are empty cells, with the hidden fields listed in `masque`.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { CSV_TYPE, XLSX_TYPE } from '../../api/format/tables';
import { apiFixture, bearer, type Answer, type ApiFixture } from './support/app';

let fx: ApiFixture;
let admin: Record<string, string>;

beforeAll(async () => {
  fx = await apiFixture(800, { seed: 21 });
  admin = bearer(fx.token({ role: 'admin', scope: [] }));
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

type Row = Record<string, unknown>;

/** A JSON row as the table writes it: null → '', arrays joined by |, everything as text. */
const asText = (r: Row, columns: string[]) =>
  Object.fromEntries(
    columns.map((c) => [
      c,
      r[c] === null || r[c] === undefined
        ? ''
        : Array.isArray(r[c])
          ? (r[c] as string[]).join('|')
          : String(r[c]),
    ]),
  );

function csvRows(a: Answer): Row[] {
  expect(a.statusCode).toBe(200);
  expect(a.headers.get('content-type')).toBe(CSV_TYPE);
  expect(a.buffer.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf])); // UTF-8 BOM
  return parse(a.body, { columns: true, delimiter: ';', bom: true }) as Row[];
}

async function xlsxRows(a: Answer): Promise<{ header: string[]; rows: Row[] }> {
  expect(a.statusCode).toBe(200);
  expect(a.headers.get('content-type')).toBe(XLSX_TYPE);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(a.buffer as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
  const rows: Row[] = [];
  ws.eachRow((row, n) => {
    if (n === 1) return;
    const values = (row.values as unknown[]).slice(1);
    rows.push(Object.fromEntries(header.map((h, i) => [h, values[i] ?? null])));
  });
  return { header, rows };
}

describe('CSV', () => {
  it('par/departement (public, with hidden counts) parses back to the JSON rows and the total', async () => {
    const json = (await fx.get('/api/v1/indicateurs/par/departement')).json();
    const a = await fx.get('/api/v1/indicateurs/par/departement?format=csv');
    expect(a.headers.get('content-disposition')).toMatch(
      /^attachment; filename="indicateurs-par-departement-2025-03-15\.csv"$/,
    );
    const columns = [
      'code',
      'libelle',
      'apprenants',
      'apprentis',
      'inscrits',
      'rupturants',
      'abandons',
      'masque',
    ];
    const expected = [...json.lignes, { code: 'total', libelle: null, ...json.total }].map((r: Row) =>
      asText(r, columns),
    );
    expect(csvRows(a)).toEqual(expected);
    expect(expected.some((r: Row) => r.masque !== '')).toBe(true); // the public table has hidden cells
    expect(json.lignes.some((l: { libelle: string }) => /[éèô]/.test(l.libelle))).toBe(true); // accents survive
  });

  it('series chosen by the Accept header', async () => {
    const url = '/api/v1/indicateurs/series?from=2024-09-01&to=2025-03-01&pas=mois';
    const json = (await fx.get(url, admin)).json();
    const rows = csvRows(await fx.get(url, { ...admin, accept: 'text/csv' }));
    expect(rows).toEqual(
      json.points.map((p: Row) =>
        asText(p, ['date', 'apprenants', 'apprentis', 'inscrits', 'rupturants', 'abandons', 'masque']),
      ),
    );
    expect(rows).toHaveLength(7);
  });

  it('the nominative list (CFA) with names, accents and apostrophes', async () => {
    const cfa = bearer(fx.token({ role: 'cfa', scope: [fx.ds.focus[0]!.uai] }));
    const json = (await fx.get('/api/v1/apprenants?par_page=5000', cfa)).json();
    const rows = csvRows(await fx.get('/api/v1/apprenants?par_page=5000&format=csv', cfa));
    expect(rows.length).toBeGreaterThan(10);
    expect(rows).toEqual(json.apprenants.map((r: Row) => asText(r, Object.keys(json.apprenants[0]))));
  });
});

describe('XLSX', () => {
  it('par/organisme as XLSX (format=) parses back with exceljs: numbers as numbers, hidden counts empty', async () => {
    const json = (await fx.get('/api/v1/indicateurs/par/organisme')).json();
    const { header, rows } = await xlsxRows(await fx.get('/api/v1/indicateurs/par/organisme?format=xlsx'));
    expect(header).toEqual([
      'code',
      'libelle',
      'apprenants',
      'apprentis',
      'inscrits',
      'rupturants',
      'abandons',
      'masque',
    ]);
    const expected = [...json.lignes, { code: 'total', libelle: null, ...json.total }].map((r: Row) =>
      Object.fromEntries(
        header.map((h) => [h, Array.isArray(r[h]) ? (r[h] as string[]).join('|') || null : (r[h] ?? null)]),
      ),
    );
    expect(rows).toEqual(expected);
    expect(rows.some((r) => r.apprentis === null)).toBe(true);
    expect(rows.some((r) => typeof r.apprenants === 'number')).toBe(true);
  });

  it('indicateurs as XLSX chosen by the Accept header', async () => {
    const json = (await fx.get('/api/v1/indicateurs?date=2024-12-01', admin)).json();
    const { rows } = await xlsxRows(
      await fx.get('/api/v1/indicateurs?date=2024-12-01', { ...admin, accept: XLSX_TYPE }),
    );
    expect(rows).toEqual([{ ...json, masque: null }]);
  });
});
