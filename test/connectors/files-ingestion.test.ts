/**
 * Files and ERP connectors on the real services (isolated namespace): the upload route (CSV in
 * every encoding and separator, XLSX with Excel serial dates), the drop folder (each file once, a
 * report beside it), Gesti nightly snapshots (NOT_TRANSMITTED) and the Yparéo poll through the
 * fake Yparéo server.
 */
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import iconv from 'iconv-lite';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPipeline, type Pipeline } from '../../connectors/core/pipeline';
import { scanDepot, watchDepot } from '../../connectors/files/depot';
import { gestiCsvOf } from '../../connectors/simulation/vendors';
import { startFakeYpareo } from '../../connectors/ypareo/fake-server';
import { pollYpareo, pollYpareoOnce } from '../../connectors/ypareo/poll';
import type { IngestResult } from '../../connectors/core/pipeline';
import { dayFromIso } from '../../streams/status/calendar';
import { eventually, type TestPlatform } from '../support/platform';
import {
  collectTopics,
  dossier,
  ORG_A,
  ORG_B,
  send,
  startIngestionBench,
  topicSize,
  type Decoded,
} from './support';
import { openIdentite } from '../../schemas/identite';

jest.setTimeout(120_000);

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let key: string;
let pipeline: Pipeline;
let topics: Awaited<ReturnType<typeof collectTopics>>;
let depot: string;

const changes = async (k: string, n = 1) =>
  (await topics.waitKey('changes', k, n)).map((m) => m.value as Decoded);
const recordKey = (id: string, uai = ORG_A.uai) => `${uai}:2024-2025:${id}`;

function upload(bytes: Buffer, filename: string) {
  const form = new FormData();
  form.append('fichier', new Blob([bytes]), filename);
  return send(base, '/api/v1/televersements', { authorization: `Bearer ${key}`, form });
}

