/**
 * The Mission Locale routes on a listening server (real Redis, ClickHouse access log), alerts put
 * in the store as the inbox does (store.ingest / applyTransition; the consumer itself is tested in
 * inbox.test.ts): access control, order and filters, follow-up with history, synthesis, CSV/XLSX
 * exports (formula-looking text quoted in CSV), the access log, the SSE stream with resumption,
 * and webhooks with retries.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { CSV_TYPE, XLSX_TYPE } from '../../api/format/tables';
import { ALERTE_COLUMNS } from '../../streams/alert-inbox/present';
import { createAlertStore, type AlertStore } from '../../streams/alert-inbox/store';
import {
  startWebhookDispatcher,
  verifySignature,
  webhookAdmin,
  type Dispatcher,
  type WebhookPayload,
} from '../../streams/alert-inbox/webhooks';
import type { DropoutAlert } from '../../schemas/generated/DropoutAlert';
import { dayFromIso as d } from '../../streams/status/calendar';
import { createTestPlatform, eventually, ORGANISMES_CSV, type TestPlatform } from '../support/platform';
import {
  bearer,
  http,
  LYON,
  makeAlert,
  makeTransition,
  openSse,
  PARIS,
  token,
  type SseClient,
} from './support';

jest.setTimeout(120_000);

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let store: AlertStore;
let H: Record<'paris' | 'lyon' | 'admin' | 'cfa', Record<string, string>>;
const T0 = Date.parse('2025-03-15T11:00:00Z');
const HOUR = 3_600_000;
const A: Record<string, DropoutAlert> = {};

beforeAll(async () => {
  platform = await createTestPlatform({
    TDB_CLOCK: '2025-03-15',
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
    TDB_ALERTES_SSE_HEARTBEAT_MS: '300',
  });
  const { ctx } = platform;
  store = createAlertStore(ctx.redis, ctx.keys.ml);
  const key = ctx.secrets.dataKey;
  // Paris, in the expected order: rqth (5), minor (3), recent rupture (1), then without priority
  // the most recent status first (abandon of February before inscrit since November).
  A.rqth = makeAlert(key, {
    rqth: true,
    depuisIso: '2025-01-10',
    contact: { nom: 'Bernard', prenom: 'Yanis', date_de_naissance: '1990-01-01' },
  });
  A.mineur = makeAlert(key, {
    mineur: true,
    age: 16,
    depuisIso: '2025-03-01',
    contact: { nom: 'Petit', prenom: 'Lina', date_de_naissance: '2008-05-01', tel_apprenant: '+33611111111' },
  });
  A.recente = makeAlert(key, { depuisIso: '2025-03-10', contact: { nom: 'Durand', prenom: 'Noah' } });
  A.abandon = makeAlert(key, {
    motif: 'ABANDON',
    rupture_recente: false,
    depuisIso: '2025-02-15',
    created_at: T0 - 30 * HOUR,
  });
  A.inscrit = makeAlert(key, {
    motif: 'INSCRIT_SANS_CONTRAT',
    rupture_recente: false,
    depuisIso: '2024-11-01',
  });
  A.fermee = makeAlert(key, {
    depuisIso: '2025-02-01',
    created_at: T0 - 48 * HOUR,
    contact: { nom: 'Roux', prenom: 'Emma' },
  });
  A.lyon = makeAlert(key, {
    mission_locale_id: LYON.id,
    mission_locale_nom: LYON.nom,
    code_commune_insee: '69123',
    departement: '69',
  });
  for (const a of Object.values(A)) expect(await store.ingest(a)).toBe('nouvelle');
  await store.applyTransition(
    makeTransition({
      record_key: A.fermee!.record_key,
      to: 'APPRENTI',
      effective_date: d('2025-03-03'),
      detected_at: T0 - 24 * HOUR,
    }),
  );
  app = await buildApp(ctx, { logger: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  H = {
    paris: bearer(token(ctx, { role: 'mission_locale', scope: [PARIS.id], sub: 'ml-paris:conseillere1' })),
    lyon: bearer(token(ctx, { role: 'mission_locale', scope: [LYON.id], sub: 'ml-lyon:conseiller2' })),
    admin: bearer(token(ctx, { role: 'admin', scope: [], sub: 'admin:ops' })),
    cfa: bearer(token(ctx, { role: 'cfa', scope: ['0010070W'] })),
  };
});

afterAll(async () => {
  await app?.close();
  await platform?.cleanup();
});

const alertes = (q = '', h = H.paris) =>
  http(base, `/api/v1/missions-locales/${PARIS.id}/alertes${q}`, { headers: h });
const ids = (body: { alertes: { alerte_id: string }[] }) => body.alertes.map((a) => a.alerte_id);
type LogRow = {
  request_id: string;
  role: string;
  sujet: string;
  perimetre: string[];
  route: string;
  lignes: number;
  parametres: string;
};
const accessLog = () =>
  platform.ctx.clickhouse.query<LogRow>(
    `SELECT request_id, role, sujet, perimetre, route, lignes, parametres FROM ${platform.ctx.clickhouse.database}.acces_nominatifs`,
  );
/** The access-log rows written since `before` (the clock is fixed: rows are told apart by content, not time). */
async function since(before: LogRow[]): Promise<LogRow[]> {
  const seen = new Map<string, number>();
  for (const r of before) seen.set(JSON.stringify(r), (seen.get(JSON.stringify(r)) ?? 0) + 1);
  return (await accessLog()).filter((r) => {
    const k = JSON.stringify(r);
    const n = seen.get(k) ?? 0;
    if (n > 0) seen.set(k, n - 1);
    return n === 0;
  });
}

