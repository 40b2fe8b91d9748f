/**
 * Worked examples of status-rules.md, one rule at a time. Expected values are computed by hand
 * (gap day 1 is the first day without contract; "more than N days" means day N + 1 is ABANDON).
 */
import { dayFromIso, isoFromDay } from '../../streams/status/calendar';
import { computeParcours, nextChangeAfter, statusAt, toIntervals } from '../../streams/status/engine';
import { InvalidDossierError } from '../../streams/status/types';
import { codes, dates, run, show } from './helpers';

// A ten-month training used by most examples.
const E = '2024-09-01';
const F = '2025-06-30';

describe('§1–§2: timeline and contract days', () => {
  it('starts INSCRIT at entry, APPRENTI from the contract start, to the training end', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: '2024-10-01', fin: F }] });
    expect(show(r.parcours)).toEqual([
      'INSCRIT 2024-09-01',
      'APPRENTI 2024-10-01',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('a contract without planned end runs to the training end', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: '2024-10-01' }] });
    expect(show(r.parcours)).toEqual([
      'INSCRIT 2024-09-01',
      'APPRENTI 2024-10-01',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
  });

  it('a contract starting on the entry day: no INSCRIT entry', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: E, fin: F }] });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-06-30']);
  });

  it('a contract ends the day before its rupture date', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: '2024-10-01', fin: F, rupture: '2025-01-15' }] });
    expect(show(r.parcours)).toEqual(['INSCRIT 2024-09-01', 'APPRENTI 2024-10-01', 'RUPTURANT 2025-01-15']);
  });

  it('adjacent contracts (no day between) make one APPRENTI period', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: '2025-01-31' },
        { debut: '2025-02-01', fin: F },
      ],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-06-30']);
    expect(r.warnings).toEqual([]);
  });

  it('a rupture followed by a new contract the same day: no RUPTURANT day', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: F, rupture: '2025-02-01' },
        { debut: '2025-02-01', fin: F },
      ],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-06-30']);
  });

  it('contracts given out of order are handled as sorted', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: '2025-03-01', fin: F },
        { debut: E, fin: '2024-12-31' },
      ],
    });
    expect(show(r.parcours)).toEqual([
      'APPRENTI 2024-09-01',
      'RUPTURANT 2025-01-01',
      'APPRENTI 2025-03-01',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
  });
});

describe('§3: exclusion', () => {
  it('every day from the exclusion date is ABANDON, even under contract, and stays so on the last day', () => {
    const r = run({
      entree: E,
      fin: F,
      exclusion: '2025-02-01',
      contrats: [{ debut: '2024-10-01', fin: F }],
    });
    expect(show(r.parcours)).toEqual(['INSCRIT 2024-09-01', 'APPRENTI 2024-10-01', 'ABANDON 2025-02-01']);
  });

  it('an exclusion on the last day makes only that day ABANDON', () => {
    const r = run({ entree: E, fin: F, exclusion: F, contrats: [{ debut: E, fin: F }] });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'ABANDON 2025-06-30']);
  });

  it('an exclusion on the first day makes the whole timeline ABANDON', () => {
    const r = run({ entree: E, fin: F, exclusion: E, contrats: [{ debut: E, fin: F }] });
    expect(show(r.parcours)).toEqual(['ABANDON 2024-09-01']);
  });
});

