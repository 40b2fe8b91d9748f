/** The processor's per-record logic (pure): versions, operations, transitions, schedule. */
import { randomBytes } from 'node:crypto';
import { emptyMissionsLocales } from '../../streams/alerts/missions-locales';
import { generateOrganismes } from '../../streams/referentiels/organismes';
import { loadTerritoires } from '../../streams/referentiels/territoires';
import { dossierRow } from '../../streams/processor/facts';
import {
  advanceTime,
  applyChange,
  emptyOutputs,
  transitionId,
  type LearnerEnv,
} from '../../streams/processor/learner';
import { contributionOf, decodeState, encodeState } from '../../streams/processor/state';
import { nextDueDay } from '../../streams/scheduler/due';
import { dayFromIso as d } from '../../streams/status/calendar';
import { changeEvent, imageFromV3 } from './support/changes';

const territoires = loadTerritoires();
const organismes = generateOrganismes(5, territoires);
const key = randomBytes(32);
const org = organismes.all[0]!;
const env = (today: string, announce = true): LearnerEnv => ({
  today: d(today),
  nowMs: Date.UTC(2024, 9, 1),
  refs: { territoires, organismes },
  alerts: {
    inscritJours: 60,
    ruptureGraceJours: 7,
    missionsLocales: emptyMissionsLocales(),
    dataKey: key,
    departementOfCommune: (c) => territoires.departementOfCommune(c),
  },
  announce,
});
const image = (v3: Record<string, unknown> = {}) =>
  imageFromV3(
    {
      nom_apprenant: 'Petit',
      prenom_apprenant: 'Hugo',
      date_de_naissance_apprenant: '2006-02-02',
      annee_scolaire: '2024-2025',
      id_erp_apprenant: 'A1',
      date_inscription_formation: '2024-06-01',
      date_entree_formation: '2024-09-02',
      date_fin_formation: '2026-06-30',
      etablissement_responsable_uai: org.uai,
      etablissement_responsable_siret: org.siret,
      etablissement_formateur_uai: org.uai,
      etablissement_formateur_siret: org.siret,
      code_commune_insee_apprenant: '38185',
      ...v3,
    },
    { dataKey: key, organismes, territoires },
  );

test('CREATE announces the status today; an UPDATE that breaks the contract announces RUPTURANT from its date', () => {
  const out = emptyOutputs();
  const withContract = image({ contrat_date_debut: '2024-09-10', contrat_date_fin: '2026-06-30' });
  const s1 = applyChange(null, changeEvent('CREATE', 1, withContract), 3, env('2024-10-01'), out);
  expect(s1).toMatchObject({ v: 1, part: 3, statut: 'APPRENTI', t: d('2024-10-01') });
  expect(out.transitions.map((t) => [t.from, t.to, t.effective_date, t.cause])).toEqual([
    [null, 'APPRENTI', d('2024-09-10'), 'NEW_DATA'],
  ]);
  const broken = image({
    contrat_date_debut: '2024-09-10',
    contrat_date_fin: '2026-06-30',
    contrat_date_rupture: '2024-11-04',
  });
  const s2 = applyChange(s1, changeEvent('UPDATE', 2, broken), 3, env('2024-11-20'), out);
  expect(out.transitions.slice(1).map((t) => [t.from, t.to, t.effective_date, t.cause])).toEqual([
    ['APPRENTI', 'RUPTURANT', d('2024-11-04'), 'NEW_DATA'],
  ]);
  expect(out.alerts).toHaveLength(1);
  expect(out.alerts[0]).toMatchObject({
    motif: 'RUPTURE',
    mission_locale_id: 'unassigned-38',
    age: 18,
    mineur: false,
  });
  expect(s2.alerts).toEqual([out.alerts[0]!.alert_id]);
  expect(s1.alerts).toEqual([]); // the previous state is not modified
});

test('NOT_TRANSMITTED is a transmission signal: the contribution to the counts is unchanged, the dossiers row says it', () => {
  const out = emptyOutputs();
  const s1 = applyChange(null, changeEvent('CREATE', 1, image()), 0, env('2024-10-01'), out);
  const s2 = applyChange(s1, changeEvent('NOT_TRANSMITTED', 2, image()), 0, env('2024-10-01'), out);
  expect(contributionOf(s2)).toEqual(contributionOf(s1));
  expect(s2.v).toBe(2);
  expect(dossierRow('k', s2, d('2024-10-01'), 0)).toMatchObject({
    operation: 'NOT_TRANSMITTED',
    deleted: 0,
    version: 2,
    statut_en_cours: 'INSCRIT',
  });
  expect(out.transitions).toHaveLength(1);
});