describe('access control', () => {
  const paths = [
    ['GET', '/alertes'],
    ['GET', '/alertes/flux'],
    ['GET', `/alertes/${'0'.repeat(32)}`],
    ['PATCH', `/alertes/${'0'.repeat(32)}`],
    ['GET', '/synthese'],
    ['GET', '/webhook/livraisons'],
  ] as const;
  test.each(paths)('%s %s: 401 without token, 403 for another Mission Locale or a CFA', async (method, p) => {
    const url = `/api/v1/missions-locales/${PARIS.id}${p}`;
    const json = method === 'PATCH' ? { situation: 'contacte' } : undefined;
    const anon = await http(base, url, { method, json });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Bearer');
    const other = await http(base, url, { method, json, headers: H.lyon });
    expect(other.status).toBe(403);
    expect(other.json()).toMatchObject({ code: 'HORS_PERIMETRE' });
    expect((await http(base, url, { method, json, headers: H.cfa })).status).toBe(403);
  });

  test('its own advisors and admins read it; a bad token is 401', async () => {
    expect((await alertes('', H.paris)).status).toBe(200);
    expect((await alertes('', H.admin)).status).toBe(200);
    expect((await alertes('', { authorization: 'Bearer abc.def.ghi' })).status).toBe(401);
  });
});