describe('§4: days without contract (90 and 180 days)', () => {
  it('no contract: INSCRIT for 90 days, ABANDON from day 91', () => {
    // 2024-09-01 is day 1, 2024-11-29 day 90, 2024-11-30 day 91.
    const r = run({ entree: E, fin: F });
    expect(show(r.parcours)).toEqual(['INSCRIT 2024-09-01', 'ABANDON 2024-11-30']);
  });

  it('first contract after exactly 90 days without contract: never ABANDON', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: '2024-11-30', fin: F }] });
    expect(show(r.parcours)).toEqual([
      'INSCRIT 2024-09-01',
      'APPRENTI 2024-11-30',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
  });

  it('first contract after 91 days without contract: ABANDON on day 91, then APPRENTI', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: '2024-12-01', fin: F }] });
    expect(show(r.parcours)).toEqual([
      'INSCRIT 2024-09-01',
      'ABANDON 2024-11-30',
      'APPRENTI 2024-12-01',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
  });

  it('after a rupture: RUPTURANT, and a new contract after exactly 180 days: never ABANDON', () => {
    // Gap day 1 = 2024-10-01; day 180 = 2025-03-29.
    const r = run({
      entree: E,
      fin: F,
      contrats: [{ debut: E, fin: F, rupture: '2024-10-01' }, { debut: '2025-03-30' }],
    });
    expect(show(r.parcours)).toEqual([
      'APPRENTI 2024-09-01',
      'RUPTURANT 2024-10-01',
      'APPRENTI 2025-03-30',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
  });

  it('after a rupture: ABANDON on gap day 181', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [{ debut: E, fin: F, rupture: '2024-10-01' }, { debut: '2025-03-31' }],
    });
    expect(show(r.parcours)).toEqual([
      'APPRENTI 2024-09-01',
      'RUPTURANT 2024-10-01',
      'ABANDON 2025-03-30',
      'APPRENTI 2025-03-31',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
  });

  it('counts 180 days across a 29 February', () => {
    // Gap day 1 = 2023-10-01; with 2024-02-29, day 180 = 2024-03-28 and day 181 = 2024-03-29.
    const r = run({
      entree: '2023-09-01',
      fin: '2024-06-30',
      contrats: [{ debut: '2023-09-01', rupture: '2023-10-01' }],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2023-09-01', 'RUPTURANT 2023-10-01', 'ABANDON 2024-03-29']);
  });

  it('counts 90 days across a 29 February', () => {
    // 2024-01-01 is day 1; 31 (Jan) + 29 (Feb) + 30 = 90 → 2024-03-30 is day 90, 2024-03-31 day 91.
    const r = run({ entree: '2024-01-01', fin: '2024-12-31' });
    expect(show(r.parcours)).toEqual(['INSCRIT 2024-01-01', 'ABANDON 2024-03-31']);
  });

  it('the 180-day count restarts after each contract', () => {
    const r = run({
      entree: E,
      fin: '2026-06-30',
      contrats: [
        { debut: E, rupture: '2024-10-01' },
        { debut: '2025-03-01', rupture: '2025-03-02' }, // one contract day
      ],
    });
    // Second gap: day 1 = 2025-03-02, day 181 = 2025-08-29.
    expect(show(r.parcours)).toEqual([
      'APPRENTI 2024-09-01',
      'RUPTURANT 2024-10-01',
      'APPRENTI 2025-03-01',
      'RUPTURANT 2025-03-02',
      'ABANDON 2025-08-29',
    ]);
  });
});

describe('§5: natural end shortly before the training end', () => {
  it('contract ending naturally exactly 60 days before the training end: FIN_DE_FORMATION after it', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: E, fin: '2025-05-01' }] }); // 05-01 + 60 = 06-30
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-05-02']);
  });

  it('61 days before: RUPTURANT, and the last day FIN_DE_FORMATION (§6, natural terminal contract)', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: E, fin: '2025-04-30' }] });
    expect(show(r.parcours)).toEqual([
      'APPRENTI 2024-09-01',
      'RUPTURANT 2025-05-01',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
  });

  it('not with a rupture, even a few days before the end', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: E, fin: F, rupture: '2025-06-01' }] });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'RUPTURANT 2025-06-01']);
  });

  it('not with an exclusion', () => {
    const r = run({
      entree: E,
      fin: F,
      exclusion: '2025-06-15',
      contrats: [{ debut: E, fin: '2025-05-01' }],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'RUPTURANT 2025-05-02', 'ABANDON 2025-06-15']);
  });

  it('terminal contract tie: a ruptured contract with the same effective end wins', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: '2025-05-01' }, // natural, effective end 05-01
        { debut: '2024-10-01', fin: F, rupture: '2025-05-02' }, // ruptured, effective end 05-01
      ],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'RUPTURANT 2025-05-02']);
  });

  it('the same tie in the other order gives the same result', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: '2024-10-01', fin: F, rupture: '2025-05-02' },
        { debut: E, fin: '2025-05-01' },
      ],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'RUPTURANT 2025-05-02']);
  });

  it('tie between natural contracts: natural end', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: '2025-05-01' },
        { debut: '2024-10-01', fin: '2025-05-01' },
      ],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-05-02']);
  });

  it('a later natural end beats an earlier rupture', () => {
    const r = run({
      entree: E,
      fin: F,
      contrats: [
        { debut: E, fin: '2025-05-01' }, // natural, ends 05-01
        { debut: '2024-10-01', fin: F, rupture: '2025-05-01' }, // ruptured, effective end 04-30
      ],
    });
    expect(show(r.parcours)).toEqual(['APPRENTI 2024-09-01', 'FIN_DE_FORMATION 2025-05-02']);
  });
});

describe('§6: the last day', () => {
  it('INSCRIT on the last day (training of 90 days, no contract) becomes FIN_DE_FORMATION', () => {
    const r = run({ entree: '2025-04-01', fin: '2025-06-29' });
    expect(show(r.parcours)).toEqual(['INSCRIT 2025-04-01', 'FIN_DE_FORMATION 2025-06-29']);
  });

  it('ABANDON on the last day without any contract stays ABANDON (91-day training)', () => {
    const r = run({ entree: '2025-04-01', fin: '2025-06-30' });
    expect(show(r.parcours)).toEqual(['INSCRIT 2025-04-01', 'ABANDON 2025-06-30']);
  });

  it('ABANDON after a natural terminal contract: the last day is FIN_DE_FORMATION', () => {
    // Gap day 1 = 2024-11-01, day 181 = 2025-04-30.
    const r = run({ entree: E, fin: F, contrats: [{ debut: E, fin: '2024-10-31' }] });
    expect(show(r.parcours)).toEqual([
      'APPRENTI 2024-09-01',
      'RUPTURANT 2024-11-01',
      'ABANDON 2025-04-30',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
  });

  it('a contract starting on the last day: APPRENTI there becomes FIN_DE_FORMATION', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: F }] });
    expect(show(r.parcours)).toEqual([
      'INSCRIT 2024-09-01',
      'ABANDON 2024-11-30',
      'FIN_DE_FORMATION 2025-06-30',
    ]);
  });

  it('a one-day training', () => {
    expect(show(run({ entree: E, fin: E }).parcours)).toEqual(['FIN_DE_FORMATION 2024-09-01']);
    expect(show(run({ entree: E, fin: E, exclusion: E }).parcours)).toEqual(['ABANDON 2024-09-01']);
  });
});

