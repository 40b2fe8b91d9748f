/**
 * Every kind of fault of shared/reference/real-world-faults.md, through the real pipeline (Kafka,
 * Redis, schema registry of an isolated namespace), each with the outcome it must have.
 */
import { createPipeline, type IngestResult, type Pipeline } from '../../connectors/core/pipeline';
import { applyMapping, loadMapping } from '../../connectors/mappings/mapping';
import { dayFromIso } from '../../streams/status/calendar';
import { createTestPlatform, eventually, ORGANISMES_CSV, type TestPlatform } from '../support/platform';
import { collectTopics, dossier, ORG_A, ORG_B, topicSize, type Decoded } from './support';

jest.setTimeout(120_000);

let platform: TestPlatform;
let pipeline: Pipeline;
let topics: Awaited<ReturnType<typeof collectTopics>>;

const ingest = (
  items: Record<string, unknown>[],
  extra: { snapshot?: boolean; connector?: string } = {},
): Promise<IngestResult> =>
  pipeline.ingest({
    connector: extra.connector ?? 'test',
    snapshot: extra.snapshot,
    items: items.map((input, i) => ({ input, location: `élément ${i + 1}` })),
  });
/** The change events of a record once at least n arrived. */
const changes = async (key: string, n = 1) =>
  (await topics.waitKey('changes', key, n)).map((m) => m.value as Decoded);
const key = (id: string, uai = ORG_A.uai) => `${uai}:2024-2025:${id}`;

beforeAll(async () => {
  platform = await createTestPlatform({ TDB_ORGANISMES_CSV: ORGANISMES_CSV });
  pipeline = createPipeline(platform.ctx);
  topics = await collectTopics(platform.ctx, ['changes', 'deadLetter', 'transmissions']);
});

afterAll(async () => {
  await topics?.stop();
  await pipeline?.close();
  await platform?.cleanup();
});

test('kind 1: the same learner with a birth date missing once, or names differing by spacing, case or accents, stays one record and one person', async () => {
  const first = await ingest([dossier({ id_erp_apprenant: 'K1' })]);
  expect(first.items[0]!.status).toBe('cree');
  const missing = await ingest([
    dossier({
      id_erp_apprenant: 'K1',
      date_de_naissance_apprenant: undefined,
      nom_apprenant: 'DUPONT ',
      prenom_apprenant: 'lea',
    }),
  ]);
  expect(missing.items[0]).toMatchObject({ status: 'inchange', record_key: key('K1') });
  expect(missing.items[0]!.warnings.map((w) => w.code)).toEqual(['DATE_NAISSANCE_ABSENTE']);
  const back = await ingest([dossier({ id_erp_apprenant: 'K1', nom_apprenant: 'Dupônt' })]);
  expect(back.items[0]!.status).toBe('inchange');
  // A real change while the birth date is missing keeps the person key.
  const changed = await ingest([
    dossier({ id_erp_apprenant: 'K1', date_de_naissance_apprenant: undefined, formation_cfd: '40022106' }),
  ]);
  expect(changed.items[0]!.status).toBe('modifie');
  const events = await changes(key('K1'), 2);
  expect(events.map((e) => e.operation)).toEqual(['CREATE', 'UPDATE']);
  expect(events[1]!.person_key).toBe(events[0]!.person_key);
  expect(events[1]!.changed_fields).toEqual(['formation_cfd']);
});