describe('the list', () => {
  test('most urgent first, then the most recent status; what the advisor needs on each row', async () => {
    const res = await alertes();
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      mission_locale_id: PARIS.id,
      date: '2025-03-15',
      total: 5,
      page: 1,
      par_page: 50,
    });
    expect(body.dernier_evenement).toMatch(/^\d+-\d+$/);
    expect(ids(body)).toEqual([A.rqth, A.mineur, A.recente, A.abandon, A.inscrit].map((a) => a!.alert_id));
    const mineur = body.alertes[1];
    expect(mineur).toMatchObject({
      etat: 'ouverte',
      motif: 'RUPTURE',
      pourquoi: "rupture du contrat d'apprentissage, sans nouveau contrat depuis le 01/03/2025",
      statut: 'RUPTURANT',
      statut_depuis: '2025-03-01',
      alerte_le: '2025-03-15T11:00:00.000Z',
      priorite: 3,
      rqth: false,
      mineur: true,
      rupture_recente: true,
      nom: 'Petit',
      prenom: 'Lina',
      date_de_naissance: '2008-05-01',
      age: 16,
      telephone: '+33611111111',
      commune: 'Paris',
      code_commune_insee: '75056',
      formation_libelle: 'CAP CUISINE',
      organisme_uai: '0010070W',
      mission_locale_id: PARIS.id,
      situation: 'a_contacter',
      situation_libelle: 'à contacter',
      fermee_le: null,
    });
    expect(typeof mineur.organisme_nom).toBe('string');
    expect(mineur.organisme_nom.length).toBeGreaterThan(0);
    // Age at today's date from the birth date (35 on 2025-03-15), not the age on the alert's day.
    expect(body.alertes[0]).toMatchObject({ nom: 'Bernard', age: 35, priorite: 5 });
  });

  test('pagination and filters', async () => {
    const p2 = (await alertes('?par_page=2&page=2')).json();
    expect(p2).toMatchObject({ total: 5, page: 2, par_page: 2 });
    expect(ids(p2)).toEqual([A.recente!.alert_id, A.abandon!.alert_id]);
    expect(ids((await alertes('?priorite=rqth')).json())).toEqual([A.rqth!.alert_id]);
    expect(ids((await alertes('?priorite=prioritaire')).json())).toEqual(
      [A.rqth, A.mineur, A.recente].map((a) => a!.alert_id),
    );
    expect(ids((await alertes('?priorite=non_prioritaire')).json())).toEqual([
      A.abandon!.alert_id,
      A.inscrit!.alert_id,
    ]);
    expect(ids((await alertes('?motif=ABANDON')).json())).toEqual([A.abandon!.alert_id]);
    // Emitted on 2025-03-15 (Paris time) or after: not the abandon of the 14th.
    expect(ids((await alertes('?depuis=2025-03-15')).json())).not.toContain(A.abandon!.alert_id);
    expect((await alertes('?depuis=2025-03-15')).json().total).toBe(4);
    const closed = (await alertes('?statut=fermee')).json();
    expect(ids(closed)).toEqual([A.fermee!.alert_id]);
    expect(closed.alertes[0]).toMatchObject({
      etat: 'fermee',
      nom: 'Roux',
      code_fermeture: 'NOUVEAU_CONTRAT',
      raison_fermeture: 'nouveau contrat signé, en cours depuis le 03/03/2025',
      fermee_le: '2025-03-14T11:00:00.000Z',
    });
    const all = (await alertes('?statut=toutes')).json();
    expect(all.total).toBe(6);
    // The closed rupture is still recent (priority 1): before the alerts without priority.
    expect(ids(all)).toEqual(
      [A.rqth, A.mineur, A.recente, A.fermee, A.abandon, A.inscrit].map((a) => a!.alert_id),
    );
  });

  test('bad parameters: 400 naming the field', async () => {
    for (const [q, champ] of [
      ['?statut=perdu', 'statut'],
      ['?priorite=haute', 'priorite'],
      ['?depuis=2025-02-30', 'depuis'],
      ['?par_page=501', 'par_page'],
      ['?nom=Martin', 'nom'],
    ]) {
      const res = await alertes(q);
      expect(res.status).toBe(400);
      expect(res.json().champ).toBe(champ);
    }
  });
});

