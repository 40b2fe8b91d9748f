/**
 * Reading files as ERPs and spreadsheets write them (real-world-faults.md, kind 7): encodings,
 * BOMs, separators, quoted multi-line fields, XLSX dates; and the declarative ERP mappings.
 */
import ExcelJS from 'exceljs';
import fs from 'node:fs';
import iconv from 'iconv-lite';
import {
  csvErrorMessage,
  decodeText,
  detectSeparator,
  FileFormatError,
  looksBinary,
  parseCsv,
} from '../../connectors/files/csv';
import { checkTable, parseTable } from '../../connectors/files/table';
import {
  applyMapping,
  checkMapping,
  loadAllMappings,
  loadMapping,
  MappingError,
  valueAt,
} from '../../connectors/mappings/mapping';
import { gestiCsvOf, ypareoApprenantOf } from '../../connectors/simulation/vendors';
import { ORGANISMES_CSV } from '../support/platform';
import { dossier } from './support';

describe('CSV decoding and parsing', () => {
  const text =
    'nom_apprenant;prenom_apprenant;adresse_apprenant\nLefèvre;Zoé;"12 rue de l\'Œuvre\nBâtiment B; 2e étage"\nGuérin;Maëlys;\n';
  test('UTF-8 with BOM, UTF-8 without BOM and Windows-1252 give the same rows', () => {
    const utf8 = Buffer.from(text, 'utf8');
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
    const cp1252 = iconv.encode(text, 'windows-1252');
    expect(decodeText(bom).encoding).toBe('utf-8-bom');
    expect(decodeText(utf8).encoding).toBe('utf-8');
    expect(decodeText(cp1252).encoding).toBe('windows-1252');
    const rows = [bom, utf8, cp1252].map((b) => parseCsv(b).rows);
    expect(rows[0]).toEqual([
      {
        nom_apprenant: 'Lefèvre',
        prenom_apprenant: 'Zoé',
        adresse_apprenant: "12 rue de l'Œuvre\nBâtiment B; 2e étage",
      },
      { nom_apprenant: 'Guérin', prenom_apprenant: 'Maëlys' },
    ]);
    expect(rows[1]).toEqual(rows[0]);
    expect(rows[2]).toEqual(rows[0]);
  });
  test('separators: ; , tab and | detected from the header line (quoted separators ignored)', () => {
    expect(detectSeparator('a;b;c\n1,5;2;3')).toBe(';');
    expect(detectSeparator('a,b,c\n1;2;3')).toBe(',');
    expect(detectSeparator('"a;x",b,c\n')).toBe(',');
    expect(detectSeparator('a\tb\tc\n')).toBe('\t');
    expect(parseCsv(Buffer.from('nom_apprenant,prenom_apprenant\n"Da Silva, Jr",Lucas\n')).rows).toEqual([
      { nom_apprenant: 'Da Silva, Jr', prenom_apprenant: 'Lucas' },
    ]);
  });
  test('column names: trimmed, lower case, spaces as _', () => {
    expect(parseCsv(Buffer.from('\ufeff Nom Apprenant ;ID_ERP_APPRENANT\nX;1\n')).rows).toEqual([
      { nom_apprenant: 'X', id_erp_apprenant: '1' },
    ]);
  });
  test('the real organisations file (extract: BOM, ;, quoted fields with separators and line breaks) reads completely', () => {
    const bytes = fs.readFileSync(ORGANISMES_CSV);
    const t = parseCsv(bytes);
    expect(t.encoding).toBe('utf-8-bom');
    expect(t.separator).toBe(';');
    // 385 lines after the header, 380 records: quoted fields span lines (csv-parse in strict mode agrees).
    expect(t.rows).toHaveLength(380);
    expect(t.rows[0]).toMatchObject({
      uai: '0010070W',
      siret: '43937112100013',
      nature: 'formateur',
      commune: 'Bourg-en-Bresse',
    });
    // Some addresses span lines inside quotes: they stay one field.
    expect(t.rows.some((r) => /\n/.test(r.adresse ?? '') || /\n/.test(r.raison_sociale ?? ''))).toBe(true);
    // A quoted separator stays inside its field.
    expect(t.rows.find((r) => r.uai === '0311192C')?.enseigne).toBe('ECOLE VIDAL;VIDAL FORMATION');
  });
});

