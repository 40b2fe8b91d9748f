/**
 * Issue 7, "Done when", over the real chain in an isolated namespace:
 *   ERP push (HTTP, API key) → connectors pipeline → change topic → `tdb processor run` (child
 *   process) → DropoutAlert / LearnerStatusTransition → `tdb alertes run` (child process) →
 *   Redis journal → SSE stream of the right Mission Locale (HTTP).
 * A learner whose contract is ruptured produces, within seconds, an alert on Paris's stream with
 * the right priority; a new contract closes it; another Mission Locale's advisor gets 403; the
 * export opens as a valid XLSX with the expected rows; the access log holds each read.
 */
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { XLSX_TYPE } from '../../api/format/tables';
import { redisApiKeyStore } from '../../connectors/http/api-keys';
import { ALERTE_COLUMNS } from '../../streams/alert-inbox/present';
import { createTestPlatform, eventually, ORGANISMES_CSV, type TestPlatform } from '../support/platform';
import { allJoined, spawnTdb, type TdbProcess } from '../support/tdb-process';
import { bearer, http, LYON, openSse, ORG, PARIS, token, type SseClient } from './support';

jest.setTimeout(180_000);

const REPO = path.resolve(__dirname, '..', '..');
const MISSIONS_LOCALES = path.join(REPO, 'test', 'streams', 'fixtures', 'missions-locales.csv');

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let children: TdbProcess[] = [];
let erpKey: string;
let paris: Record<string, string>;
let lyon: Record<string, string>;
const streams: SseClient[] = [];

/** The learner as the ERP sends it (dossier-apprenant-v3): a minor of Paris whose contract was broken on 2025-03-03. */
const learner = (extra: Record<string, unknown> = {}) => ({
  nom_apprenant: 'Lambert',
  prenom_apprenant: 'Chloé',
  date_de_naissance_apprenant: '2008-01-15',
  annee_scolaire: '2024-2025',
  id_erp_apprenant: 'E2E-ML-1',
  date_inscription_formation: '2024-07-01',
  date_entree_formation: '2024-09-02',
  date_fin_formation: '2026-06-30',
  etablissement_responsable_uai: ORG.uai,
  etablissement_responsable_siret: ORG.siret,
  etablissement_formateur_uai: ORG.uai,
  etablissement_formateur_siret: ORG.siret,
  formation_cfd: '50022106',
  tel_apprenant: '06 12 34 56 78',
  email_contact: 'chloe.lambert@example.org',
  code_postal_apprenant: '75011',
  code_commune_insee_apprenant: '75056',
  contrat_date_debut: '2024-09-09',
  contrat_date_fin: '2026-06-30',
  contrat_date_rupture: '2025-03-03',
  siret_employeur: '44306184100047',
  ...extra,
});

const push = (items: unknown[]) =>
  http(base, '/api/v3/dossiers-apprenants', { method: 'POST', json: items, headers: bearer(erpKey) });

beforeAll(async () => {
  platform = await createTestPlatform({
    TDB_CLOCK: '2025-03-15',
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
    TDB_MISSIONS_LOCALES_CSV: MISSIONS_LOCALES,
    TDB_API_RATE_LIMIT: '1000',
    TDB_ALERTES_SSE_HEARTBEAT_MS: '1000',
  });
  const { ctx, config } = platform;
  const env = {
    TDB_NAMESPACE: config.TDB_NAMESPACE,
    TDB_CLOCK: '2025-03-15',
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
    TDB_MISSIONS_LOCALES_CSV: MISSIONS_LOCALES,
    TDB_PROCESSOR_TICK_MS: '1000',
  };
  children = [
    spawnTdb('processor', ['processor', 'run'], env),
    spawnTdb('alert-inbox', ['alertes', 'run'], env),
  ];
  await allJoined(children);
  app = await buildApp(ctx, { logger: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  erpKey = (
    await redisApiKeyStore(ctx.redis, ctx.keys.apiKeys).create({ ...ORG, erp: 'test', now: ctx.clock.now() })
  ).key;
  paris = bearer(token(ctx, { role: 'mission_locale', scope: [PARIS.id], sub: 'ml-paris:conseillere' }));
  lyon = bearer(token(ctx, { role: 'mission_locale', scope: [LYON.id], sub: 'ml-lyon:conseiller' }));
});

afterAll(async () => {
  for (const s of streams) s.close();
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGTERM');
  const codes = await Promise.all(
    children.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((r) => (timer = setTimeout(() => r('timeout'), 30_000)));
      const code = await Promise.race([c.exited, late]);
      clearTimeout(timer);
      return code;
    }),
  );
  await app?.close();
  await platform?.cleanup();
  // Graceful stop on SIGTERM (offsets committed, exit 0).
  expect(codes).toEqual([0, 0]);
});