describe('§7: parcours, status at a date, next change, intervals', () => {
  const { parcours } = run({
    entree: E,
    fin: F,
    contrats: [{ debut: '2024-10-01', fin: F, rupture: '2025-01-15' }],
  });
  const at = (iso: string): string => statusAt(parcours, dayFromIso(iso));

  it('status at D is the last entry on or before D, INSCRIT before the first', () => {
    expect(at('2024-08-01')).toBe('INSCRIT');
    expect(at('2024-09-30')).toBe('INSCRIT');
    expect(at('2024-10-01')).toBe('APPRENTI');
    expect(at('2025-01-14')).toBe('APPRENTI');
    expect(at('2025-01-15')).toBe('RUPTURANT');
    expect(at('2030-01-01')).toBe('RUPTURANT');
    expect(statusAt([], 0)).toBe('INSCRIT');
  });

  it('nextChangeAfter gives the first entry strictly after the day', () => {
    const next = (iso: string): string | null => {
      const e = nextChangeAfter(parcours, dayFromIso(iso));
      return e === null ? null : `${e.valeur} ${isoFromDay(e.date)}`;
    };
    expect(next('2024-01-01')).toBe('INSCRIT 2024-09-01');
    expect(next('2024-09-01')).toBe('APPRENTI 2024-10-01');
    expect(next('2024-10-01')).toBe('RUPTURANT 2025-01-15');
    expect(next('2025-01-15')).toBeNull();
  });

  it('toIntervals gives consecutive inclusive ranges to the training end', () => {
    expect(
      toIntervals(parcours, dayFromIso(F)).map(
        (i) => `${i.valeur} ${isoFromDay(i.debut)}..${isoFromDay(i.fin)}`,
      ),
    ).toEqual([
      'INSCRIT 2024-09-01..2024-09-30',
      'APPRENTI 2024-10-01..2025-01-14',
      'RUPTURANT 2025-01-15..2025-06-30',
    ]);
    expect(toIntervals([], 0)).toEqual([]);
  });

  it('toIntervals drops entries after the end it is given', () => {
    const i = toIntervals(parcours, dayFromIso('2024-12-31'));
    expect(i.map((x) => `${x.valeur} ${isoFromDay(x.fin)}`)).toEqual([
      'INSCRIT 2024-09-30',
      'APPRENTI 2024-12-31',
    ]);
  });

  it('the as-of date does not change the parcours', () => {
    const d = dates({
      entree: E,
      fin: F,
      contrats: [{ debut: '2024-10-01', fin: F, rupture: '2025-01-15' }],
    });
    expect(computeParcours(d, { asOf: dayFromIso('2024-10-10') }).parcours).toEqual(
      computeParcours(d).parcours,
    );
  });

  it('does not mutate its input', () => {
    const d = dates({
      entree: E,
      fin: F,
      contrats: [{ debut: '2024-10-01', fin: F, rupture: '2024-09-01' }],
    });
    const copy = JSON.parse(JSON.stringify(d)) as unknown;
    computeParcours(d);
    expect(d).toEqual(copy);
  });
});

describe('input checks of the engine', () => {
  it('training end before entry: InvalidDossierError on date_fin_formation', () => {
    expect(() => run({ entree: E, fin: '2024-08-31' })).toThrow(InvalidDossierError);
    expect(() => run({ entree: E, fin: '2024-08-31' })).toThrow(
      expect.objectContaining({ field: 'date_fin_formation', code: 'FIN_AVANT_ENTREE' }),
    );
  });

  it('a day number that is not an integer: InvalidDossierError naming the field', () => {
    const d = dates({ entree: E, fin: F, contrats: [{ debut: E }, { debut: E }] });
    d.contrats[1]!.debut += 0.5;
    expect(() => computeParcours(d)).toThrow(
      expect.objectContaining({ field: 'contrat_date_debut_2', code: 'DATE_INVALIDE' }),
    );
  });

  it('warnings name the v3 slot from `rang` when given', () => {
    const r = run({ entree: E, fin: F, contrats: [{ debut: '2024-10-01', rupture: '2024-09-01', rang: 3 }] });
    expect(codes(r)).toEqual(['RUPTURE_AVANT_DEBUT_CONTRAT contrat_date_rupture_3']);
  });
});