test("kind 2: ERP status codes are kept as information only; each ERP's meaning is in its mapping", async () => {
  const ypareo = applyMapping(loadMapping('ypareo'), {
    codeApprenant: 'K2-Y',
    nom: 'Martin',
    prenom: 'Hugo',
    dateNaissance: '12/04/2005',
    anneeScolaire: '2024/2025',
    etablissementResponsable: ORG_A,
    inscription: {
      dateInscription: '2024-07-01',
      dateDebut: '2024-09-02',
      dateFin: '2026-06-30',
      statut: { code: 0 },
    },
    contrats: [{ dateDebut: '2024-09-09', dateFin: '2026-06-30', dateRupture: '2025-01-15' }],
  });
  const gesti = applyMapping(loadMapping('gesti'), {
    NUM_APPRENANT: 'K2-G',
    NOM: 'Martin',
    PRENOM: 'Hugo',
    DATE_NAISSANCE: '12/04/2005',
    ANNEE_SCOLAIRE: '2024-2025',
    UAI_RESPONSABLE: ORG_A.uai,
    SIRET_RESPONSABLE: ORG_A.siret,
    UAI_FORMATEUR: ORG_A.uai,
    SIRET_FORMATEUR: ORG_A.siret,
    DATE_INSCRIPTION: '01/07/2024',
    DATE_ENTREE: '02/09/2024',
    DATE_FIN: '30/06/2026',
    STATUT: '2',
    CONTRAT1_DEBUT: '09/09/2024',
    CONTRAT1_FIN: '30/06/2026',
    CONTRAT1_RUPTURE: '15/01/2025',
  });
  const r = await ingest([
    ypareo,
    gesti,
    dossier({
      id_erp_apprenant: 'K2-V3',
      statut_apprenant: 3,
      contrat_date_debut: undefined,
      contrat_date_fin: undefined,
      siret_employeur: undefined,
    }),
  ]);
  expect(r.items.map((o) => o.status)).toEqual(['cree', 'cree', 'cree']);
  const [y] = await changes(key('K2-Y'));
  const [g] = await changes(key('K2-G'));
  const [v] = await changes(key('K2-V3'));
  expect([y!.after.statut_apprenant, y!.after.custom_statut_apprenant]).toEqual([
    0,
    'Yparéo 0 : sorti après rupture',
  ]);
  expect([g!.after.statut_apprenant, g!.after.custom_statut_apprenant]).toEqual([
    null,
    'Gesti 2 : rupturant en formation',
  ]);
  // Same dates, same contract: the status the processor derives will be the same for both.
  expect(g!.after.contrats).toEqual(y!.after.contrats);
  expect(y!.after.contrats[0].date_rupture).toBe(dayFromIso('2025-01-15'));
  // "3 = apprenti" without any contract is accepted as sent: the code is not trusted.
  expect([v!.after.statut_apprenant, v!.after.contrats]).toEqual([3, []]);
});

test('kind 3: codes in the wrong shape are normalised when unambiguous, dropped with a warning naming the field otherwise (never the record)', async () => {
  const r = await ingest([
    dossier({
      id_erp_apprenant: 'K3-OK',
      formation_cfd: 1025002,
      formation_rncp: 34567,
      etablissement_formateur_siret: '439.371.121.00013',
      code_commune_insee_apprenant: 1053,
    }),
    dossier({ id_erp_apprenant: 'K3-ZERO', formation_cfd: '00000000', formation_rncp: 'RNCP00000' }),
    dossier({ id_erp_apprenant: 'K3-BAD', formation_cfd: 'CAP-123' }),
  ]);
  expect(r.items.map((o) => o.status)).toEqual(['cree', 'cree', 'cree']);
  expect(r.items[2]!.warnings).toEqual([
    {
      code: 'VALEUR_INVALIDE_IGNOREE',
      path: 'formation_cfd',
      message:
        'formation_cfd : code formation diplôme attendu (8 caractères, lettres majuscules ou chiffres), reçu "CAP-123" ; valeur ignorée',
    },
  ]);
  const ok = (await changes(key('K3-OK')))[0]!.after;
  expect([
    ok.formation_cfd,
    ok.formation_rncp,
    ok.etablissement_formateur_siret,
    ok.code_commune_insee_apprenant,
  ]).toEqual(['01025002', 'RNCP34567', ORG_A.siret, '01053']);
  const zero = (await changes(key('K3-ZERO')))[0]!.after;
  expect([zero.formation_cfd, zero.formation_rncp]).toEqual([null, null]);
  expect(zero.avertissements).toEqual([
    'CODE_FICTIF_IGNORE:formation_cfd',
    'CODE_FICTIF_IGNORE:formation_rncp',
  ]);
  const bad = (await changes(key('K3-BAD')))[0]!.after;
  expect([bad.formation_cfd, bad.avertissements]).toEqual([null, ['VALEUR_INVALIDE_IGNOREE:formation_cfd']]);
});

test('kind 4: an organisation pair out of the referential is flagged, a wrong check digit is rejected naming the field', async () => {
  const site = { uai: '0751234J', siret: '12345678901237' }; // valid identifiers, not in organismes.csv
  const r = await ingest([
    dossier({
      id_erp_apprenant: 'K4-SITE',
      etablissement_formateur_uai: site.uai,
      etablissement_formateur_siret: site.siret,
    }),
    dossier({ id_erp_apprenant: 'K4-BAD', etablissement_responsable_uai: '0010070A' }),
  ]);
  expect(r.items.map((o) => o.status)).toEqual(['cree', 'rejete']);
  expect(r.items[0]!.warnings).toEqual([
    expect.objectContaining({ code: 'ORGANISME_HORS_REFERENTIEL', path: 'etablissement_formateur_uai' }),
  ]);
  expect(r.items[1]!.errors).toEqual([
    expect.objectContaining({ code: 'UAI_CLE_INVALIDE', path: 'etablissement_responsable_uai' }),
  ]);
  expect((await changes(key('K4-SITE', site.uai)))[0]!.after.avertissements).toEqual([
    'ORGANISME_HORS_REFERENTIEL:etablissement_formateur_uai',
  ]);
});