test('DELETE removes the contribution and the identity from the dossiers row', () => {
  const out = emptyOutputs();
  const s1 = applyChange(null, changeEvent('CREATE', 1, image()), 0, env('2024-10-01'), out);
  const s2 = applyChange(s1, changeEvent('DELETE', 2, null, { recordKey: 'k' }), 0, env('2024-10-01'), out);
  expect(contributionOf(s2)).toBeNull();
  expect(dossierRow('k', s2, d('2024-10-01'), 0)).toMatchObject({
    operation: 'DELETE',
    deleted: 1,
    identite_chiffree: '',
  });
  expect(nextDueDay(s2, d('2024-10-01'), 60)).toBeNull();
});

test('an image the status engine refuses is rejected naming the field; the facts stay those of the last valid version', () => {
  // The connectors reject such records: these images come from another producer (altered after
  // normalisation).
  const out = emptyOutputs();
  const s1 = applyChange(null, changeEvent('CREATE', 1, image()), 0, env('2024-10-01'), out);
  const s2 = applyChange(
    s1,
    changeEvent('UPDATE', 2, { ...image(), date_fin_formation: d('2024-01-01') }),
    0,
    env('2024-10-01'),
    out,
  );
  expect(out.rejected[0]!.errors).toEqual([
    expect.objectContaining({ code: 'FIN_AVANT_ENTREE', path: 'date_fin_formation' }),
  ]);
  expect(contributionOf(s2)).toEqual(contributionOf(s1));
  const s3 = applyChange(
    null,
    changeEvent('CREATE', 1, {
      ...image(),
      date_entree_formation: d('1969-09-01'),
      date_fin_formation: d('1970-06-30'),
    }),
    0,
    env('2024-10-01'),
    out,
  );
  expect(out.rejected[1]!.errors[0]).toMatchObject({
    code: 'DATE_HORS_LIMITES',
    path: 'date_entree_formation',
  });
  expect(contributionOf(s3)).toBeNull();
});

test('time alone: every change passed is announced once, in order, with its own day; the schedule points at the next one', () => {
  const out = emptyOutputs();
  const s = applyChange(null, changeEvent('CREATE', 1, image()), 0, env('2024-09-02'), out);
  expect(nextDueDay(s, d('2024-09-02'), 60)).toBe(d('2024-11-01')); // the INSCRIT warning comes before ABANDON
  advanceTime('k', s, env('2025-01-01'), out);
  expect(out.transitions.slice(1).map((t) => [t.from, t.to, t.effective_date, t.cause])).toEqual([
    ['INSCRIT', 'ABANDON', d('2024-12-01'), 'ELAPSED_TIME'],
  ]);
  expect(nextDueDay(s, d('2025-01-01'), 60)).toBeNull(); // ABANDON to the training end, nothing more
  advanceTime('k', s, env('2025-01-02'), out);
  expect(out.transitions).toHaveLength(2);
});

test('a replay records the alerts as decided without emitting them', () => {
  const out = emptyOutputs();
  const s = applyChange(
    null,
    changeEvent('CREATE', 1, image({ date_entree_formation: '2024-01-08' })),
    0,
    env('2024-10-01', false),
    out,
  );
  expect(s.statut).toBe('ABANDON');
  expect(s.alerts).toHaveLength(1);
  expect(out.alerts).toEqual([]);
});

test('transition ids are deterministic and differ by previous status, new status and day', () => {
  expect(transitionId('k', 'APPRENTI', 'RUPTURANT', 100)).toBe(
    transitionId('k', 'APPRENTI', 'RUPTURANT', 100),
  );
  const ids = new Set([
    transitionId('k', 'APPRENTI', 'RUPTURANT', 100),
    transitionId('k', null, 'RUPTURANT', 100),
    transitionId('k', 'APPRENTI', 'ABANDON', 100),
    transitionId('k', 'APPRENTI', 'RUPTURANT', 101),
    transitionId('k2', 'APPRENTI', 'RUPTURANT', 100),
  ]);
  expect(ids.size).toBe(5);
});

test('the compact state encoding round-trips', () => {
  const out = emptyOutputs();
  const s = applyChange(
    null,
    changeEvent(
      'CREATE',
      1,
      image({
        contrat_date_debut: '2024-09-10',
        contrat_date_fin: '2026-06-30',
        contrat_date_rupture: '2024-11-04',
      }),
    ),
    2,
    env('2024-12-01'),
    out,
  );
  expect(s.alerts).toHaveLength(1);
  expect(decodeState(encodeState(s))).toEqual(s);
  expect(encodeState(s).length).toBeLessThan(JSON.stringify(s).length * 0.8);
  expect(decodeState(null)).toBeNull();
  expect(() => decodeState('{"v":1}')).toThrow(/unknown learner state format/);
});