describe('follow-up', () => {
  const one = (id: string, h = H.paris) =>
    http(base, `/api/v1/missions-locales/${PARIS.id}/alertes/${id}`, { headers: h });
  const patch = (id: string, json: unknown, h = H.paris, ml = PARIS.id) =>
    http(base, `/api/v1/missions-locales/${ml}/alertes/${id}`, { method: 'PATCH', json, headers: h });

  test('records the situation with who and when, keeps the history, the comment sealed at rest', async () => {
    const id = A.recente!.alert_id;
    const first = await patch(id, { situation: 'sans_reponse' });
    expect(first.status).toBe(200);
    const res = await patch(id, { situation: 'rdv_fixe', commentaire: 'RDV jeudi 10h avec sa mère' });
    expect(res.json()).toEqual({
      alerte_id: id,
      etat: 'ouverte',
      situation: 'rdv_fixe',
      situation_libelle: 'rendez-vous fixé',
      situation_le: '2025-03-15T11:00:00.000Z',
      situation_par: 'ml-paris:conseillere1',
      commentaire: 'RDV jeudi 10h avec sa mère',
    });
    const body = (await one(id)).json();
    expect(body.alerte).toMatchObject({
      situation: 'rdv_fixe',
      situation_par: 'ml-paris:conseillere1',
      commentaire: 'RDV jeudi 10h avec sa mère',
    });
    expect(body.historique).toEqual([
      { type: 'creation', at: '2025-03-15T11:00:00.000Z', par: 'systeme' },
      expect.objectContaining({
        type: 'suivi',
        situation: 'sans_reponse',
        par: 'ml-paris:conseillere1',
        role: 'mission_locale',
        commentaire: null,
      }),
      expect.objectContaining({
        type: 'suivi',
        situation: 'rdv_fixe',
        commentaire: 'RDV jeudi 10h avec sa mère',
      }),
    ]);
    const { ctx } = platform;
    const raw = Buffer.concat([
      ...Object.values(await ctx.redis.hgetallBuffer(ctx.keys.ml.alerte(id))),
      Buffer.from((await ctx.redis.lrange(ctx.keys.ml.historique(id), 0, -1)).join('')),
    ]).toString('latin1');
    expect(raw).not.toContain('jeudi');
    expect(ids((await alertes('?situation=rdv_fixe')).json())).toEqual([id]);
    // Admins may record too; their subject is kept.
    expect((await patch(A.inscrit!.alert_id, { situation: 'contacte' }, H.admin)).json().situation_par).toBe(
      'admin:ops',
    );
  });

  test('"autre" needs a comment; unknown alert or another Mission Locale\'s alert: 404', async () => {
    const res = await patch(A.rqth!.alert_id, { situation: 'autre' });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ champ: 'commentaire', code: 'PARAMETRE_REQUIS' });
    expect((await patch(A.rqth!.alert_id, { situation: 'joignable' })).json().champ).toBe('situation');
    // Line breaks are text; a NUL or an escape character is refused, naming the field.
    const nul = await patch(A.rqth!.alert_id, { situation: 'autre', commentaire: 'a\u0000b' });
    expect([nul.status, nul.json()]).toEqual([
      400,
      expect.objectContaining({
        champ: 'commentaire',
        code: 'CARACTERES_INVALIDES',
        message:
          'commentaire : caractères invalides (caractère de contrôle U+0000) ; texte (retours à la ligne permis)',
      }),
    ]);
    expect((await patch('f'.repeat(32), { situation: 'contacte' })).status).toBe(404);
    expect((await patch(A.lyon!.alert_id, { situation: 'contacte' })).status).toBe(404);
    expect((await one(A.lyon!.alert_id)).status).toBe(404);
    expect((await patch(A.lyon!.alert_id, { situation: 'contacte' }, H.lyon, LYON.id)).status).toBe(200);
  });

  test('synthesis: open alerts by situation and priority, closed ones by reason', async () => {
    const res = await http(base, `/api/v1/missions-locales/${PARIS.id}/synthese`, { headers: H.paris });
    const s = res.json();
    expect(s).toMatchObject({
      mission_locale_id: PARIS.id,
      ouvertes: 5,
      fermees: 1,
      par_motif: { RUPTURE: 3, ABANDON: 1, INSCRIT_SANS_CONTRAT: 1 },
      fermetures: { NOUVEAU_CONTRAT: 1, FIN_DE_FORMATION: 0, REMPLACEE: 0, EXPIREE: 0 },
      total: { total: 5, prioritaires: 3, rqth: 1, mineurs: 1, ruptures_recentes: 3, non_prioritaires: 2 },
    });
    const bySituation = Object.fromEntries(
      s.par_situation.map((l: { situation: string }) => [l.situation, l]),
    );
    expect(bySituation.a_contacter).toMatchObject({ total: 3, prioritaires: 2, rqth: 1, mineurs: 1 });
    expect(bySituation.rdv_fixe).toMatchObject({ total: 1, prioritaires: 1, ruptures_recentes: 1 });
    expect(bySituation.contacte).toMatchObject({ total: 1, prioritaires: 0, non_prioritaires: 1 });
    expect(s.par_situation.map((l: { situation: string }) => l.situation)).toEqual([
      'a_contacter',
      'contacte',
      'rdv_fixe',
      'sans_reponse',
      'retour_formation',
      'pas_interesse',
      'autre',
    ]);
  });
});

