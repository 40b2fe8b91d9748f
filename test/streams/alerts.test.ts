/** Dropout alert rules (pure): candidates, false ruptures, eligibility, priority, routing, the referential. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { identiteApprenant, openIdentite, sealIdentite } from '../../schemas/identite';
import {
  loadMissionsLocales,
  MissionsLocalesError,
  parseMissionsLocales,
} from '../../streams/alerts/missions-locales';
import {
  alertCandidate,
  alertId,
  buildAlert,
  inscritWarningDay,
  type AlertSettings,
  type AlertSubject,
} from '../../streams/alerts/rules';
import { dayFromIso as d } from '../../streams/status/calendar';
import { computeParcours } from '../../streams/status/engine';
import type { Contrat } from '../../streams/status/types';

const key = randomBytes(32);
const missionsLocales = loadMissionsLocales(path.join(__dirname, 'fixtures', 'missions-locales.csv'));
const settings: AlertSettings = {
  inscritJours: 60,
  ruptureGraceJours: 7,
  missionsLocales,
  dataKey: key,
  departementOfCommune: (c) => (c.startsWith('97') ? c.slice(0, 3) : c.slice(0, 2)),
};
const parcoursOf = (entree: string, fin: string, contrats: Contrat[] = [], exclusion: string | null = null) =>
  computeParcours({
    entree: d(entree),
    fin: d(fin),
    exclusion: exclusion === null ? null : d(exclusion),
    contrats,
  }).parcours;
const contrat = (debut: string, fin: string | null, rupture: string | null = null): Contrat => ({
  debut: d(debut),
  fin: fin === null ? null : d(fin),
  rupture: rupture === null ? null : d(rupture),
});

function subject(over: Partial<AlertSubject> & { naissance?: string | null }): AlertSubject {
  const { naissance = '2004-03-03', ...rest } = over;
  return {
    record_key: '0751234J:2024-2025:42',
    person_key: 'p42',
    parcours: [],
    rqth: false,
    age_entree: null,
    entree: d('2024-09-02'),
    commune: '75056',
    departement_organisme: '75',
    formation_cfd: '50022141',
    libelle: 'CAP CUISINE',
    organisme_uai: '0751234J',
    organisme_siret: '13002526500013',
    identite: sealIdentite(
      key,
      identiteApprenant({
        nom: 'Martin',
        prenom: 'Léa',
        date_de_naissance: naissance,
        ine: '1234567890A',
        tel_apprenant: '+33612345678',
        email_contact: 'lea@example.org',
        adresse_apprenant: '3 rue des Lilas',
        code_postal_apprenant: '75011',
        code_commune_insee_de_naissance: '75111',
      }),
    ),
    ...rest,
  };
}

describe('alertCandidate', () => {
  const rupture = parcoursOf('2024-09-02', '2026-06-30', [contrat('2024-09-02', '2026-06-30', '2024-10-15')]);

  test('a rupture raises RUPTURE from the rupture day on, not before (the rupture date must be reached)', () => {
    expect(alertCandidate('k', rupture, d('2026-06-30'), d('2024-10-14'), settings)).toBeNull();
    expect(alertCandidate('k', rupture, d('2026-06-30'), d('2024-10-15'), settings)).toEqual({
      alert_id: alertId('k', 'RUPTURE', d('2024-10-15')),
      motif: 'RUPTURE',
      statut: 'RUPTURANT',
      depuis: d('2024-10-15'),
    });
  });

  test('false rupture (kind 6): a one-day gap between two contracts at the same employer raises nothing', () => {
    const p = parcoursOf('2024-09-02', '2026-06-30', [
      { ...contrat('2024-09-02', '2024-10-14'), rang: 1 },
      { ...contrat('2024-10-16', '2026-06-30'), rang: 2 },
    ]);
    expect(p.map((e) => e.valeur)).toEqual(['APPRENTI', 'RUPTURANT', 'APPRENTI', 'FIN_DE_FORMATION']);
    expect(alertCandidate('k', p, d('2026-06-30'), d('2024-10-15'), settings)).toBeNull();
  });

  test('a RUPTURANT run of exactly the grace raises nothing, one day more raises RUPTURE', () => {
    const seven = parcoursOf('2024-09-02', '2026-06-30', [
      contrat('2024-09-02', '2024-10-14'),
      contrat('2024-10-22', '2026-06-30'),
    ]);
    const eight = parcoursOf('2024-09-02', '2026-06-30', [
      contrat('2024-09-02', '2024-10-14'),
      contrat('2024-10-23', '2026-06-30'),
    ]);
    expect(alertCandidate('k', seven, d('2026-06-30'), d('2024-10-15'), settings)).toBeNull();
    expect(alertCandidate('k', eight, d('2026-06-30'), d('2024-10-15'), settings)?.motif).toBe('RUPTURE');
  });

  test('false rupture (kind 6): a contract ending naturally weeks before the training end is FIN_DE_FORMATION, no alert', () => {
    const p = parcoursOf('2024-09-02', '2025-06-30', [contrat('2024-09-02', '2025-05-31')]);
    expect(p.map((e) => e.valeur)).toEqual(['APPRENTI', 'FIN_DE_FORMATION']);
    for (const day of ['2025-06-01', '2025-06-15', '2025-06-30'])
      expect(alertCandidate('k', p, d('2025-06-30'), d(day), settings)).toBeNull();
  });

  test('INSCRIT without contract: the warning fires on day 61 of the run, then ABANDON on day 91', () => {
    const p = parcoursOf('2024-09-02', '2026-06-30');
    const fin = d('2026-06-30');
    expect(alertCandidate('k', p, fin, d('2024-10-31'), settings)).toBeNull(); // day 60
    expect(alertCandidate('k', p, fin, d('2024-11-01'), settings)?.motif).toBe('INSCRIT_SANS_CONTRAT');
    expect(inscritWarningDay(p, fin, d('2024-09-02'), 60)).toBe(d('2024-11-01'));
    expect(inscritWarningDay(p, fin, d('2024-11-01'), 60)).toBeNull();
    expect(alertCandidate('k', p, fin, d('2024-12-01'), settings)).toMatchObject({
      motif: 'ABANDON',
      statut: 'ABANDON',
      depuis: d('2024-12-01'),
    });
  });

  test('the warning threshold is configurable', () => {
    const p = parcoursOf('2024-09-02', '2026-06-30');
    expect(
      alertCandidate('k', p, d('2026-06-30'), d('2024-10-02'), { ...settings, inscritJours: 30 })?.motif,
    ).toBe('INSCRIT_SANS_CONTRAT');
  });

  test('a learner with a contract signed before day 61 gets no INSCRIT warning', () => {
    const p = parcoursOf('2024-09-02', '2026-06-30', [contrat('2024-10-20', null)]);
    expect(inscritWarningDay(p, d('2026-06-30'), d('2024-09-02'), 60)).toBeNull();
    expect(alertCandidate('k', p, d('2026-06-30'), d('2024-11-01'), settings)).toBeNull();
  });

  test('an exclusion raises ABANDON; nothing after the training end', () => {
    const p = parcoursOf('2024-09-02', '2025-06-30', [contrat('2024-09-02', null)], '2025-02-01');
    expect(alertCandidate('k', p, d('2025-06-30'), d('2025-02-01'), settings)?.motif).toBe('ABANDON');
    expect(alertCandidate('k', p, d('2025-06-30'), d('2025-07-01'), settings)).toBeNull();
  });
});

describe('buildAlert', () => {
  const p = parcoursOf('2024-09-02', '2026-06-30', [contrat('2024-09-02', '2026-06-30', '2024-10-15')]);
  const c = alertCandidate('k', p, d('2026-06-30'), d('2024-10-15'), settings)!;
  const today = d('2024-10-15');

  test('routes to the Mission Locale of the commune of residence, with the contact only encrypted', () => {
    const a = buildAlert(c, subject({ parcours: p, commune: '69123' }), today, 1_700_000_000_000, settings)!;
    expect(a).toMatchObject({
      mission_locale_id: 'ML-69-LYON',
      mission_locale_nom: 'Mission Locale de Lyon',
      departement: '69',
      age: 20,
      mineur: false,
      rqth: false,
      rupture_recente: true,
      motif: 'RUPTURE',
    });
    expect(JSON.stringify({ ...a, contact_chiffre: null })).not.toMatch(/Martin|612345678|lea@/);
    // The contact subset of the identity: the INE and the birth place stay out.
    expect(openIdentite(key, a.contact_chiffre)).toEqual(
      identiteApprenant({
        nom: 'Martin',
        prenom: 'Léa',
        date_de_naissance: '2004-03-03',
        tel_apprenant: '+33612345678',
        email_contact: 'lea@example.org',
        adresse_apprenant: '3 rue des Lilas',
        code_postal_apprenant: '75011',
      }),
    );
  });

  test('an unknown commune goes to the unassigned queue of its département', () => {
    expect(buildAlert(c, subject({ parcours: p, commune: '33063' }), today, 0, settings)).toMatchObject({
      mission_locale_id: 'unassigned-33',
      mission_locale_nom: null,
      departement: '33',
    });
    expect(buildAlert(c, subject({ parcours: p, commune: null }), today, 0, settings)).toMatchObject({
      mission_locale_id: 'unassigned-75',
      departement: '75',
    });
  });

  test('ages: 16–17 are minors and a priority, 15 and 26 are not alerted, RQTH at any age is', () => {
    expect(
      buildAlert(c, subject({ parcours: p, naissance: '2008-10-15' }), today, 0, settings),
    ).toMatchObject({ age: 16, mineur: true });
    expect(
      buildAlert(c, subject({ parcours: p, naissance: '2007-10-16' }), today, 0, settings),
    ).toMatchObject({ age: 16, mineur: true });
    expect(buildAlert(c, subject({ parcours: p, naissance: '2009-01-01' }), today, 0, settings)).toBeNull();
    expect(buildAlert(c, subject({ parcours: p, naissance: '1998-10-15' }), today, 0, settings)).toBeNull();
    expect(
      buildAlert(c, subject({ parcours: p, naissance: '1998-10-16' }), today, 0, settings),
    ).toMatchObject({ age: 25 });
    expect(
      buildAlert(c, subject({ parcours: p, naissance: '1980-01-01', rqth: true }), today, 0, settings),
    ).toMatchObject({ age: 44, rqth: true, mineur: false });
  });

  test('without a birth date, the age at entry and the time since are used; unknown age without RQTH is not alerted', () => {
    expect(
      buildAlert(c, subject({ parcours: p, naissance: null, age_entree: 17 }), today, 0, settings),
    ).toMatchObject({ age: 17, mineur: true });
    expect(
      buildAlert(c, subject({ parcours: p, naissance: null, age_entree: null }), today, 0, settings),
    ).toBeNull();
  });

  test('a rupture more than 180 days old is not a priority', () => {
    const later = d('2025-04-10'); // 177 days after 2024-10-15: still recent; 2025-04-14 is day 181
    const cAbandon = alertCandidate('k', p, d('2026-06-30'), d('2025-04-13'), settings)!;
    expect(cAbandon.motif).toBe('ABANDON');
    expect(
      buildAlert(cAbandon, subject({ parcours: p }), d('2025-04-13'), 0, settings)!.rupture_recente,
    ).toBe(false);
    expect(buildAlert(c, subject({ parcours: p }), later, 0, settings)!.rupture_recente).toBe(true);
  });
});

describe('Missions Locales referential', () => {
  test('loads the documented format (quoted names with the separator, Corsican codes)', () => {
    expect(missionsLocales.size).toBe(5);
    expect(missionsLocales.ofCommune('59350')).toEqual({
      id: 'ML-59-LILLE',
      nom: 'Mission Locale Lille Avenir; métropole',
      departement: '59',
    });
    expect(missionsLocales.ofCommune('2A004')?.id).toBe('ML-2A-AJACCIO');
    expect(missionsLocales.ofCommune('33063')).toBeUndefined();
    // Arrondissements of Paris, Lyon and Marseille belong to their commune's Mission Locale.
    expect(missionsLocales.ofCommune('75118')?.id).toBe('ML-75-PARIS');
    expect(missionsLocales.ofCommune('69389')?.id).toBe('ML-69-LYON');
    expect(missionsLocales.ofCommune('13216')?.id).toBe('ML-13-MARSEILLE');
    expect(missionsLocales.ofCommune('75121')).toBeUndefined();
  });

  test('a BOM is tolerated', () => {
    const text = `\ufeffcode_commune_insee;mission_locale_id;mission_locale_nom;departement\n01001;ML-01;ML de l'Ain;01\n`;
    expect(parseMissionsLocales(text).ofCommune('01001')?.id).toBe('ML-01');
  });

  test('errors name the line and the field', () => {
    expect(() =>
      parseMissionsLocales(
        'code_commune_insee;mission_locale_id;mission_locale_nom;departement\n7505;ML;x;75\n',
        'ml.csv',
      ),
    ).toThrow(
      new MissionsLocalesError('ml.csv line 2: code_commune_insee "7505" is not an INSEE commune code'),
    );
    expect(() =>
      parseMissionsLocales(
        'code_commune_insee;mission_locale_id;mission_locale_nom;departement\n75056;ML;x;75\n75056;ML2;y;75\n',
        'ml.csv',
      ),
    ).toThrow(/line 3: commune 75056 is listed twice/);
    expect(() => parseMissionsLocales('commune;id\n75056;ML\n', 'ml.csv')).toThrow(
      /missing column "code_commune_insee"/,
    );
    expect(() => loadMissionsLocales('/nonexistent/ml.csv')).toThrow(MissionsLocalesError);
  });

  test('the sample file is the documented format', () => {
    expect(
      fs.readFileSync(path.join(__dirname, 'fixtures', 'missions-locales.csv'), 'utf8').split('\n')[0],
    ).toBe('code_commune_insee;mission_locale_id;mission_locale_nom;departement');
  });
});
