/**
 * real-world-faults.md kinds 5 (impossible dates) and 6 (false ruptures): for each case, the
 * defined outcome, the warning the caller sees, and the right value.
 */
import { dayFromIso } from '../../streams/status/calendar';
import { statusAt } from '../../streams/status/engine';
import { dossierDatesFromV3, parcoursFromV3 } from '../../streams/status/from-v3';
import { statusWarningMessage } from '../../streams/status/messages';
import { codes, run, show } from './helpers';

const E = '2024-09-01';
const F = '2025-06-30';

describe('kind 5: impossible dates', () => {
  it('a contract starting before the training: the timeline starts at the contract (§1) + warning', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: '2024-08-15', fin: F }] });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-08-15', 'FIN_DE_FORMATION 2025-06-30']);
    expect(codes(r)).toEqual(['CONTRAT_AVANT_ENTREE contrat_date_debut']);
  });

  it('the earliest of several early contracts starts the timeline', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: '2024-08-20', fin: '2024-08-25' },
        { debut: '2024-08-01', fin: '2024-08-10' },
      ],
    });
    expect(r.parcours[0]).toEqual({ valeur: 'APPRENTI', date: dayFromIso('2024-08-01') });
    expect(codes(r)).toEqual([
      'CONTRAT_AVANT_ENTREE contrat_date_debut',
      'CONTRAT_AVANT_ENTREE contrat_date_debut_2',
    ]);
  });

  it('a rupture before the contract start: the contract covers no day (§2, effective end = the day before the rupture) + warning', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: '2024-09-30' },
        { debut: '2024-10-01', fin: F, rupture: '2024-09-15' },
      ],
    });
    // Contract 2 covers nothing: RUPTURANT after contract 1, ABANDON on gap day 181; contract 1 is
    // the terminal contract (latest effective end) and ended naturally: §6 makes the last day FIN.
    expect(show(r.parcours)).toEqual([
      'APPRENTI 2024-09-01',
      'RUPTURANT 2024-10-01',
      'ABANDON 2025-03-30',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
    expect(codes(r)).toEqual(['RUPTURE_AVANT_DEBUT_CONTRAT contrat_date_rupture_2']);
    expect(statusWarningMessage(r.warnings[0]!)).toBe(
      'contrat 2 rompu le 2024-09-15, avant son début (2024-10-01) : il ne couvre aucun jour ; vérifiez la date de rupture',
    );
  });

  it('issue 10: the only contract ruptured before its start covers no day: INSCRIT, then ABANDON on day 91', () => {
    const r = parcoursFromV3({
      date_entree_formation: '2024-09-01',
      date_fin_formation: '2025-08-31',
      contrat_date_debut: '2024-10-01',
      contrat_date_fin: '2025-08-31',
      contrat_date_rupture: '2024-09-01',
    });
    expect(show(r.parcours)).toEqual(['INSCRIT 2024-09-01', 'ABANDON 2024-11-30']);
    expect(statusAt(r.parcours, dayFromIso('2025-03-06'))).toBe('ABANDON');
    expect(r.warnings).toEqual([
      {
        code: 'RUPTURE_AVANT_DEBUT_CONTRAT',
        champ: 'contrat_date_rupture',
        params: { rang: 1, rupture: '2024-09-01', debut: '2024-10-01' },
      },
    ]);
  });

  it('a rupture on the contract start day: the contract covers no day (rules applied mechanically) + warning', () => {
    // No contract day is ever seen: INSCRIT, ABANDON on day 91; the terminal contract is ruptured.
    const r = run({ entree: E, fin: F, contrats: [{ debut: '2024-10-01', fin: F, rupture: '2024-10-01' }] });
    expect(show(r.parcours)).toEqual(['INSCRIT 2024-09-01', 'ABANDON 2024-11-30']);
    expect(codes(r)).toEqual(['RUPTURE_JOUR_DEBUT_CONTRAT contrat_date_rupture']);
  });

  it('a rupture on the start day of a contract before the training still moves the timeline start (§1)', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: '2024-08-01', rupture: '2024-08-01' }] });
    // INSCRIT from 2024-08-01 (no contract day seen), day 91 = 2024-10-30.
    expect(show(r.parcours)).toEqual(['INSCRIT 2024-08-01', 'ABANDON 2024-10-30']);
    expect(codes(r)).toEqual([
      'RUPTURE_JOUR_DEBUT_CONTRAT contrat_date_rupture',
      'CONTRAT_AVANT_ENTREE contrat_date_debut',
    ]);
  });

  it('a rupture after the as-of date: kept in the projected parcours, status at D before it + "future" warning', () => {
    const d = { entree: E, fin: F, contrats: [{ debut: '2024-10-01', fin: F, rupture: '2025-03-01' }] };
    const r = run(d, '2025-01-10');
    expect(show(r.parcours)).toEqual(['INSCRIT 2024-09-01', 'APPRENTI 2024-10-01', 'RUPTURANT 2025-03-01']);
    expect(statusAt(r.parcours, dayFromIso('2025-01-10'))).toBe('APPRENTI');
    expect(statusAt(r.parcours, dayFromIso('2025-03-01'))).toBe('RUPTURANT');
    expect(codes(r)).toEqual(['RUPTURE_FUTURE contrat_date_rupture']);
    // Not future any more at a later query date, and no warning without a query date.
    expect(codes(run(d, '2025-03-01'))).toEqual([]);
    expect(codes(run(d))).toEqual([]);
  });

  it('a training end before its start: validation error on date_fin_formation', () => {
    expect(() => run({ entree: E, fin: '2024-06-30' })).toThrow(
      expect.objectContaining({
        name: 'InvalidDossierError',
        field: 'date_fin_formation',
        code: 'FIN_AVANT_ENTREE',
      }),
    );
    expect(() => dossierDatesFromV3({ date_entree_formation: E, date_fin_formation: '2024-06-30' })).toThrow(
      expect.objectContaining({ field: 'date_fin_formation', code: 'FIN_AVANT_ENTREE' }),
    );
  });

  it('a contract ending before it starts is ignored + warning (and does not move the timeline start)', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: '2024-08-01', fin: '2024-07-01' }] });
    expect(show(r.parcours)).toEqual(['INSCRIT 2024-09-01', 'ABANDON 2024-11-30']);
    expect(codes(r)).toEqual(['CONTRAT_FIN_AVANT_DEBUT contrat_date_fin']);
  });

  it('a contract starting after the training end is ignored + warning; one starting on the last day is kept', () => {
    const after = run({ entree: E, fin: F, contrats: [{ debut: E, fin: F }, { debut: '2025-07-01' }] });
    expect(show(after.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-06-30']);
    expect(codes(after)).toEqual(['CONTRAT_APRES_FIN_FORMATION contrat_date_debut_2']);
    expect(codes(run({ entree: E, fin: F, contrats: [{ debut: F }] }))).toEqual([]);
  });

  it('overlapping contracts: the union of their days + warning on the later one', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: '2025-01-31' },
        { debut: '2024-12-01', fin: F },
      ],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-06-30']);
    expect(codes(r)).toEqual(['CONTRATS_CHEVAUCHANTS contrat_date_debut_2']);
  });

  it('a contract inside another: union; the outer one stays terminal', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: '2025-05-31' },
        { debut: '2024-10-01', fin: '2024-12-31', rupture: '2024-11-15' },
      ],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-06-01']);
    expect(codes(r)).toEqual(['CONTRATS_CHEVAUCHANTS contrat_date_debut_2']);
  });

  it('overlap with a rupture: union, then the terminal (latest end) decides', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: F, rupture: '2025-02-01' },
        { debut: '2025-01-15', fin: '2025-03-31' },
      ],
    });
    // Gap 2025-04-01..06-30 is 91 days (> 60): RUPTURANT; the natural terminal contract ends the last day.
    expect(show(r.parcours)).toEqual([
      'APPRENTI 2024-09-01',
      'RUPTURANT 2025-04-01',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
    expect(codes(r)).toEqual(['CONTRATS_CHEVAUCHANTS contrat_date_debut_2']);
  });

  it('an exclusion after the training end has no effect + warning', () => {
    const r = run({
      entree: E,
      fin: F,
      exclusion: '2025-07-15',
      contrats: [{ debut: E, fin: '2025-05-01' }],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-05-02']);
    expect(codes(r)).toEqual(['EXCLUSION_APRES_FIN_FORMATION date_exclusion_formation']);
  });

  it('an exclusion before the entry: every day is ABANDON (§3) + warning', () => {
    const r = run({ entree: E, fin: F, exclusion: '2024-08-01', contrats: [{ debut: E, fin: F }] });
    expect(show(r.parcours)).toEqual(['ABANDON 2024-09-01']);
    expect(codes(r)).toEqual(['EXCLUSION_AVANT_ENTREE date_exclusion_formation']);
  });

  it('a rupture after the planned end: the contract runs to the day before the rupture (§2) + warning', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: E, fin: '2025-01-31', rupture: '2025-03-01' }] });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'RUPTURANT 2025-03-01']);
    expect(codes(r)).toEqual(['RUPTURE_APRES_FIN_CONTRAT contrat_date_rupture']);
    // A rupture the day after the planned end is the same day as the natural end: no warning.
    expect(
      codes(run({ entree: E, fin: F, contrats: [{ debut: E, fin: '2025-01-31', rupture: '2025-02-01' }] })),
    ).toEqual([]);
  });

  it('dates given as date-times with a time zone: the calendar day in Paris + warning naming the field', () => {
    const r = parcoursFromV3({
      date_entree_formation: '2024-08-31T22:00:00.000Z', // Paris midnight, summer time
      date_fin_formation: '2025-06-30T00:00:00+02:00',
      contrat_date_debut: '2024-09-30T22:00:00Z',
      contrat_date_rupture: '2024-12-31T23:00:00.000Z', // Paris midnight, winter time
    });
    // Gap day 1 = 2025-01-01, day 181 = 2025-06-30.
    expect(show(r.parcours)).toEqual([
      'INSCRIT 2024-09-01',
      'APPRENTI 2024-10-01',
      'RUPTURANT 2025-01-01',
      'ABANDON 2025-06-30',
    ]);
    expect(r.warnings.map((w) => `${w.code} ${w.champ}`)).toEqual([
      'DATE_HEURE_CONVERTIE date_entree_formation',
      // date_fin_formation: midnight (here with an offset) is the day written, no warning.
      'DATE_HEURE_CONVERTIE contrat_date_debut',
      'DATE_HEURE_CONVERTIE contrat_date_rupture',
    ]);
  });

  it('warnings are stable codes, v3 fields and French messages', () => {
    const r = run(
      {
        entree: E,
        fin: F,
        exclusion: '2025-08-01',
        contrats: [
          { debut: '2024-08-01', fin: '2024-07-01' },
          { debut: '2024-10-01', rupture: '2024-09-01' },
          { debut: '2024-10-02', fin: F, rupture: '2025-03-01' },
          { debut: '2025-08-01' },
        ],
      },
      '2025-01-01',
    );
    // Contract 2, ruptured before its start, covers no day: contract 3 overlaps nothing.
    expect(r.warnings.length).toBe(5);
    for (const w of r.warnings) {
      expect(w.code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(w.champ).toMatch(/^(contrat_date_(debut|fin|rupture)(_[234])?|date_exclusion_formation)$/);
      expect(statusWarningMessage(w)).toMatch(/contrat|exclusion/);
    }
  });
});

describe('kind 6: false ruptures', () => {
  it('a contract ending naturally a few weeks before the training end is not a rupture', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: E, fin: '2025-06-06' }] });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-06-07']);
    expect(r.parcours.some((e) => e.valeur === 'RUPTURANT')).toBe(false);
  });

  it('two contracts at the same employer back to back (end date then next start date): never RUPTURANT', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: '2025-01-31' },
        { debut: '2025-02-01', fin: F },
      ],
    });
    expect(r.parcours.some((e) => e.valeur === 'RUPTURANT')).toBe(false);
  });

  it('a real one-day gap between two contracts is one RUPTURANT day by the rules (alerts must not fire on it)', () => {
    // status-rules.md is applied literally: the day between the contracts has no contract. The
    // parcours shows it is over the next day (nextChangeAfter), which is what an alert must check.
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: '2025-01-31' },
        { debut: '2025-02-02', fin: F },
      ],
    });
    expect(show(r.parcours)).toEqual([
      'APPRENTI 2024-09-01',
      'RUPTURANT 2025-02-01',
      'APPRENTI 2025-02-02',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
  });
});