describe('exports and the access log', () => {
  test('XLSX opens with the expected header and rows (all of them, not a page); CSV too', async () => {
    const json = (await alertes()).json();
    const x = await alertes('?format=xlsx&par_page=2');
    expect(x.status).toBe(200);
    expect(x.headers.get('content-type')).toBe(XLSX_TYPE);
    expect(x.headers.get('content-disposition')).toBe(
      `attachment; filename="alertes-${PARIS.id}-2025-03-15.xlsx"`,
    );
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.buffer as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual([...ALERTE_COLUMNS]);
    const rows: Record<string, unknown>[] = [];
    ws.eachRow((row, n) => {
      if (n > 1)
        rows.push(
          Object.fromEntries(ALERTE_COLUMNS.map((c, i) => [c, (row.values as unknown[])[i + 1] ?? null])),
        );
    });
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r.alerte_id)).toEqual(ids(json));
    expect(rows[1]).toMatchObject({
      nom: 'Petit',
      prenom: 'Lina',
      age: 16,
      telephone: '+33611111111',
      mineur: true,
      priorite: 3,
    });

    const c = await alertes('?format=csv&statut=toutes', H.admin);
    expect(c.headers.get('content-type')).toBe(CSV_TYPE);
    expect(c.buffer.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const csv = parse(c.text, { columns: true, delimiter: ';', bom: true }) as Record<string, string>[];
    expect(csv).toHaveLength(6);
    expect(csv.find((r) => r.nom === 'Roux')).toMatchObject({
      etat: 'fermee',
      code_fermeture: 'NOUVEAU_CONTRAT',
      rqth: '0',
    });
    // Accept header works as well.
    const accepted = await alertes('', { ...H.paris, accept: XLSX_TYPE });
    expect(accepted.headers.get('content-type')).toBe(XLSX_TYPE);
  });

  test('every read of a nominative list is logged: who, when, what', async () => {
    const before = await accessLog();
    const r1 = await alertes('?priorite=rqth', H.paris);
    await alertes('?format=csv', H.admin);
    await http(base, `/api/v1/missions-locales/${PARIS.id}/alertes/${A.rqth!.alert_id}`, {
      headers: H.paris,
    });
    await http(base, `/api/v1/missions-locales/${PARIS.id}/synthese`, { headers: H.paris }); // counts only: not logged
    await alertes('', H.lyon); // refused: nothing disclosed, nothing logged
    expect(r1.status).toBe(200);
    const all = await since(before);
    expect(all).toHaveLength(3);
    const rows = [
      all.find((r) => r.parametres.includes('"priorite":"rqth"')),
      all.find((r) => r.role === 'admin'),
      all.find((r) => r.route.endsWith(':alerteId')),
    ];
    expect(rows[0]).toMatchObject({
      role: 'mission_locale',
      sujet: 'ml-paris:conseillere1',
      perimetre: [PARIS.id],
      route: '/api/v1/missions-locales/:id/alertes',
      lignes: 1,
    });
    expect(JSON.parse(rows[0]!.parametres)).toMatchObject({
      mission_locale: PARIS.id,
      priorite: 'rqth',
      statut: 'ouverte',
      format: 'json',
    });
    expect(rows[1]).toMatchObject({ role: 'admin', sujet: 'admin:ops', lignes: 5 });
    expect(JSON.parse(rows[1]!.parametres)).toMatchObject({ format: 'csv' });
    expect(rows[2]).toMatchObject({ route: '/api/v1/missions-locales/:id/alertes/:alerteId', lignes: 1 });
    // No names in the log.
    expect(JSON.stringify(rows)).not.toMatch(/Bernard|Petit|Durand/);
  });
});