/** CSV text of v3 items with the given columns. */
function csv(items: Record<string, unknown>[], sep: string, columns: string[]): string {
  const cell = (v: unknown) => {
    const s = v === undefined ? '' : String(v);
    return s.includes(sep) || s.includes('"') || s.includes('\n') ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return (
    [columns.join(sep), ...items.map((d) => columns.map((c) => cell(d[c])).join(sep))].join('\r\n') + '\r\n'
  );
}
const COLUMNS = Object.keys(dossier()).concat(['adresse_apprenant']);

beforeAll(async () => {
  depot = fs.mkdtempSync(path.join(os.tmpdir(), 'tdb-depot-'));
  ({
    platform,
    app,
    base,
    keys: [key],
  } = await startIngestionBench({ TDB_DEPOT_DIR: depot }, [ORG_A]));
  pipeline = createPipeline(platform.ctx, { workers: 0 }); // the in-thread path (the other files use worker threads)
  topics = await collectTopics(platform.ctx, ['changes', 'deadLetter', 'transmissions']);
});

afterAll(async () => {
  await topics?.stop();
  await pipeline?.close();
  await app?.close();
  await platform?.cleanup();
  fs.rmSync(depot, { recursive: true, force: true });
});

describe('POST /api/v1/televersements', () => {
  test('CSV in UTF-8 with BOM and ;, with a quoted multi-line field: a report per row', async () => {
    const items = [
      dossier({
        id_erp_apprenant: 'UP-1',
        adresse_apprenant: '3 rue des Lilas\nRésidence Les Érables; bât. C',
      }),
      dossier({ id_erp_apprenant: 'UP-2', date_entree_formation: '02/09/2024' }),
      dossier({ id_erp_apprenant: 'UP-3', etablissement_formateur_uai: '0010070A' }),
    ];
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(csv(items, ';', COLUMNS), 'utf8'),
    ]);
    const res = await upload(bytes, 'export.csv');
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({
      fichier: 'export.csv',
      format: 'csv',
      encodage: 'utf-8-bom',
      separateur: ';',
      lignes: 3,
      acceptes: 2,
      rejetes: 1,
      crees: 2,
    });
    expect(report.rapport.map((r: { ligne: number; statut: string }) => [r.ligne, r.statut])).toEqual([
      [2, 'cree'],
      [3, 'cree'],
      [4, 'rejete'],
    ]);
    expect(report.rapport[2].validation_errors).toEqual([
      expect.objectContaining({ code: 'UAI_CLE_INVALIDE', path: 'etablissement_formateur_uai' }),
    ]);
    const [up2] = await changes(recordKey('UP-2'));
    expect(up2!.after.date_entree_formation).toBe(dayFromIso('2024-09-02'));
    expect(up2!.source).toMatchObject({ connector: 'televersement', organisme_uai: ORG_A.uai });
    // Its formateur UAI is what is wrong: no record key; found by its location, keyed by the batch.
    const dead = await eventually(
      async () => topics.messages.deadLetter!.find((m) => m.value.location === 'export.csv ligne 4'),
      (m) => m !== undefined,
    );
    expect(dead!.key).toBe(`${report.batch_id}:2`);
    expect(dead!.value.errors).toEqual([expect.objectContaining({ code: 'UAI_CLE_INVALIDE' })]);
  });

  test('CSV in Windows-1252 with , separators reads the same accents', async () => {
    const items = [
      dossier({
        id_erp_apprenant: 'UP-W1',
        nom_apprenant: 'Lefèvre',
        prenom_apprenant: 'Maëlys',
        adresse_apprenant: '12, rue de l’Œuvre',
      }),
    ];
    const res = await upload(iconv.encode(csv(items, ',', COLUMNS), 'windows-1252'), 'export-win.csv');
    expect(res.json()).toMatchObject({ encodage: 'windows-1252', separateur: ',', lignes: 1, crees: 1 });
    const [ev] = await changes(recordKey('UP-W1'));
    expect(openIdentite(platform.ctx.secrets.dataKey, ev!.after.identite_chiffree)).toMatchObject({
      nom: 'Lefèvre',
      prenom: 'Maëlys',
      adresse_apprenant: '12, rue de l’Œuvre',
    });
  });

  test('XLSX with dates as Excel serial numbers and as date cells', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Feuil1');
    const cols = [
      'nom_apprenant',
      'prenom_apprenant',
      'date_de_naissance_apprenant',
      'annee_scolaire',
      'id_erp_apprenant',
      'date_inscription_formation',
      'date_entree_formation',
      'date_fin_formation',
      'etablissement_responsable_uai',
      'etablissement_responsable_siret',
      'etablissement_formateur_uai',
      'etablissement_formateur_siret',
      'formation_cfd',
    ];
    ws.addRow(cols);
    ws.addRow([
      'Martin',
      'Hugo',
      38454,
      '2024-2025',
      77,
      45474,
      45537,
      new Date(Date.UTC(2026, 5, 30)),
      ORG_A.uai,
      Number(ORG_A.siret),
      ORG_A.uai,
      Number(ORG_A.siret),
      1025002,
    ]);
    const res = await upload(Buffer.from(await wb.xlsx.writeBuffer()), 'export.xlsx');
    expect(res.json()).toMatchObject({ format: 'xlsx', lignes: 1, crees: 1 });
    const [ev] = await changes(recordKey('77'));
    expect(ev!.after).toMatchObject({
      date_inscription_formation: dayFromIso('2024-07-01'),
      date_entree_formation: dayFromIso('2024-09-02'),
      date_fin_formation: dayFromIso('2026-06-30'),
      age_entree_formation: 19,
      formation_cfd: '01025002',
    });
  });

  test('a row of another organisation is rejected (ORGANISME_NON_AUTORISE), the others accepted', async () => {
    const other = dossier({
      id_erp_apprenant: 'UP-B',
      etablissement_formateur_uai: ORG_B.uai,
      etablissement_formateur_siret: ORG_B.siret,
      etablissement_responsable_uai: ORG_B.uai,
      etablissement_responsable_siret: ORG_B.siret,
    });
    const res = await upload(
      Buffer.from(csv([dossier({ id_erp_apprenant: 'UP-A' }), other], ';', COLUMNS)),
      'mix.csv',
    );
    expect(
      res
        .json()
        .rapport.map((r: { statut: string; validation_errors: { code: string }[] }) => [
          r.statut,
          r.validation_errors.map((e) => e.code),
        ]),
    ).toEqual([
      ['cree', []],
      ['rejete', ['ORGANISME_NON_AUTORISE']],
    ]);
    // The reject is filed under the sender (the key's organisation), not the one the row names.
    const dead = (await topics.waitKey('deadLetter', `${ORG_B.uai}:2024-2025:UP-B`, 1))[0]!.value;
    expect([dead.organisme_uai, dead.organisme_siret, dead.location]).toEqual([
      ORG_A.uai,
      ORG_A.siret,
      'mix.csv ligne 3',
    ]);
  });

  test('no key: 401; not a table: 422', async () => {
    const form = new FormData();
    form.append('fichier', new Blob([Buffer.from('x')]), 'x.csv');
    expect((await send(base, '/api/v1/televersements', { form })).statusCode).toBe(401);
    const res = await upload(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0]), 'broken.xlsx');
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: 'ERROR', code: 'FICHIER_ILLISIBLE', fichier: 'broken.xlsx' });
    expect(res.json().message).toMatch(/^classeur XLSX illisible/);
  });
});