describe('XLSX', () => {
  test('dates formatted as dates become AAAA-MM-JJ, unformatted serials stay numbers, text stays text', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('dossiers');
    ws.addRow([
      'id_erp_apprenant',
      'date_entree_formation',
      'date_fin_formation',
      'etablissement_formateur_siret',
      'nom_apprenant',
    ]);
    ws.addRow([
      1234,
      new Date(Date.UTC(2024, 8, 2)),
      46203,
      43937112100013,
      { richText: [{ text: 'Du' }, { text: 'pont' }] },
    ]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const t = await parseTable(bytes);
    expect(t.format).toBe('xlsx');
    expect(t.rows).toEqual([
      {
        id_erp_apprenant: 1234,
        date_entree_formation: '2024-09-02',
        date_fin_formation: 46203,
        etablissement_formateur_siret: 43937112100013,
        nom_apprenant: 'Dupont',
      },
    ]);
  });

  test('a column named twice (after normalisation) refuses the file instead of overwriting values', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('dossiers');
    ws.addRow(['id_erp_apprenant', 'nom_apprenant', '', 'Nom apprenant']);
    ws.addRow(['R7', 'Dupont', 'x', 'Martin']);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    await expect(parseTable(bytes)).rejects.toThrow(
      "la colonne nom_apprenant apparaît deux fois dans l'en-tête (colonnes 2 et 4) : chaque champ ne doit figurer qu'une fois",
    );
  });
});

describe('declarative ERP mappings', () => {
  test('paths into nested objects and arrays, first non-empty of several paths, value tables, constants', () => {
    expect(valueAt({ a: { b: [{ c: 1 }, { c: 2 }] } }, 'a.b[1].c')).toBe(2);
    expect(valueAt({ a: null }, 'a.b')).toBeUndefined();
    const m = checkMapping(
      {
        erp: 'demo',
        format: 'json',
        snapshot: false,
        fields: {
          nom_apprenant: 'identite.nom',
          etablissement_formateur_uai: ['site.uai', 'siege.uai'],
          sexe_apprenant: { from: 'sexe', values: { '1': 'M', '2': 'F' } },
          statut_apprenant: { from: 'statut', values: { A: 3 }, otherwise: 'null' },
          formation_presentielle: { const: true },
        },
      },
      'demo.json',
    );
    expect(
      applyMapping(m, { identite: { nom: 'X' }, siege: { uai: '0751234J' }, sexe: 2, statut: 'Z' }),
    ).toEqual({
      nom_apprenant: 'X',
      etablissement_formateur_uai: '0751234J',
      sexe_apprenant: 'F',
      formation_presentielle: true,
    });
  });
  test('a broken mapping file fails at load, naming the problem', () => {
    expect(() => checkMapping({ erp: 'x', format: 'xml', snapshot: true, fields: {} }, 'x.json')).toThrow(
      MappingError,
    );
    expect(() =>
      checkMapping({ erp: 'x', format: 'csv', snapshot: true, fields: { a: 3 } }, 'x.json'),
    ).toThrow('x.json: field a');
  });
  test('every mapping of connectors/mappings loads; Gesti is a snapshot recognised by file name, Yparéo is not', () => {
    const all = loadAllMappings();
    expect(all.map((m) => [m.erp, m.format, m.snapshot]).sort()).toEqual([
      ['gesti', 'csv', true],
      ['ypareo', 'json', false],
    ]);
    expect(new RegExp(loadMapping('gesti').filePattern!, 'i').test('gesti_0010070W_20250301.csv')).toBe(true);
  });
  test('a simulated Yparéo learner maps back to the v3 fields it came from', () => {
    const d = dossier({
      id_erp_apprenant: '1234',
      contrat_date_rupture: '2025-01-15',
      cause_rupture_contrat: 'démission',
    });
    const v3 = applyMapping(loadMapping('ypareo'), ypareoApprenantOf(d));
    expect(v3).toMatchObject({
      id_erp_apprenant: 1234,
      nom_apprenant: 'Dupont',
      date_de_naissance_apprenant: '12/04/2005',
      sexe_apprenant: 'F',
      annee_scolaire: '2024/2025',
      etablissement_formateur_uai: '0010070W',
      date_entree_formation: '2024-09-02',
      contrat_date_rupture: '2025-01-15',
      cause_rupture_contrat: 'démission',
      statut_apprenant: 3,
      custom_statut_apprenant: 'Yparéo 3 : apprenti',
    });
  });
  test('a Gesti snapshot file is Windows-1252, ; separated, and maps back to v3', async () => {
    const bytes = gestiCsvOf([dossier({ nom_apprenant: 'Lefèvre' })]);
    const t = await parseTable(bytes, { header: (h) => h.trim() });
    expect([t.encoding, t.separator]).toEqual(['windows-1252', ';']);
    const v3 = applyMapping(loadMapping('gesti'), t.rows[0]);
    expect(v3).toMatchObject({
      nom_apprenant: 'Lefèvre',
      sexe_apprenant: '2',
      date_entree_formation: '02/09/2024',
      statut_apprenant: 3,
      custom_statut_apprenant: 'Gesti 1 : apprenti',
      rqth_apprenant: false,
    });
  });
});