describe('exports: formula injection (OWASP)', () => {
  test('CSV quotes formula-looking contacts and comments; numbers stay numbers; XLSX keeps string cells', async () => {
    const ml = { id: 'ML-13-MARSEILLE', nom: 'Mission Locale de Marseille' };
    const hostile = makeAlert(platform.ctx.secrets.dataKey, {
      mission_locale_id: ml.id,
      mission_locale_nom: ml.nom,
      code_commune_insee: '13055',
      departement: '13',
      contact: {
        nom: '=HYPERLINK("http://evil.example","clic")',
        prenom: '@SUM(A1)',
        tel_apprenant: '+33612345678',
        email_contact: '-1+1',
        adresse_apprenant: '\t=1+1',
        date_de_naissance: '2005-06-20',
      },
    });
    expect(await store.ingest(hostile)).toBe('nouvelle');
    const patched = await http(base, `/api/v1/missions-locales/${ml.id}/alertes/${hostile.alert_id}`, {
      method: 'PATCH',
      json: { situation: 'autre', commentaire: "=cmd|' /C calc'!A0" },
      headers: H.admin,
    });
    expect(patched.status).toBe(200);
    const path = `/api/v1/missions-locales/${ml.id}/alertes`;

    const json = (await http(base, path, { headers: H.admin })).json();
    expect(json.alertes[0]).toMatchObject({ nom: '=HYPERLINK("http://evil.example","clic")', age: 19 });

    const c = await http(base, `${path}?format=csv`, { headers: H.admin });
    const [row, ...others] = parse(c.text, { columns: true, delimiter: ';', bom: true }) as Record<
      string,
      string
    >[];
    expect(others).toHaveLength(0);
    expect(row).toMatchObject({
      alerte_id: hostile.alert_id,
      nom: '\'=HYPERLINK("http://evil.example","clic")',
      prenom: "'@SUM(A1)",
      telephone: "'+33612345678",
      email: "'-1+1",
      adresse: "'\t=1+1",
      commentaire: "'=cmd|' /C calc'!A0",
      age: '19',
      priorite: '1',
      rqth: '0',
      date_de_naissance: '2005-06-20',
      organisme_uai: hostile.organisme_uai,
    });

    const x = await http(base, `${path}?format=xlsx`, { headers: H.admin });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.buffer as unknown as ArrayBuffer);
    const cells = wb.worksheets[0]!.getRow(2);
    const nom = cells.getCell(ALERTE_COLUMNS.indexOf('nom') + 1);
    expect([nom.type, nom.value, nom.formula]).toEqual([
      ExcelJS.ValueType.String,
      '=HYPERLINK("http://evil.example","clic")',
      undefined,
    ]);
    expect(cells.getCell(ALERTE_COLUMNS.indexOf('age') + 1).value).toBe(19);
    cells.eachCell((cell) => expect(cell.type).not.toBe(ExcelJS.ValueType.Formula));
  });
});

