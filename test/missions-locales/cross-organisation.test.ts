/**
 * Issue 11, finding 1, replayed over the real chain (isolated namespace): push API → pipeline →
 * `tdb processor run` → `tdb alertes run` → Mission Locale stream. Organisation B's ruptured
 * learner raises an alert on Paris's stream; organisation A (responsable of another site in the
 * relations referential, not of B) re-sends that learner with an invented second contract, by push
 * and by upload, as the review did to close B's alert as NOUVEAU_CONTRAT: both are refused, no
 * change event is written, and the alert stays open. B's own new contract then closes it (the
 * chain under test does close alerts: the refusal is what kept this one open).
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { redisApiKeyStore } from '../../connectors/http/api-keys';
import { createTestPlatform, eventually, ORGANISMES_CSV, type TestPlatform } from '../support/platform';
import { allJoined, spawnTdb, type TdbProcess } from '../support/tdb-process';
import { topicSize } from '../connectors/support';
import { bearer, http, openSse, PARIS, token, type SseClient } from './support';

jest.setTimeout(180_000);

const REPO = path.resolve(__dirname, '..', '..');
const MISSIONS_LOCALES = path.join(REPO, 'test', 'streams', 'fixtures', 'missions-locales.csv');
const RELATIONS = path.join(REPO, 'test', 'connectors', 'fixtures', 'relations-organismes.csv');
/** The attacker: responsable of 0010878Z in the relations fixture, of nothing else. */
const A = { uai: '0010070W', siret: '43937112100013' };
/** The victim. */
const B = { uai: '0010099C', siret: '77931002800013' };

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let children: TdbProcess[] = [];
let keyA: string;
let keyB: string;
let paris: Record<string, string>;
let stream: SseClient | undefined;

/** B's learner of Paris, whose contract was broken on 2025-03-03. */
const learner = (responsable: typeof A, extra: Record<string, unknown> = {}) => ({
  nom_apprenant: 'Moreau',
  prenom_apprenant: 'Inès',
  date_de_naissance_apprenant: '2006-02-20',
  annee_scolaire: '2024-2025',
  id_erp_apprenant: 'B-RUPTURE-1',
  date_inscription_formation: '2024-07-01',
  date_entree_formation: '2024-09-02',
  date_fin_formation: '2026-06-30',
  etablissement_responsable_uai: responsable.uai,
  etablissement_responsable_siret: responsable.siret,
  etablissement_formateur_uai: B.uai,
  etablissement_formateur_siret: B.siret,
  formation_cfd: '50022106',
  tel_apprenant: '06 22 33 44 55',
  code_postal_apprenant: '75011',
  code_commune_insee_apprenant: '75056',
  contrat_date_debut: '2024-09-09',
  contrat_date_fin: '2026-06-30',
  contrat_date_rupture: '2025-03-03',
  siret_employeur: '44306184100047',
  ...extra,
});
const INVENTED_CONTRACT = {
  contrat_date_debut_2: '2025-03-10',
  contrat_date_fin_2: '2026-06-30',
  siret_employeur_2: '44306184100047',
};

const push = (key: string, items: unknown[]) =>
  http(base, '/api/v3/dossiers-apprenants', { method: 'POST', json: items, headers: bearer(key) });