describe('drop folder', () => {
  test('each file is processed once, moved to done/ with its report; an unreadable one to failed/', async () => {
    fs.writeFileSync(
      path.join(depot, 'cfa-a.csv'),
      csv([dossier({ id_erp_apprenant: 'DEP-1' }), dossier({ id_erp_apprenant: 'DEP-2' })], ';', COLUMNS),
    );
    fs.writeFileSync(path.join(depot, 'notes.txt'), 'bonjour\nrien à voir\n');
    fs.writeFileSync(path.join(depot, 'en-cours.csv.part'), 'partial');
    // Two scanners at once: the atomic rename gives each file to one of them.
    const [a, b] = await Promise.all([scanDepot(pipeline, depot), scanDepot(pipeline, depot)]);
    const all = [...a, ...b];
    expect(all.map((o) => [o.file, o.status]).sort()).toEqual([
      ['cfa-a.csv', 'done'],
      ['notes.txt', 'failed'],
    ]);
    expect(fs.readdirSync(path.join(depot, 'done')).sort()).toEqual(['cfa-a.csv', 'cfa-a.csv.rapport.json']);
    expect(fs.readdirSync(path.join(depot, 'failed')).sort()).toEqual([
      'notes.txt',
      'notes.txt.rapport.json',
    ]);
    expect(fs.readdirSync(depot).sort()).toEqual(['done', 'en-cours.csv.part', 'failed', 'processing']);
    const report = JSON.parse(fs.readFileSync(path.join(depot, 'done', 'cfa-a.csv.rapport.json'), 'utf8'));
    expect(report).toMatchObject({ fichier: 'cfa-a.csv', lignes: 2, crees: 2 });
    expect(
      JSON.parse(fs.readFileSync(path.join(depot, 'failed', 'notes.txt.rapport.json'), 'utf8')).erreur,
    ).toMatch(/aucune colonne/);
    // A new scan finds nothing new: processed once.
    expect(await scanDepot(pipeline, depot)).toEqual([]);
    expect((await changes(recordKey('DEP-1'))).length).toBe(1);
  });

  test('a file left in processing/ by a crashed process is taken over and processed by the next scan', async () => {
    const orphan = path.join(depot, 'processing', '4194000.crash.csv'); // no such process
    fs.writeFileSync(orphan, csv([dossier({ id_erp_apprenant: 'DEP-CRASH' })], ';', COLUMNS));
    const outcomes = await scanDepot(pipeline, depot);
    expect(outcomes.map((o) => [o.file, o.status])).toEqual([['crash.csv', 'done']]);
    expect(fs.existsSync(orphan)).toBe(false);
    expect((await changes(recordKey('DEP-CRASH'))).length).toBe(1);
  });

  test('the watcher processes a file deposited while it runs, once', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    const watching = watchDepot(
      pipeline,
      depot,
      ac.signal,
      (o) => seen.push(o instanceof Error ? `error ${o.message}` : `${o.file} ${o.status}`),
      200,
    );
    // Whenever it lands (before the first scan, before chokidar is ready, after), it is taken once.
    fs.writeFileSync(
      path.join(depot, 'nouveau.csv'),
      csv([dossier({ id_erp_apprenant: 'DEP-W' })], ';', COLUMNS),
    );
    await eventually(
      async () => seen,
      (s) => s.length >= 1,
      15_000,
    );
    ac.abort();
    await watching;
    expect(seen).toEqual(['nouveau.csv done']);
    expect((await changes(recordKey('DEP-W'))).length).toBe(1);
  });

  test('Gesti nightly snapshots: a learner missing the next night emits NOT_TRANSMITTED', async () => {
    const learners = [1, 2, 3].map((i) => dossier({ id_erp_apprenant: `G-${i}`, nom_apprenant: 'Lefèvre' }));
    fs.writeFileSync(path.join(depot, 'gesti_0010070W_20250301.csv'), gestiCsvOf(learners));
    const [night1] = await scanDepot(pipeline, depot);
    expect(night1).toMatchObject({
      file: 'gesti_0010070W_20250301.csv',
      status: 'done',
      report: { lignes: 3, crees: 3, non_transmis: 0 },
    });
    const [g1] = await changes(recordKey('G-1'));
    expect(g1!.source).toMatchObject({ connector: 'gesti', erp: 'gesti' });
    expect(g1!.after.custom_statut_apprenant).toBe('Gesti 1 : apprenti');

    const before = await topicSize(platform.ctx, 'changes');
    fs.writeFileSync(
      path.join(depot, 'gesti_0010070W_20250302.csv'),
      gestiCsvOf([learners[0]!, learners[2]!]),
    );
    const [night2] = await scanDepot(pipeline, depot);
    expect(night2).toMatchObject({ status: 'done', report: { lignes: 2, inchanges: 2, non_transmis: 1 } });
    const g2 = await changes(recordKey('G-2'), 2);
    expect(g2.map((e) => [e.operation, e.version])).toEqual([
      ['CREATE', 1],
      ['NOT_TRANSMITTED', 2],
    ]);
    expect(await topicSize(platform.ctx, 'changes')).toBe(before + 1);
  });
});