describe('SSE stream', () => {
  const flux = `${'/api/v1/missions-locales/'}${PARIS.id}/alertes/flux`;
  let clients: SseClient[] = [];
  const open = (q = '', headers: Record<string, string> = H.paris) => {
    const c = openSse(base + flux + q, headers);
    clients.push(c);
    return c;
  };
  afterEach(() => {
    for (const c of clients) c.close();
    clients = [];
  });

  test('new alerts arrive live with increasing ids, heartbeats keep the connection, reads are logged', async () => {
    const c = open();
    expect(await c.status).toBe(200);
    expect((await c.headers).get('content-type')).toBe('text/event-stream; charset=utf-8');
    const logBefore = await accessLog();
    const n1 = makeAlert(platform.ctx.secrets.dataKey, {
      contact: { nom: 'Garcia', prenom: 'Sofia' },
      rqth: true,
    });
    await store.ingest(n1);
    await eventually(
      async () => c.events.length,
      (n) => n >= 1,
      5_000,
      20,
    );
    expect(c.events[0]).toMatchObject({
      event: 'alerte',
      data: {
        type: 'alerte',
        alerte_id: n1.alert_id,
        mission_locale_id: PARIS.id,
        alerte: { nom: 'Garcia', prenom: 'Sofia', priorite: 5 },
      },
    });
    expect(c.events[0]!.id).toBe(c.events[0]!.data.evenement_id);
    // Another Mission Locale's alert never shows here.
    await store.ingest(makeAlert(platform.ctx.secrets.dataKey, { mission_locale_id: LYON.id }));
    const n2 = makeAlert(platform.ctx.secrets.dataKey);
    await store.ingest(n2);
    await eventually(
      async () => c.events.length,
      (n) => n >= 2,
      5_000,
      20,
    );
    expect(c.events.map((e) => e.data.alerte_id)).toEqual([n1.alert_id, n2.alert_id]);
    expect(BigInt(c.events[1]!.id!.split('-')[0]!)).toBeGreaterThanOrEqual(
      BigInt(c.events[0]!.id!.split('-')[0]!),
    );
    await eventually(
      async () => c.comments(),
      (n) => n >= 3,
      5_000,
      50,
    ); // the opening comment + heartbeats
    const logged = await since(logBefore);
    expect(logged.reduce((s, r) => s + r.lignes, 0)).toBe(2);
    expect(logged[0]).toMatchObject({
      route: '/api/v1/missions-locales/:id/alertes/flux',
      sujet: 'ml-paris:conseillere1',
    });
  });

  test('resumes after Last-Event-ID without loss or duplicates (header or query)', async () => {
    const first = open();
    await first.status;
    const a1 = makeAlert(platform.ctx.secrets.dataKey);
    await store.ingest(a1);
    await eventually(
      async () => first.events.length,
      (n) => n >= 1,
      5_000,
      20,
    );
    const last = first.events[0]!.id!;
    first.close();
    // While disconnected: two alerts, a follow-up and a closure.
    const a2 = makeAlert(platform.ctx.secrets.dataKey);
    const a3 = makeAlert(platform.ctx.secrets.dataKey, { depuisIso: '2025-03-02' });
    await store.ingest(a2);
    await store.suivi(
      PARIS.id,
      a1.alert_id,
      { situation: 'contacte', at: T0, par: 'x', role: 'mission_locale' },
      null,
    );
    await store.ingest(a3);
    await store.applyTransition(
      makeTransition({
        record_key: a2.record_key,
        to: 'APPRENTI',
        effective_date: d('2025-03-14'),
        detected_at: T0 + 1,
      }),
    );
    const expected = [
      ['alerte', a2.alert_id],
      ['suivi', a1.alert_id],
      ['alerte', a3.alert_id],
      ['fermeture', a2.alert_id],
    ];
    for (const resume of [open('', { ...H.paris, 'last-event-id': last }), open(`?last_event_id=${last}`)]) {
      await eventually(
        async () => resume.events.length,
        (n) => n >= 4,
        5_000,
        20,
      );
      await new Promise((r) => setTimeout(r, 400)); // a heartbeat re-read must not repeat anything
      expect(resume.events.map((e) => [e.event, e.data.alerte_id])).toEqual(expected);
      expect(new Set(resume.events.map((e) => e.id)).size).toBe(4);
      expect(resume.events[3]!.data.alerte).toMatchObject({
        etat: 'fermee',
        code_fermeture: 'NOUVEAU_CONTRAT',
      });
    }
    const bad = await http(base, `${flux}?last_event_id=hier`, { headers: H.paris });
    expect(bad.status).toBe(400);
    expect(bad.json().champ).toBe('last_event_id');
  });

  test('a resume point older than a trimmed journal says so (reinitialisation)', async () => {
    const { ctx } = platform;
    const oldest = (await store.readAfter(PARIS.id, '0-0', 1))[0]!.id;
    await ctx.redis.xtrim(ctx.keys.ml.flux(PARIS.id), 'MAXLEN', 2);
    const c = open('', { ...H.paris, 'last-event-id': oldest });
    await eventually(
      async () => c.events.length,
      (n) => n >= 3,
      5_000,
      20,
    );
    expect(c.events[0]).toMatchObject({ event: 'reinitialisation', data: { last_event_id: oldest } });
    expect(c.events.slice(1).map((e) => e.event)).toHaveLength(2);
  });
});