test('rupture → alert on the right stream within seconds → new contract closes it; 403 elsewhere; XLSX; access log', async () => {
  const flux = (ml: string, h: Record<string, string>) => {
    const s = openSse(`${base}/api/v1/missions-locales/${ml}/alertes/flux`, h);
    streams.push(s);
    return s;
  };
  const parisStream = flux(PARIS.id, paris);
  const lyonStream = flux(LYON.id, lyon);
  expect(await parisStream.status).toBe(200);
  expect(await lyonStream.status).toBe(200);

  // 1. The ERP pushes a record whose contract is ruptured.
  const pushed = Date.now();
  const r1 = await push([learner()]);
  expect(r1.status).toBe(200);
  expect(r1.json().data[0].validation_errors).toEqual([]);
  await eventually(
    async () => parisStream.events.length,
    (n) => n >= 1,
    15_000,
    20,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}\n${children.map((c) => `--- ${c.name} (exit ${c.child.exitCode}):\n${c.stderr().slice(-2000)}`).join('\n')}`,
    );
  });
  const latencyMs = Date.now() - pushed;
  process.stderr.write(`e2e: push → SSE alert in ${latencyMs} ms\n`);
  expect(latencyMs).toBeLessThan(15_000);
  const alert = parisStream.events[0]!;
  expect(alert.event).toBe('alerte');
  expect(alert.data.alerte).toMatchObject({
    etat: 'ouverte',
    motif: 'RUPTURE',
    statut: 'RUPTURANT',
    statut_depuis: '2025-03-03',
    mission_locale_id: PARIS.id,
    mission_locale_nom: 'Mission Locale de Paris',
    // Priority: a minor (17) whose rupture is recent.
    priorite: 3,
    mineur: true,
    rupture_recente: true,
    rqth: false,
    nom: 'Lambert',
    prenom: 'Chloé',
    age: 17,
    date_de_naissance: '2008-01-15',
    email: 'chloe.lambert@example.org',
    commune: 'Paris',
    organisme_uai: ORG.uai,
  });
  const alerteId: string = alert.data.alerte_id;

  // 2. Another Mission Locale's advisor: 403 on Paris's list, and nothing on its own stream.
  const forbidden = await http(base, `/api/v1/missions-locales/${PARIS.id}/alertes`, { headers: lyon });
  expect(forbidden.status).toBe(403);
  expect(lyonStream.events).toEqual([]);

  // 3. The list has it (most urgent first); the follow-up is recorded.
  const list = await http(base, `/api/v1/missions-locales/${PARIS.id}/alertes`, { headers: paris });
  expect(list.json().alertes.map((a: { alerte_id: string }) => a.alerte_id)).toEqual([alerteId]);
  const patched = await http(base, `/api/v1/missions-locales/${PARIS.id}/alertes/${alerteId}`, {
    method: 'PATCH',
    json: { situation: 'contacte', commentaire: 'appel le 15/03' },
    headers: paris,
  });
  expect(patched.status).toBe(200);

  // 4. A new contract: the processor's next transition closes the alert, and the advisor sees why.
  const r2 = await push([
    learner({
      contrat_date_debut_2: '2025-03-10',
      contrat_date_fin_2: '2026-06-30',
      siret_employeur_2: '44306184100047',
    }),
  ]);
  expect(r2.status).toBe(200);
  await eventually(
    async () => parisStream.events.find((e) => e.event === 'fermeture'),
    (e) => e !== undefined,
    15_000,
    20,
  );
  expect(parisStream.events.map((e) => [e.event, e.data.alerte_id])).toEqual([
    ['alerte', alerteId],
    ['suivi', alerteId],
    ['fermeture', alerteId],
  ]);
  expect(parisStream.events[2]!.data.alerte).toMatchObject({
    etat: 'fermee',
    code_fermeture: 'NOUVEAU_CONTRAT',
    raison_fermeture: 'nouveau contrat signé, en cours depuis le 10/03/2025',
    situation: 'contacte',
  });
  const open = await http(base, `/api/v1/missions-locales/${PARIS.id}/alertes`, { headers: paris });
  expect(open.json().total).toBe(0);

  // 5. The export opens as a valid XLSX with the expected row.
  const x = await http(base, `/api/v1/missions-locales/${PARIS.id}/alertes?statut=toutes&format=xlsx`, {
    headers: paris,
  });
  expect(x.status).toBe(200);
  expect(x.headers.get('content-type')).toBe(XLSX_TYPE);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(x.buffer as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual([...ALERTE_COLUMNS]);
  expect(ws.rowCount).toBe(2);
  const row = Object.fromEntries(
    ALERTE_COLUMNS.map((c, i) => [c, (ws.getRow(2).values as unknown[])[i + 1] ?? null]),
  );
  expect(row).toMatchObject({
    alerte_id: alerteId,
    etat: 'fermee',
    nom: 'Lambert',
    prenom: 'Chloé',
    age: 17,
    priorite: 3,
    situation: 'contacte',
    commentaire: 'appel le 15/03',
    code_fermeture: 'NOUVEAU_CONTRAT',
  });

  // 6. The access log holds each read: the stream's three deliveries, the list twice, the export.
  const rows = await platform.ctx.clickhouse.query<{
    route: string;
    sujet: string;
    lignes: number;
    parametres: string;
  }>(
    `SELECT route, sujet, lignes, parametres FROM ${platform.ctx.clickhouse.database}.acces_nominatifs WHERE sujet = 'ml-paris:conseillere'`,
  );
  const byRoute = (r: string) => rows.filter((x) => x.route === `/api/v1/missions-locales/:id/alertes${r}`);
  expect(byRoute('/flux').reduce((s, r) => s + r.lignes, 0)).toBe(3);
  expect(
    byRoute('')
      .map((r) => JSON.parse(r.parametres).format)
      .sort(),
  ).toEqual(['json', 'json', 'xlsx']);
  expect(rows.every((r) => !JSON.stringify(r).includes('Lambert'))).toBe(true);
  expect(
    await platform.ctx.clickhouse.query(
      `SELECT count() AS n FROM ${platform.ctx.clickhouse.database}.acces_nominatifs WHERE sujet = 'ml-lyon:conseiller'`,
    ),
  ).toEqual([{ n: '0' }]);
});
