/**
 * Time-driven transitions and dropout alerts with a moving clock (TDB_CLOCK=file:…): the processor
 * runs in-process; the test rewrites the clock file and checks that transitions (cause
 * ELAPSED_TIME) and alerts appear on their day and not before, reach the right Mission Locale with
 * the right priority, never for false ruptures, never twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openIdentite } from '../../schemas/identite';
import { createConsumer, type Consumer } from '../../infra/kafka/client';
import type { DropoutAlert } from '../../schemas/generated/DropoutAlert';
import type { LearnerStatusTransition } from '../../schemas/generated/LearnerStatusTransition';
import { startProcessor, type ProcessorHandle } from '../../streams/processor/run';
import { dayFromIso as d } from '../../streams/status/calendar';
import { createTestPlatform, eventually, ORGANISMES_CSV, type TestPlatform } from '../support/platform';
import {
  changeEvent,
  imageDeps,
  imageFromV3,
  produceChanges,
  recordKeyOf,
  type DossierApprenant,
} from './support/changes';

const clockFile = path.join(os.tmpdir(), `tdb-clock-${process.pid}-${Date.now()}`);
let platform: TestPlatform;
let processor: ProcessorHandle;
let reader: Consumer;
const alerts: DropoutAlert[] = [];
const transitions: LearnerStatusTransition[] = [];
const images: Record<string, DossierApprenant> = {};
const keyOf: Record<string, string> = {};

type V3 = Record<string, unknown>;
function learner(name: string, v3: V3): V3 {
  const org = platform.ctx.organismes.all.find((o) => o.nature !== 'responsable')!;
  return {
    nom_apprenant: 'Durand',
    prenom_apprenant: name,
    annee_scolaire: '2024-2025',
    id_erp_apprenant: name,
    date_inscription_formation: '2024-06-01',
    date_entree_formation: '2024-09-02',
    date_fin_formation: '2026-06-30',
    etablissement_responsable_uai: org.uai,
    etablissement_responsable_siret: org.siret,
    etablissement_formateur_uai: org.uai,
    etablissement_formateur_siret: org.siret,
    tel_apprenant: '0611223344',
    ...v3,
  };
}

/** Moves the clock and waits until the processor's scheduler ran twice since. */
async function moveClockTo(day: string): Promise<void> {
  fs.writeFileSync(clockFile, day);
  const start = processor.ticks();
  await eventually(
    async () => processor.ticks(),
    (n) => n >= start + 2,
    20_000,
    50,
  );
}

const alertsOf = (name: string) => alerts.filter((a) => a.record_key === keyOf[name]);
const transitionsOf = (name: string) =>
  transitions
    .filter((t) => t.record_key === keyOf[name])
    .map((t) => `${t.from ?? '∅'}→${t.to}@${t.effective_date}/${t.cause}`);

beforeAll(async () => {
  fs.writeFileSync(clockFile, '2024-09-01');
  platform = await createTestPlatform({
    TDB_CLOCK: `file:${clockFile}`,
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
    TDB_MISSIONS_LOCALES_CSV: path.join(__dirname, 'fixtures', 'missions-locales.csv'),
    TDB_PROCESSOR_TICK_MS: '150',
  });
  const { ctx } = platform;
  const learners: Record<string, V3> = {
    // No contract: INSCRIT warning on day 61 (2024-11-01), ABANDON on day 91 (2024-12-01). A minor, in Paris.
    inscrit: learner('inscrit', {
      date_de_naissance_apprenant: '2007-05-10',
      code_commune_insee_apprenant: '75056',
    }),
    // A contract broken on 2024-10-15 (a future date when received). 20 years old, in Lyon 3e (an arrondissement).
    rupture: learner('rupture', {
      date_de_naissance_apprenant: '2004-03-03',
      code_commune_insee_apprenant: '69383',
      contrat_date_debut: '2024-09-02',
      contrat_date_fin: '2026-06-30',
      contrat_date_rupture: '2024-10-15',
      siret_employeur: '44306184100047',
    }),
    // Kind 6: a one-day gap between two contracts at the same employer (RUPTURANT on 2024-10-15 only).
    faux_trou: learner('faux_trou', {
      date_de_naissance_apprenant: '2005-01-01',
      code_commune_insee_apprenant: '13055',
      contrat_date_debut: '2024-09-02',
      contrat_date_fin: '2024-10-14',
      siret_employeur: '44306184100047',
      contrat_date_debut_2: '2024-10-16',
      contrat_date_fin_2: '2026-06-30',
      siret_employeur_2: '44306184100047',
    }),
    // Kind 6: a contract ending naturally one month before the training end.
    fin_naturelle: learner('fin_naturelle', {
      date_de_naissance_apprenant: '2005-01-01',
      code_commune_insee_apprenant: '13055',
      date_fin_formation: '2025-06-30',
      contrat_date_debut: '2024-09-02',
      contrat_date_fin: '2025-05-31',
    }),
    // Already RUPTURANT on arrival, 30 years old with RQTH, in Bordeaux (known by its postcode only), a commune without Mission Locale in the referential.
    rqth: learner('rqth', {
      date_de_naissance_apprenant: '1994-01-01',
      rqth_apprenant: true,
      code_postal_apprenant: '33000',
      date_entree_formation: '2023-09-01',
      contrat_date_debut: '2023-09-01',
      contrat_date_fin: '2025-06-30',
      contrat_date_rupture: '2024-08-01',
    }),
    // The same, without RQTH: too old for an alert.
    trop_age: learner('trop_age', {
      date_de_naissance_apprenant: '1994-01-01',
      code_commune_insee_apprenant: '33063',
      date_entree_formation: '2023-09-01',
      contrat_date_debut: '2023-09-01',
      contrat_date_fin: '2025-06-30',
      contrat_date_rupture: '2024-08-01',
    }),
  };
  for (const [name, v3] of Object.entries(learners)) {
    images[name] = imageFromV3(v3, imageDeps(ctx));
    keyOf[name] = recordKeyOf(images[name]!);
  }
  const codec = await ctx.codec();
  reader = createConsumer(ctx.kafka, { groupId: `${ctx.config.TDB_NAMESPACE}.reader`, maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topics: [ctx.topics.alerts, ctx.topics.transitions], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === ctx.topics.alerts) alerts.push(await codec.decode<DropoutAlert>(message.value!));
      else transitions.push(await codec.decode<LearnerStatusTransition>(message.value!));
    },
  });
  processor = await startProcessor(ctx);
  await produceChanges(
    ctx,
    Object.values(images).map((i) => changeEvent('CREATE', 1, i)),
  );
  await eventually(
    async () => transitions.length,
    (n) => n >= 6,
    30_000,
  );
}, 120_000);