describe('webhooks', () => {
  let receiver: Server;
  let url: string;
  let dispatcher: Dispatcher | undefined;
  const received: { at: number; headers: IncomingMessage['headers']; body: string; status: number }[] = [];
  let failFirst = 2;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const status = req.url === '/toujours-en-panne' ? 503 : failFirst-- > 0 ? 500 : 204;
        received.push({ at: Date.now(), headers: req.headers, body, status });
        res.writeHead(status).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await dispatcher?.stop();
    receiver?.close();
  });

  test('signed deliveries, retried with exponential backoff, logged; given up after the last attempt', async () => {
    const { ctx } = platform;
    const admin = webhookAdmin(ctx.redis, ctx.keys.ml, ctx.secrets.dataKey);
    const { secret } = await admin.set(PARIS.id, `${url}/alertes`, 'test', ctx.clock.now());
    await admin.set(LYON.id, `${url}/toujours-en-panne`, 'test', ctx.clock.now());
    expect(secret).toMatch(/^whsec_/);
    // The secret is sealed at rest.
    expect(await ctx.redis.hget(ctx.keys.ml.webhook(PARIS.id), 'secret')).not.toContain(secret.slice(6));
    dispatcher = startWebhookDispatcher(ctx, store, { backoffMs: 100, maxAttempts: 3, pollMs: 50 });
    const logBefore = await accessLog();

    const a = makeAlert(ctx.secrets.dataKey, { contact: { nom: 'Moreau', prenom: 'Jade' } });
    await store.ingest(a);
    await store.ingest(makeAlert(ctx.secrets.dataKey, { mission_locale_id: LYON.id }));
    const paris = () => received.filter((r) => r.headers['x-tdb-signature'] && !r.body.includes(LYON.id));
    await eventually(
      async () => paris().filter((r) => r.status === 204).length,
      (n) => n >= 1,
      15_000,
      20,
    );
    const attempts = paris();
    expect(attempts.map((r) => r.status)).toEqual([500, 500, 204]);
    // Backoff: 100 ms then 200 ms at least between attempts.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(100);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(200);
    for (const r of attempts) {
      expect(
        verifySignature(secret, String(r.headers['x-tdb-signature']), r.body, Math.floor(Date.now() / 1000)),
      ).toBe(true);
      expect(
        verifySignature(
          secret,
          String(r.headers['x-tdb-signature']),
          r.body + ' ',
          Math.floor(Date.now() / 1000),
        ),
      ).toBe(false);
    }
    const payload = JSON.parse(attempts[2]!.body) as WebhookPayload;
    expect(payload).toMatchObject({
      type: 'alerte',
      alerte_id: a.alert_id,
      mission_locale_id: PARIS.id,
      alerte: { nom: 'Moreau', prenom: 'Jade' },
    });
    expect(attempts[2]!.headers['x-tdb-evenement']).toBe(payload.evenement_id);

    // The delivery log, through the route (newest first); written just after the receiver answered.
    const log = await eventually(
      async () =>
        (
          await http(base, `/api/v1/missions-locales/${PARIS.id}/webhook/livraisons`, { headers: H.paris })
        ).json(),
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (l: any) => l.livraisons[0]?.statut === 'livree',
      5_000,
      20,
    );
    expect(log.url).toBe(`${url}/alertes`);
    expect(
      log.livraisons
        .slice(0, 3)
        .map((l: { statut: string; tentative: number; http: number }) => [l.statut, l.tentative, l.http]),
    ).toEqual([
      ['livree', 3, 204],
      ['echec', 2, 500],
      ['echec', 1, 500],
    ]);
    expect(log.livraisons[1].prochaine_tentative).not.toBeNull();
    // Lyon's endpoint never answers 2xx: given up after 3 attempts, and the next events still go out.
    await eventually(
      async () => (await admin.deliveries(LYON.id)).map((l) => l.statut),
      (s) => s.includes('abandonnee'),
      15_000,
      50,
    );
    expect((await admin.deliveries(LYON.id)).filter((l) => l.statut === 'echec')).toHaveLength(2);
    // The disclosure is in the access log.
    const logged = await since(logBefore);
    expect(logged).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          route: 'webhook',
          sujet: `webhook:${new URL(url).host}`,
          perimetre: [PARIS.id],
        }),
      ]),
    );
  });
});
