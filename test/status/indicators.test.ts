/** The indicator table of status-rules.md ("Counting"). */
import { dayFromIso } from '../../streams/status/calendar';
import { counterAt, counterOf, COUNTERS } from '../../streams/status/indicators';
import { STATUTS, type Statut } from '../../streams/status/types';
import { run } from './helpers';

describe('counterOf', () => {
  it('follows the table of status-rules.md', () => {
    const table = Object.fromEntries(STATUTS.map((s) => [s, counterOf(s)]));
    expect(table).toEqual({
      APPRENTI: { counter: 'apprentis', apprenants: true },
      FIN_DE_FORMATION: { counter: 'apprentis', apprenants: true },
      INSCRIT: { counter: 'inscrits', apprenants: true },
      RUPTURANT: { counter: 'rupturants', apprenants: true },
      ABANDON: { counter: 'abandons', apprenants: false },
    });
  });

  it('every status is in exactly one counter, and every counter is used', () => {
    expect(new Set(STATUTS.map((s) => counterOf(s).counter))).toEqual(new Set(COUNTERS));
  });

  it('rejects an unknown status', () => {
    expect(() => counterOf('PERDU' as Statut)).toThrow(TypeError);
  });
});

describe('counterAt', () => {
  const d = {
    entree: '2024-09-01',
    fin: '2025-06-30',
    contrats: [{ debut: '2024-08-15', fin: '2025-01-31' }],
  };
  const { parcours } = run(d);
  const dates = { entree: dayFromIso(d.entree), fin: dayFromIso(d.fin) };
  const at = (iso: string) => counterAt(dates, parcours, dayFromIso(iso));

  it('counts only when the training period covers the day', () => {
    expect(at('2024-08-20')).toBeNull(); // under contract but before the training entry
    expect(at('2025-07-01')).toBeNull();
    expect(at('2024-09-01')).toEqual({ counter: 'apprentis', apprenants: true });
    expect(at('2025-02-01')).toEqual({ counter: 'rupturants', apprenants: true });
    expect(at('2025-06-30')).toEqual({ counter: 'apprentis', apprenants: true }); // FIN_DE_FORMATION
  });
});