afterAll(async () => {
  await reader?.disconnect();
  await processor?.stop();
  await platform?.cleanup();
  fs.rmSync(clockFile, { force: true });
});

test('on arrival: new data announces each status; only the eligible rupturant is alerted, to the unassigned queue of its département', async () => {
  expect(transitionsOf('rqth')).toEqual([`∅→RUPTURANT@${d('2024-08-01')}/NEW_DATA`]);
  await eventually(
    async () => alertsOf('rqth').length,
    (n) => n === 1,
  );
  expect(alertsOf('rqth')[0]).toMatchObject({
    motif: 'RUPTURE',
    statut: 'RUPTURANT',
    depuis: d('2024-08-01'),
    mission_locale_id: 'unassigned-33',
    code_commune_insee: '33063',
    rqth: true,
    mineur: false,
    rupture_recente: true,
    age: 30,
  });
  expect(alerts.map((a) => a.record_key)).toEqual([keyOf.rqth]);
});

test('a rupture announced in advance becomes a transition and an alert on its day, not before', async () => {
  // Before its training starts, a learner is INSCRIT (status-rules.md: INSCRIT before the first entry).
  expect(transitionsOf('rupture')).toEqual([`∅→INSCRIT@${d('2024-09-01')}/NEW_DATA`]);
  await moveClockTo('2024-10-14');
  expect(transitionsOf('rupture')).toEqual([
    `∅→INSCRIT@${d('2024-09-01')}/NEW_DATA`,
    `INSCRIT→APPRENTI@${d('2024-09-02')}/ELAPSED_TIME`,
  ]);
  expect(alertsOf('rupture')).toEqual([]);
  await moveClockTo('2024-10-15');
  await eventually(
    async () => alertsOf('rupture').length,
    (n) => n === 1,
  );
  expect(transitionsOf('rupture')[2]).toBe(`APPRENTI→RUPTURANT@${d('2024-10-15')}/ELAPSED_TIME`);
  const a = alertsOf('rupture')[0]!;
  expect(a).toMatchObject({
    motif: 'RUPTURE',
    depuis: d('2024-10-15'),
    mission_locale_id: 'ML-69-LYON',
    mission_locale_nom: 'Mission Locale de Lyon',
    code_commune_insee: '69383',
    departement: '69',
    age: 20,
    mineur: false,
    rqth: false,
    rupture_recente: true,
  });
  // The identity the connectors seal (names as sent, the phone in E.164), its contact subset.
  expect(openIdentite(platform.ctx.secrets.dataKey, a.contact_chiffre)).toMatchObject({
    nom: 'Durand',
    prenom: 'rupture',
    tel_apprenant: '+33611223344',
    ine: null,
  });
});