test('kind 5: impossible dates: warnings for what the status engine ignores, an error for an end before the start', async () => {
  const r = await ingest([
    dossier({ id_erp_apprenant: 'K5-AVANT', contrat_date_debut: '2024-08-15' }),
    dossier({ id_erp_apprenant: 'K5-RUPT', contrat_date_rupture: '2024-09-01' }),
    dossier({ id_erp_apprenant: 'K5-FIN', date_fin_formation: '2024-06-30' }),
    dossier({ id_erp_apprenant: 'K5-FUTUR', contrat_date_rupture: '2031-01-01' }),
  ]);
  expect(r.items.map((o) => o.status)).toEqual(['cree', 'cree', 'rejete', 'cree']);
  expect(r.items[0]!.warnings.map((w) => `${w.code}:${w.path}`)).toEqual([
    'CONTRAT_AVANT_ENTREE:contrat_date_debut',
  ]);
  expect(r.items[1]!.warnings.map((w) => `${w.code}:${w.path}`)).toEqual([
    'RUPTURE_AVANT_DEBUT_CONTRAT:contrat_date_rupture',
  ]);
  expect(r.items[2]!.errors).toEqual([
    {
      code: 'FIN_AVANT_ENTREE',
      path: 'date_fin_formation',
      message:
        "date_fin_formation (2024-06-30) est antérieure à date_entree_formation (2024-09-02) : corrigez l'une des deux dates",
    },
  ]);
  // A future rupture is kept as sent: the status at a date is evaluated at the query date.
  expect((await changes(key('K5-FUTUR')))[0]!.after.contrats[0].date_rupture).toBe(dayFromIso('2031-01-01'));
  expect((await changes(key('K5-RUPT')))[0]!.after.contrats[0].date_rupture).toBe(dayFromIso('2024-09-01'));
});

test('kind 6: a contract ending naturally before the training end, or two contracts one day apart, are passed on as dates (no rupture invented)', async () => {
  const r = await ingest([
    dossier({ id_erp_apprenant: 'K6-FIN', contrat_date_fin: '2026-05-15' }),
    dossier({
      id_erp_apprenant: 'K6-GAP',
      contrat_date_fin: '2025-06-30',
      contrat_date_debut_2: '2025-07-02',
      contrat_date_fin_2: '2026-06-30',
      siret_employeur_2: '44306184100047',
    }),
  ]);
  expect(r.items.map((o) => [o.status, o.warnings])).toEqual([
    ['cree', []],
    ['cree', []],
  ]);
  expect((await changes(key('K6-FIN')))[0]!.after.contrats).toEqual([
    {
      date_debut: dayFromIso('2024-09-09'),
      date_fin: dayFromIso('2026-05-15'),
      date_rupture: null,
      cause_rupture: null,
      siret_employeur: '44306184100047',
    },
  ]);
  expect(
    (await changes(key('K6-GAP')))[0]!.after.contrats.map(
      (c: { date_rupture: number | null }) => c.date_rupture,
    ),
  ).toEqual([null, null]);
});

test('kind 7: dates as DD/MM/YYYY, Excel serial numbers and date-times give the same day', async () => {
  const r = await ingest([
    dossier({ id_erp_apprenant: 'K7-ISO' }),
    dossier({
      id_erp_apprenant: 'K7-FR',
      date_entree_formation: '02/09/2024',
      date_de_naissance_apprenant: '12/04/2005',
    }),
    dossier({
      id_erp_apprenant: 'K7-XL',
      date_entree_formation: 45537,
      date_de_naissance_apprenant: '38454',
    }),
    dossier({ id_erp_apprenant: 'K7-TZ', date_entree_formation: '2024-09-01T22:00:00.000Z' }),
  ]);
  expect(r.items.every((o) => o.status === 'cree')).toBe(true);
  for (const id of ['K7-ISO', 'K7-FR', 'K7-XL', 'K7-TZ']) {
    const after = (await changes(key(id)))[0]!.after;
    expect([id, after.date_entree_formation, after.age_entree_formation]).toEqual([
      id,
      dayFromIso('2024-09-02'),
      19,
    ]);
  }
});

