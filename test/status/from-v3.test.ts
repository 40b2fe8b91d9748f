/** Reading the dates of a v3 record: field names, shapes, errors that name the field. */
import { isoFromDay } from '../../streams/status/calendar';
import { dossierDatesFromV3, parcoursFromV3 } from '../../streams/status/from-v3';
import { InvalidDossierError } from '../../streams/status/types';
import { show } from './helpers';

const base = { date_entree_formation: '2024-09-01', date_fin_formation: '2026-06-30' };

function invalid(record: Record<string, unknown>): { field: string; code: string; message: string } {
  try {
    dossierDatesFromV3(record);
  } catch (err) {
    if (err instanceof InvalidDossierError) return { field: err.field, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an InvalidDossierError');
}

describe('dossierDatesFromV3', () => {
  it('reads the training, exclusion and the four contract slots with their rang', () => {
    const { dates, warnings } = dossierDatesFromV3({
      ...base,
      date_exclusion_formation: '2026-01-15',
      contrat_date_debut: '2024-09-15',
      contrat_date_fin: '2025-08-31',
      contrat_date_rupture: '2025-02-01',
      contrat_date_debut_3: '15/03/2025', // slot 2 empty: slot 3 keeps rang 3
      contrat_date_debut_4: 45901, // Excel serial of 2025-09-01
      contrat_date_fin_4: null,
      contrat_date_rupture_4: '',
      statut_apprenant: 3, // ignored: the status is computed from dates
    });
    expect(warnings).toEqual([]);
    expect(isoFromDay(dates.entree)).toBe('2024-09-01');
    expect(isoFromDay(dates.fin)).toBe('2026-06-30');
    expect(isoFromDay(dates.exclusion!)).toBe('2026-01-15');
    expect(
      dates.contrats.map((c) => [
        c.rang,
        isoFromDay(c.debut),
        c.fin === null ? null : isoFromDay(c.fin),
        c.rupture === null ? null : isoFromDay(c.rupture),
      ]),
    ).toEqual([
      [1, '2024-09-15', '2025-08-31', '2025-02-01'],
      [3, '2025-03-15', null, null],
      [4, '2025-09-01', null, null],
    ]);
  });

  it('required dates: missing or blank → DATE_REQUISE naming the field', () => {
    expect(invalid({ date_fin_formation: '2026-06-30' })).toMatchObject({
      field: 'date_entree_formation',
      code: 'DATE_REQUISE',
    });
    expect(invalid({ date_entree_formation: '2024-09-01', date_fin_formation: ' ' })).toMatchObject({
      field: 'date_fin_formation',
      code: 'DATE_REQUISE',
    });
  });

  it('an unreadable date, required or not → DATE_INVALIDE naming the field and the reason', () => {
    const e = invalid({ ...base, contrat_date_rupture_2: '31/02/2025', contrat_date_debut_2: '2025-01-01' });
    expect(e).toMatchObject({ field: 'contrat_date_rupture_2', code: 'DATE_INVALIDE' });
    expect(e.message).toMatch(/^contrat_date_rupture_2 : .*31\/02\/2025/);
    expect(invalid({ ...base, date_entree_formation: 'septembre' })).toMatchObject({
      field: 'date_entree_formation',
      code: 'DATE_INVALIDE',
    });
    expect(invalid({ ...base, date_exclusion_formation: true })).toMatchObject({
      field: 'date_exclusion_formation',
      code: 'DATE_INVALIDE',
    });
  });

  it('training end before entry → FIN_AVANT_ENTREE on date_fin_formation', () => {
    const e = invalid({ date_entree_formation: '2024-09-01', date_fin_formation: '2024-08-31' });
    expect(e).toMatchObject({ field: 'date_fin_formation', code: 'FIN_AVANT_ENTREE' });
    expect(e.message).toMatch(/date_fin_formation/);
  });

  it('not an object → DOSSIER_NON_OBJET', () => {
    expect(invalid([] as unknown as Record<string, unknown>)).toMatchObject({ code: 'DOSSIER_NON_OBJET' });
    expect(invalid(null as unknown as Record<string, unknown>)).toMatchObject({ code: 'DOSSIER_NON_OBJET' });
  });

  it('a contract slot with an end or a rupture but no start is ignored with a warning', () => {
    const { dates, warnings } = dossierDatesFromV3({ ...base, contrat_date_fin_2: '2025-06-30' });
    expect(dates.contrats).toEqual([]);
    expect(warnings.map((w) => `${w.code} ${w.champ}`)).toEqual([
      'CONTRAT_SANS_DATE_DEBUT contrat_date_debut_2',
    ]);
  });

  it('time parts give a warning naming the field', () => {
    const { warnings } = dossierDatesFromV3({ ...base, date_entree_formation: '2024-08-31T22:00:00.000Z' });
    expect(warnings).toEqual([
      {
        code: 'DATE_HEURE_CONVERTIE',
        champ: 'date_entree_formation',
        params: { recu: '2024-08-31T22:00:00.000Z', jour: '2024-09-01', fuseau: 'Europe/Paris' },
      },
    ]);
  });
});

describe('parcoursFromV3', () => {
  it('parses, computes and gathers the warnings of both steps (parsing first)', () => {
    const r = parcoursFromV3(
      {
        ...base,
        contrat_date_debut: '2024-08-31T22:00:00Z',
        contrat_date_rupture: '2024-07-01',
      },
      { asOf: 0 },
    );
    // The contract ruptured before its start covers no day: INSCRIT, ABANDON on day 91.
    expect(show(r.parcours)).toEqual(['INSCRIT 2024-09-01', 'ABANDON 2024-11-30']);
    // The rupture is kept (§2), hence also dated after the query date 1970-01-01.
    expect(r.warnings.map((w) => w.code)).toEqual([
      'DATE_HEURE_CONVERTIE',
      'RUPTURE_AVANT_DEBUT_CONTRAT',
      'RUPTURE_FUTURE',
    ]);
    expect(isoFromDay(r.dates.entree)).toBe('2024-09-01');
  });
});