test('false rupture: a one-day gap between two contracts at the same employer is announced but raises no alert', async () => {
  await moveClockTo('2024-10-16');
  await eventually(
    async () => transitionsOf('faux_trou').length,
    (n) => n === 4,
  );
  expect(transitionsOf('faux_trou').slice(2)).toEqual([
    `APPRENTI→RUPTURANT@${d('2024-10-15')}/ELAPSED_TIME`,
    `RUPTURANT→APPRENTI@${d('2024-10-16')}/ELAPSED_TIME`,
  ]);
  expect(alertsOf('faux_trou')).toEqual([]);
});

test('INSCRIT without contract: the early warning on day 61, ABANDON on day 91, to the Paris Mission Locale as a minor', async () => {
  await moveClockTo('2024-10-31');
  expect(alertsOf('inscrit')).toEqual([]);
  await moveClockTo('2024-11-01');
  await eventually(
    async () => alertsOf('inscrit').length,
    (n) => n === 1,
  );
  expect(alertsOf('inscrit')[0]).toMatchObject({
    motif: 'INSCRIT_SANS_CONTRAT',
    statut: 'INSCRIT',
    depuis: d('2024-09-02'),
    mission_locale_id: 'ML-75-PARIS',
    mineur: true,
    age: 17,
    rupture_recente: false,
  });
  await moveClockTo('2024-11-30');
  expect(alertsOf('inscrit')).toHaveLength(1);
  expect(transitionsOf('inscrit')).toEqual([`∅→INSCRIT@${d('2024-09-01')}/NEW_DATA`]);
  await moveClockTo('2024-12-01');
  await eventually(
    async () => alertsOf('inscrit').length,
    (n) => n === 2,
  );
  expect(alertsOf('inscrit')[1]).toMatchObject({
    motif: 'ABANDON',
    statut: 'ABANDON',
    depuis: d('2024-12-01'),
    mission_locale_id: 'ML-75-PARIS',
    mineur: true,
  });
  expect(transitionsOf('inscrit')).toEqual([
    `∅→INSCRIT@${d('2024-09-01')}/NEW_DATA`,
    `INSCRIT→ABANDON@${d('2024-12-01')}/ELAPSED_TIME`,
  ]);
  const [row] = await platform.ctx.clickhouse.query<{ statut_en_cours: string }>(
    `SELECT statut_en_cours FROM ${platform.ctx.clickhouse.database}.dossiers FINAL WHERE record_key = '${keyOf.inscrit}'`,
  );
  expect(row?.statut_en_cours).toBe('ABANDON');
});

test('a rupturant without a new contract becomes ABANDON on gap day 181, alerted without the recent-rupture priority', async () => {
  await moveClockTo('2025-04-12');
  expect(alertsOf('rupture')).toHaveLength(1);
  await moveClockTo('2025-04-13');
  await eventually(
    async () => alertsOf('rupture').length,
    (n) => n === 2,
  );
  expect(transitionsOf('rupture')[3]).toBe(`RUPTURANT→ABANDON@${d('2025-04-13')}/ELAPSED_TIME`);
  expect(alertsOf('rupture')[1]).toMatchObject({
    motif: 'ABANDON',
    rupture_recente: false,
    mission_locale_id: 'ML-69-LYON',
  });
});

test('false rupture: a contract ending naturally a month before the exam is FIN_DE_FORMATION, no alert', async () => {
  await moveClockTo('2025-06-01');
  await eventually(
    async () => transitionsOf('fin_naturelle').at(-1),
    (t) => t === `APPRENTI→FIN_DE_FORMATION@${d('2025-06-01')}/ELAPSED_TIME`,
  );
  expect(alertsOf('fin_naturelle')).toEqual([]);
  expect(alertsOf('trop_age')).toEqual([]);
});

test('no alert twice: resending a record and moving time again add nothing; a new contract closes with a transition', async () => {
  const before = alerts.length;
  const applied = processor.totals.applied;
  const renewed: DossierApprenant = {
    ...images.rupture!,
    contrats: [
      ...images.rupture!.contrats,
      {
        date_debut: d('2025-06-02'),
        date_fin: d('2026-06-30'),
        date_rupture: null,
        cause_rupture: null,
        siret_employeur: '44306184100047',
      },
    ],
  };
  await produceChanges(platform.ctx, [
    changeEvent('UPDATE', 2, images.rupture!),
    changeEvent('UPDATE', 3, renewed),
  ]);
  await eventually(
    async () => processor.totals.applied,
    (n) => n === applied + 2,
  );
  await moveClockTo('2025-06-02');
  await eventually(
    async () => transitionsOf('rupture').at(-1),
    (t) => t === `ABANDON→APPRENTI@${d('2025-06-02')}/ELAPSED_TIME`,
  );
  await moveClockTo('2025-06-03');
  expect(alerts.length).toBe(before);
  expect(new Set(alerts.map((a) => a.alert_id)).size).toBe(alerts.length);
});
