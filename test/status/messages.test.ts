/**
 * Warnings are data (`{code, champ, params}`) out of the engine, the calendar and from-v3; their
 * French sentences come from one renderer (streams/status/messages.ts), at the edges.
 */
import { parcoursFromV3 } from '../../streams/status/from-v3';
import { statusWarningMessage } from '../../streams/status/messages';
import type { StatusWarning, StatusWarningCode } from '../../streams/status/types';

/** One record raising most warnings, at the query date 2025-01-01. */
const faulty = {
  date_entree_formation: '2024-09-01',
  date_fin_formation: '2025-06-30',
  date_exclusion_formation: '2025-08-01',
  contrat_date_debut: '2024-08-01',
  contrat_date_fin: '2024-07-01',
  contrat_date_debut_2: '2024-10-01',
  contrat_date_rupture_2: '2024-09-01',
  contrat_date_debut_3: '2024-10-02',
  contrat_date_fin_3: '2025-02-01',
  contrat_date_rupture_3: '2025-03-01',
  contrat_date_fin_4: '2025-08-01',
};

describe('warnings are data', () => {
  it('the engine and from-v3 return code, champ and params only, with ISO dates and the contract slot', () => {
    const r = parcoursFromV3(faulty, { asOf: 20089 }); // 2025-01-01
    for (const w of r.warnings) expect(Object.keys(w).sort()).toEqual(['champ', 'code', 'params']);
    expect(r.warnings).toEqual([
      { code: 'CONTRAT_SANS_DATE_DEBUT', champ: 'contrat_date_debut_4', params: { rang: 4 } },
      {
        code: 'CONTRAT_FIN_AVANT_DEBUT',
        champ: 'contrat_date_fin',
        params: { rang: 1, fin: '2024-07-01', debut: '2024-08-01' },
      },
      {
        code: 'RUPTURE_AVANT_DEBUT_CONTRAT',
        champ: 'contrat_date_rupture_2',
        params: { rang: 2, rupture: '2024-09-01', debut: '2024-10-01' },
      },
      {
        code: 'RUPTURE_APRES_FIN_CONTRAT',
        champ: 'contrat_date_rupture_3',
        params: { rang: 3, rupture: '2025-03-01', fin: '2025-02-01' },
      },
      {
        code: 'RUPTURE_FUTURE',
        champ: 'contrat_date_rupture_3',
        params: { rang: 3, rupture: '2025-03-01', date_reference: '2025-01-01' },
      },
      {
        code: 'EXCLUSION_APRES_FIN_FORMATION',
        champ: 'date_exclusion_formation',
        params: { exclusion: '2025-08-01', fin_formation: '2025-06-30' },
      },
    ]);
  });
});

describe('one renderer of the French sentences', () => {
  const cases: [StatusWarning, string][] = [
    [
      {
        code: 'CONTRAT_AVANT_ENTREE',
        champ: 'contrat_date_debut_2',
        params: { rang: 2, debut: '2024-08-01', entree: '2024-09-01' },
      },
      "contrat 2 commencé (2024-08-01) avant l'entrée en formation (2024-09-01) : le parcours commence au début du contrat ; vérifiez date_entree_formation",
    ],
    [
      { code: 'CONTRAT_SANS_DATE_DEBUT', champ: 'contrat_date_debut_3', params: { rang: 3 } },
      'contrat 3 ignoré : il a une date de fin ou de rupture mais pas de date de début ; renseignez contrat_date_debut_3',
    ],
    [
      {
        code: 'RUPTURE_FUTURE',
        champ: 'contrat_date_rupture',
        params: { rang: 1, rupture: '2025-03-01', date_reference: '2025-01-01' },
      },
      'rupture du contrat 1 datée dans le futur (2025-03-01, après le 2025-01-01) : prise en compte à partir de cette date seulement',
    ],
    [
      {
        code: 'DATE_HEURE_CONVERTIE',
        champ: 'date_entree_formation',
        params: { recu: '2024-08-31T22:00:00.000Z', jour: '2024-09-01', fuseau: 'Europe/Paris' },
      },
      'date-heure "2024-08-31T22:00:00.000Z" convertie en jour calendaire de Europe/Paris : 2024-09-01 ; envoyez une date AAAA-MM-JJ',
    ],
    [
      {
        code: 'DATE_HEURE_IGNOREE',
        champ: 'date_fin_formation',
        params: { recu: '45536.5', jour: '2024-09-01', forme: 'serie_excel' },
      },
      'numéro de série Excel 45536.5 : heure ignorée, jour retenu 2024-09-01',
    ],
    [
      {
        code: 'DATE_HEURE_IGNOREE',
        champ: 'date_fin_formation',
        params: {
          recu: '2024-09-01T10:00:00+04:00',
          jour: '2024-09-01',
          forme: 'decalage',
          decalage: '+04:00',
        },
      },
      `date-heure "2024-09-01T10:00:00+04:00" : heure ignorée, jour retenu 2024-09-01 (jour local de l'émetteur, décalage +04:00) ; envoyez une date AAAA-MM-JJ`,
    ],
  ];
  it.each(cases)('%j', (w, message) => {
    expect(statusWarningMessage(w)).toBe(message);
  });

  it('every code the engine emits has a sentence without a hole', () => {
    const r = parcoursFromV3(faulty, { asOf: 20089 });
    const seen = new Set<StatusWarningCode>();
    for (const w of r.warnings) {
      seen.add(w.code);
      const m = statusWarningMessage(w);
      expect(m).not.toMatch(/undefined|\[object|NaN/);
      expect(m.length).toBeGreaterThan(30);
    }
    expect(seen.size).toBe(6);
  });
});
