/**
 * CSV and XLSX downloads of the API's tables (format= or Accept) parse back to the same rows as
 * the JSON answer: csv-parse for CSV (`;`, UTF-8 BOM), exceljs for XLSX. Hidden counts (secrecy)
 * are empty cells, with the hidden fields listed in `masque`. Text cells that a spreadsheet would
 * evaluate (= + - @ tab CR first) are prefixed with `'` in CSV (OWASP CSV injection) and stay text
 * cells, never formulas, in XLSX.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { CSV_TYPE, XLSX_TYPE, neutraliseFormula, toCsv } from '../../api/format/tables';
import { generateDossiers } from '../../connectors/simulation/dossiers';
import { isoFromDay } from '../../streams/status';
import { apiFixture, bearer, type Answer, type ApiFixture } from './support/app';
import { focusOrganismes } from './support/dataset';
import { appendFacts, emptyFacts, factsOf, insertFacts, learnerOf, type Learner } from './support/facts';

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

/** What a spreadsheet would evaluate: such text cells get a leading quote in CSV. */
const formulaLike = (v: string) => /^[=+\-@\t\r]/.test(v);

/** A JSON row as the table writes it: null → '', arrays joined by |, numbers as text, formula-like text quoted. */
const asText = (r: Row, columns: string[]) =>
  Object.fromEntries(
    columns.map((c) => [
      c,
      r[c] === null || r[c] === undefined
        ? ''
        : Array.isArray(r[c])
          ? (r[c] as string[]).join('|')
          : typeof r[c] === 'string' && formulaLike(r[c] as string)
            ? `'${r[c] as string}`
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
    // The public table is dated by the date it is published at (the month's first day when one of
    // its cells is under 100 learners: docs/statistical-disclosure-control.md).
    expect(json.date).toBe('2025-03-01');
    expect(a.headers.get('content-disposition')).toMatch(
      /^attachment; filename="indicateurs-par-departement-2025-03-01\.csv"$/,
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

describe('CSV formula injection (OWASP): text cells neutralised, numbers untouched', () => {
  it('toCsv quotes text cells starting with = + - @ tab or CR; numbers, booleans, lists and other text unchanged', () => {
    const csv = toCsv({
      name: 't',
      columns: ['texte', 'nombre', 'bool', 'liste'],
      rows: [
        {
          texte: '=HYPERLINK("http://evil.example","clic")',
          nombre: -3,
          bool: true,
          liste: ['apprentis', 'inscrits'],
        },
        { texte: '+33612345678', nombre: 0, bool: false, liste: [] },
        { texte: '-1+1', nombre: -0.5, bool: null, liste: null },
        { texte: '@SUM(A1)', nombre: 12, bool: null, liste: null },
        { texte: '\tcmd', nombre: null, bool: null, liste: null },
        { texte: '\r=1+1', nombre: null, bool: null, liste: null },
        { texte: 'Dupont-Martin', nombre: null, bool: null, liste: null },
        { texte: ' =1+1', nombre: null, bool: null, liste: null },
        { texte: "l'école;=x", nombre: null, bool: null, liste: null },
      ],
    });
    expect(csv).toBe(
      '\uFEFFtexte;nombre;bool;liste\n' +
        '"\'=HYPERLINK(""http://evil.example"",""clic"")";-3;1;apprentis|inscrits\n' +
        "'+33612345678;0;0;\n" +
        "'-1+1;-0.5;;\n" +
        "'@SUM(A1);12;;\n" +
        "'\tcmd;;;\n" +
        '"\'\r=1+1";;;\n' +
        'Dupont-Martin;;;\n' +
        ' =1+1;;;\n' +
        '"l\'école;=x";;;\n',
    );
    expect(parse(csv, { columns: true, delimiter: ';', bom: true })[5]).toEqual({
      texte: "'\r=1+1",
      nombre: '',
      bool: '',
      liste: '',
    });
    expect(
      ['=', '+', '-', '@', '\t', '\r', 'a', '0', ' ', "'"].map((c) => neutraliseFormula(`${c}x`)),
    ).toEqual(["'=x", "'+x", "'-x", "'@x", "'\tx", "'\rx", 'ax', '0x', ' x', "'x"]);
  });

  describe('a nominative list whose identities look like formulas', () => {
    const HOSTILE = {
      nom: '=HYPERLINK("http://evil.example","clic")',
      prenom: '@SUM(A1)',
      telephone: '+33612345678',
      email: '-1+1',
      ine: '\t1234567890A',
    };
    let learner: Learner;
    let date: string;
    let cfa: Record<string, string>;
    let columns: string[];

    beforeAll(async () => {
      const { ctx } = fx.platform;
      // An organisation of Paris: no other learner of the dataset is there.
      const org = focusOrganismes(ctx.organismes, ['75'])[0]!;
      const [v3] = [
        ...generateDossiers({
          count: 1,
          organismes: ctx.organismes,
          territoires: ctx.territoires,
          today: ctx.clock.today(),
          seed: 77,
          messyShare: 0,
        }),
      ];
      Object.assign(v3!, {
        id_erp_apprenant: 'CSV-INJECTION',
        apprentissage: true,
        etablissement_formateur_uai: org.uai,
        etablissement_responsable_uai: org.uai,
        etablissement_formateur_siret: org.siret,
        etablissement_responsable_siret: org.siret,
        nom_apprenant: HOSTILE.nom,
        prenom_apprenant: HOSTILE.prenom,
        tel_apprenant: HOSTILE.telephone,
        email_contact: HOSTILE.email,
        ine_apprenant: HOSTILE.ine,
      });
      learner = learnerOf(v3!, { territoires: ctx.territoires, organismes: ctx.organismes });
      const rows = emptyFacts();
      appendFacts(rows, factsOf(null, learner, 1, ctx.clock.today(), ctx.secrets.dataKey));
      await insertFacts(ctx.clickhouse, rows);
      date = isoFromDay(learner.dates.entree);
      cfa = bearer(fx.token({ role: 'cfa', scope: [org.uai] }));
      columns = Object.keys((await fx.get(`/api/v1/apprenants?date=${date}`, cfa)).json().apprenants[0]);
    });

    it('JSON keeps the values as they are', async () => {
      const json = (await fx.get(`/api/v1/apprenants?date=${date}`, cfa)).json();
      expect(json.apprenants).toHaveLength(1);
      expect(json.apprenants[0]).toMatchObject({
        record_key: learner.recordKey,
        nom: HOSTILE.nom,
        prenom: HOSTILE.prenom,
        telephone: HOSTILE.telephone,
        email: HOSTILE.email,
        ine: HOSTILE.ine,
      });
    });

    it('CSV: each formula-looking text cell starts with a quote; codes and dates unchanged', async () => {
      const rows = csvRows(await fx.get(`/api/v1/apprenants?date=${date}&format=csv`, cfa));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        record_key: learner.recordKey,
        nom: '\'=HYPERLINK("http://evil.example","clic")',
        prenom: "'@SUM(A1)",
        telephone: "'+33612345678",
        email: "'-1+1",
        ine: "'\t1234567890A",
        organisme_uai: learner.dims.organisme_uai,
        date_entree: date,
      });
    });

    it('XLSX: the formula-looking name is a string cell with the exact value, and no cell is a formula', async () => {
      const a = await fx.get(`/api/v1/apprenants?date=${date}&format=xlsx`, cfa);
      expect(a.statusCode).toBe(200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(a.buffer as unknown as ArrayBuffer);
      const ws = wb.worksheets[0]!;
      const nom = ws.getRow(2).getCell(columns.indexOf('nom') + 1);
      expect(nom.type).toBe(ExcelJS.ValueType.String);
      expect(nom.value).toBe(HOSTILE.nom);
      expect(nom.formula).toBeUndefined();
      expect(ws.getRow(2).getCell(columns.indexOf('telephone') + 1).value).toBe(HOSTILE.telephone);
      ws.eachRow((row) => row.eachCell((cell) => expect(cell.type).not.toBe(ExcelJS.ValueType.Formula)));
    });
  });
});