describe('files that are not tables of dossiers (the same checks for uploads and the drop folder)', () => {
  /** Deterministic "random" bytes (xorshift), so that the test is the same at every run. */
  const noise = (n: number, seed = 42) => {
    const b = Buffer.alloc(n);
    let x = seed;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = x & 0xff;
    }
    return b;
  };
  const refusal = async (bytes: Buffer, filename: string, v3Columns = true) => {
    try {
      checkTable(await parseTable(bytes, { filename }), { v3Columns });
      return null;
    } catch (err) {
      if (!(err instanceof FileFormatError)) throw err;
      return err.message;
    }
  };

  test('empty, header only, no v3 column: refused with the drop folder messages', async () => {
    expect(await refusal(Buffer.alloc(0), 'vide.csv')).toBe('aucune ligne de données (fichier vide)');
    expect(await refusal(Buffer.from('nom_apprenant;prenom_apprenant\r\n'), 'entete.csv')).toBe(
      'aucune ligne de données',
    );
    expect(await refusal(Buffer.from('a;b;c\n1;2;3\n4;5;6\n'), 'abc.csv')).toBe(
      'aucune colonne ne porte un nom de champ du contrat v3 (colonnes : a, b, c) ; la première ligne doit nommer les colonnes (nom_apprenant, id_erp_apprenant, …)',
    );
    // A mapped file (Gesti) has its own column names: only rows are required.
    expect(await refusal(Buffer.from('NUM_APPRENANT;NOM\n1;X\n'), 'gesti_x.csv', false)).toBeNull();
  });

  test('binary content: "fichier binaire ou illisible", never garbage rows', async () => {
    const binary = /^fichier binaire ou illisible/;
    expect(await refusal(noise(4096), 'export.csv')).toMatch(binary);
    expect(await refusal(fs.readFileSync('/bin/ls'), 'ls.csv')).toBe(
      'fichier binaire ou illisible (programme) : un fichier CSV (texte UTF-8 ou Windows-1252) ou XLSX est attendu',
    );
    // A PDF without NUL bytes (its compressed streams are binary): not read as Shift_JIS text.
    const pdf = Buffer.concat([
      Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 600 >>\nstream\n', 'latin1'),
      noise(600).map((b) => b || 1),
      Buffer.from('\nendstream\n'),
    ]);
    expect(pdf.includes(0)).toBe(false);
    expect(await refusal(pdf, 'releve.csv')).toMatch(/^fichier binaire ou illisible \(document PDF\)/);
    // An old .xls (OLE2) says what to do.
    expect(
      await refusal(
        Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), noise(512)]),
        'x.xls',
      ),
    ).toMatch(/\.xls : enregistrez-le au format XLSX ou CSV/);
  });

  test('an .xlsx that is not a ZIP archive is refused, not read as CSV', async () => {
    expect(await refusal(noise(2048, 7), 'export.xlsx')).toBe(
      "le fichier export.xlsx n'est pas un classeur XLSX valide (ce n'est pas une archive ZIP) : enregistrez-le au format XLSX ou CSV",
    );
    expect(await refusal(Buffer.from(csvText(), 'utf8'), 'Export.XLSX')).toMatch(
      /n'est pas un classeur XLSX/,
    );
  });

  test('a few stray control characters in a real export are tolerated (the row is rejected, not the file)', async () => {
    const text = `nom_apprenant;prenom_apprenant\nDu\u000bpont;Léa\n${'Martin;Paul\n'.repeat(50)}`;
    const t = await parseTable(Buffer.from(text, 'utf8'), { filename: 'export.csv' });
    expect(t.rows[0]).toEqual({ nom_apprenant: 'Du\u000bpont', prenom_apprenant: 'Léa' });
    expect(looksBinary(text)).toBe(false);
  });

  test('CSV syntax errors are said in French with the line', () => {
    expect(csvErrorMessage({ code: 'CSV_QUOTE_NOT_CLOSED', lines: 12 })).toBe(
      'fichier CSV illisible à la ligne 12 : un guillemet ouvert n’est jamais fermé',
    );
    expect(csvErrorMessage({ code: 'CSV_SOMETHING_NEW' })).toBe(
      'fichier CSV illisible : structure CSV invalide',
    );
  });
});

function csvText(): string {
  return 'nom_apprenant;prenom_apprenant\nDupont;Léa\n';
}
