/**
 * Reading files as ERPs and spreadsheets write them (real-world-faults.md, kind 7): encodings,
 * BOMs, separators, quoted multi-line fields, XLSX dates; and the declarative ERP mappings.
 */
import ExcelJS from 'exceljs';
import fs from 'node:fs';
import iconv from 'iconv-lite';
import { decodeText, detectSeparator, parseCsv } from '../../connectors/files/csv';
import { parseTable } from '../../connectors/files/table';
import {
  applyMapping,
  checkMapping,
  loadAllMappings,
  loadMapping,
  MappingError,
  valueAt,
} from '../../connectors/mappings/mapping';
import { gestiCsvOf, ypareoApprenantOf } from '../../connectors/simulation/vendors';
import { SHARED_DATA } from '../support/platform';
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
  test('the real organisations file (BOM, ;, quoted fields with line breaks) reads completely', () => {
    const bytes = fs.readFileSync(`${SHARED_DATA}/organismes.csv`);
    const t = parseCsv(bytes);
    expect(t.encoding).toBe('utf-8-bom');
    expect(t.separator).toBe(';');
    // 6,065 lines after the header, 6,059 records: quoted fields span lines (csv-parse in strict mode agrees).
    expect(t.rows).toHaveLength(6059);
    expect(t.rows[0]).toMatchObject({
      uai: '0010070W',
      siret: '43937112100013',
      nature: 'formateur',
      commune: 'Bourg-en-Bresse',
    });
    // Some addresses span lines inside quotes: they stay one field.
    expect(t.rows.some((r) => /\n/.test(r.adresse ?? '') || /\n/.test(r.raison_sociale ?? ''))).toBe(true);
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