describe('Yparéo', () => {
  test('poll of the fake Yparéo export: created, then unchanged, then an update', async () => {
    const learners = [1, 2, 3].map((i) => dossier({ id_erp_apprenant: `${9000 + i}` }));
    const server = await startFakeYpareo({ dossiers: learners, token: 'secret-token' });
    try {
      const first = await pollYpareoOnce(pipeline, { url: server.url, token: 'secret-token' });
      expect(first.items.map((o) => o.status)).toEqual(['cree', 'cree', 'cree']);
      const [ev] = await changes(recordKey('9001'));
      expect(ev!.source).toMatchObject({ connector: 'ypareo', erp: 'ypareo' });
      expect(ev!.after).toMatchObject({
        statut_apprenant: 3,
        custom_statut_apprenant: 'Yparéo 3 : apprenti',
        date_entree_formation: dayFromIso('2024-09-02'),
      });

      // Scheduled polls: the export has not changed, nothing is produced.
      const results: (IngestResult | Error)[] = [];
      const ac = new AbortController();
      await pollYpareo(pipeline, { url: server.url, token: 'secret-token' }, 50, ac.signal, (r) => {
        results.push(r);
        if (results.length === 2) ac.abort();
      });
      expect(
        results.map((r) => (r instanceof Error ? r.message : r.items.map((o) => o.status).join(','))),
      ).toEqual(['inchange,inchange,inchange', 'inchange,inchange,inchange']);

      server.setDossiers([
        learners[0]!,
        { ...learners[1]!, contrat_date_rupture: '2025-01-15' },
        learners[2]!,
      ]);
      const third = await pollYpareoOnce(pipeline, { url: server.url, token: 'secret-token' });
      expect(third.items.map((o) => o.status)).toEqual(['inchange', 'modifie', 'inchange']);
      const updates = await changes(recordKey('9002'), 2);
      expect(updates[1]).toMatchObject({ operation: 'UPDATE', version: 2, changed_fields: ['contrats'] });

      await expect(pollYpareoOnce(pipeline, { url: server.url, token: 'wrong' })).rejects.toThrow(/HTTP 401/);
      expect(server.served).toBe(4);
    } finally {
      await server.close();
    }
  });
});