test('kind 8: a learner missing from the next full snapshot emits NOT_TRANSMITTED (a signal, not a dropout); other organisations are untouched', async () => {
  const a = (id: string) => dossier({ id_erp_apprenant: id });
  const b = (id: string) =>
    dossier({
      id_erp_apprenant: id,
      etablissement_formateur_uai: ORG_B.uai,
      etablissement_formateur_siret: ORG_B.siret,
      etablissement_responsable_uai: ORG_B.uai,
      etablissement_responsable_siret: ORG_B.siret,
    });
  await ingest([a('K8-1'), a('K8-2'), a('K8-3')], { snapshot: true, connector: 'gesti' });
  await ingest([b('K8-B1')], { snapshot: true, connector: 'gesti' });
  const second = await ingest([a('K8-1'), a('K8-3')], { snapshot: true, connector: 'gesti' });
  expect(second.non_transmis).toBe(1);
  expect(second.items.map((o) => o.status)).toEqual(['inchange', 'inchange']);
  const events = await changes(key('K8-2'), 2);
  expect(events.map((e) => [e.operation, e.version, e.after])).toEqual([
    ['CREATE', 1, expect.anything()],
    ['NOT_TRANSMITTED', 2, null],
  ]);
  expect((await changes(key('K8-B1', ORG_B.uai))).map((e) => e.operation)).toEqual(['CREATE']);
  // Still missing the next night: no second signal. Back the night after: an UPDATE (transmitted again).
  expect((await ingest([a('K8-1'), a('K8-3')], { snapshot: true, connector: 'gesti' })).non_transmis).toBe(0);
  const back = await ingest([a('K8-1'), a('K8-2'), a('K8-3')], { snapshot: true, connector: 'gesti' });
  expect(back.items.map((o) => o.status)).toEqual(['inchange', 'modifie', 'inchange']);
  expect((await changes(key('K8-2'), 3)).map((e) => [e.operation, e.version])).toEqual([
    ['CREATE', 1],
    ['NOT_TRANSMITTED', 2],
    ['UPDATE', 3],
  ]);
  // The report of the snapshot counts it; an organisation that stops sending has no report at all.
  const report = await eventually(
    async () => topics.messages.transmissions!.find((m) => m.value.batch_id === second.batch_id),
    (r) => r !== undefined,
  );
  expect(report!.value).toMatchObject({ organisme_uai: ORG_A.uai, recus: 2, inchanges: 2, non_transmis: 1 });
});

test('kind 9: a pupil under school status is kept out of apprenticeship counts (apprentissage = false)', async () => {
  const r = await ingest([
    dossier({ id_erp_apprenant: 'K9-SCO', custom_statut_apprenant: 'Élève sous statut scolaire' }),
    dossier({ id_erp_apprenant: 'K9-LYC', custom_statut_apprenant: 'LYCEEN' }),
    dossier({ id_erp_apprenant: 'K9-APP', custom_statut_apprenant: 'Apprenti' }),
    dossier({ id_erp_apprenant: 'K9-ETU', custom_statut_apprenant: 'étudiant apprenti' }),
  ]);
  expect(r.items[0]!.warnings.map((w) => w.code)).toEqual(['NON_APPRENTI']);
  const apprentissage = [];
  for (const id of ['K9-SCO', 'K9-LYC', 'K9-APP', 'K9-ETU'])
    apprentissage.push((await changes(key(id)))[0]!.after.apprentissage);
  expect(apprentissage).toEqual([false, false, true, true]);
});

test('kind 10: a bulk resend of unchanged records produces no event and never double-counts', async () => {
  const base = Array.from({ length: 300 }, (_, i) => dossier({ id_erp_apprenant: `K10-${i}` }));
  const first = await ingest(base);
  expect(first.items.filter((o) => o.status === 'cree')).toHaveLength(300);
  await changes(key('K10-299'));
  const before = await topicSize(platform.ctx, 'changes');
  const again = await ingest(
    base.map((d) => ({ ...d, date_metier_mise_a_jour_statut: '2025-03-01T08:00:00Z' })),
  );
  expect(again.reports[0]).toMatchObject({
    recus: 300,
    acceptes: 300,
    inchanges: 300,
    crees: 0,
    modifies: 0,
  });
  // The same record twice in one transmission: one event.
  const twice = await ingest([
    dossier({ id_erp_apprenant: 'K10-T' }),
    dossier({ id_erp_apprenant: 'K10-T' }),
  ]);
  expect(twice.items.map((o) => o.status)).toEqual(['cree', 'inchange']);
  expect(await topicSize(platform.ctx, 'changes')).toBe(before + 1);
});