beforeAll(async () => {
  const env = {
    TDB_CLOCK: '2025-03-15',
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
    TDB_MISSIONS_LOCALES_CSV: MISSIONS_LOCALES,
    TDB_RELATIONS_ORGANISMES_CSV: RELATIONS,
  };
  platform = await createTestPlatform({
    ...env,
    TDB_API_RATE_LIMIT: '1000',
    TDB_ALERTES_SSE_HEARTBEAT_MS: '1000',
  });
  const { ctx, config } = platform;
  const childEnv = { ...env, TDB_NAMESPACE: config.TDB_NAMESPACE, TDB_PROCESSOR_TICK_MS: '1000' };
  children = [
    spawnTdb('processor', ['processor', 'run'], childEnv),
    spawnTdb('alert-inbox', ['alertes', 'run'], childEnv),
  ];
  await allJoined(children);
  app = await buildApp(ctx, { logger: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  const keys = redisApiKeyStore(ctx.redis, ctx.keys.apiKeys);
  keyA = (await keys.create({ ...A, erp: 'attaquant', now: ctx.clock.now() })).key;
  keyB = (await keys.create({ ...B, erp: 'victime', now: ctx.clock.now() })).key;
  paris = bearer(token(ctx, { role: 'mission_locale', scope: [PARIS.id], sub: 'ml-paris:conseiller' }));
});

afterAll(async () => {
  stream?.close();
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
  await app?.close();
  await platform?.cleanup();
});

test("key A cannot close B's Mission Locale alert with an invented contract (push or upload); B's own contract does", async () => {
  stream = openSse(`${base}/api/v1/missions-locales/${PARIS.id}/alertes/flux`, paris);
  expect(await stream.status).toBe(200);
  const s = stream;

  // 1. B's ruptured learner: an alert on Paris's stream.
  expect((await push(keyB, [learner(B)])).json().data[0].validation_errors).toEqual([]);
  await eventually(
    async () => s.events.length,
    (n) => n >= 1,
    20_000,
    20,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}\n${children.map((c) => `--- ${c.name}:\n${c.stderr().slice(-2000)}`).join('\n')}`,
    );
  });
  expect(s.events[0]).toMatchObject({
    event: 'alerte',
    data: { alerte: { etat: 'ouverte', organisme_uai: B.uai } },
  });
  const alerteId: string = s.events[0]!.data.alerte_id;

  // 2. The attack: A names itself responsable of B's formateur and adds a contract.
  const before = await topicSize(platform.ctx, 'changes');
  const forged = learner(A, { nom_apprenant: 'Usurpé', ...INVENTED_CONTRACT });
  const pushed = await push(keyA, [forged]);
  expect(pushed.status).toBe(403);
  expect(pushed.json()).toMatchObject({
    code: 'ORGANISME_NON_AUTORISE',
    champ: 'etablissement_formateur_uai',
  });
  const columns = Object.keys(forged);
  const csv = [
    columns.join(';'),
    columns.map((c) => String((forged as Record<string, unknown>)[c])).join(';'),
  ].join('\n');
  const form = new FormData();
  form.append('fichier', new Blob([Buffer.from(csv)]), 'nouveau-contrat.csv');
  const uploaded = await fetch(`${base}/api/v1/televersements`, {
    method: 'POST',
    headers: bearer(keyA),
    body: form,
  });
  const report = (await uploaded.json()) as {
    rapport: { statut: string; validation_errors: { code: string }[] }[];
  };
  expect(report.rapport[0]).toMatchObject({
    statut: 'rejete',
    validation_errors: [{ code: 'ORGANISME_NON_AUTORISE' }],
  });
  // Nothing reached the change topic (both answers come after the broker's acknowledgement)…
  expect(await topicSize(platform.ctx, 'changes')).toBe(before);
  // …so the alert stays open: several processor ticks and heartbeats later, no closure.
  await new Promise((r) => setTimeout(r, 4_000));
  expect(s.events.map((e) => e.event)).toEqual(['alerte']);
  const list = await http(base, `/api/v1/missions-locales/${PARIS.id}/alertes`, { headers: paris });
  expect(list.json().alertes.map((a: { alerte_id: string; etat: string }) => [a.alerte_id, a.etat])).toEqual([
    [alerteId, 'ouverte'],
  ]);

  // 3. The same contract sent by B itself closes the alert as NOUVEAU_CONTRAT.
  expect((await push(keyB, [learner(B, INVENTED_CONTRACT)])).status).toBe(200);
  await eventually(
    async () => s.events.find((e) => e.event === 'fermeture'),
    (e) => e !== undefined,
    20_000,
    20,
  );
  expect(s.events.find((e) => e.event === 'fermeture')!.data).toMatchObject({
    alerte_id: alerteId,
    alerte: { etat: 'fermee', code_fermeture: 'NOUVEAU_CONTRAT' },
  });
});
