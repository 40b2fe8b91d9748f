/**
 * The public disclosure control's pure rules (api/secrecy/cell-key.ts, api/secrecy/disclosure.ts;
 * docs/statistical-disclosure-control.md): keyed random rounding (unbiased, consistent, never
 * proving a zero or "everyone in one status"), cells withheld below 11 learners or with a
 * complement of 1 to 10, small populations at the month's first day, and the demographic
 * crossings refused to the public.
 */
import fc from 'fast-check';
import { isHttpError, type HttpError } from '../../api/errors';
import { COUNT_FIELDS, type Counts } from '../../api/secrecy';
import {
  canPublish,
  cellKeySecret,
  populationKey,
  preimage,
  randomRound,
  uniformOf,
} from '../../api/secrecy/cell-key';
import {
  effectiveDay,
  monthStart,
  publishCell,
  refusePublicCrossing,
  SEUIL_POPULATION,
  SEUIL_QUOTIDIEN,
  withheld,
} from '../../api/secrecy/disclosure';
import { dayFromIso, isoFromDay } from '../../streams/status';

const SECRET = cellKeySecret(Buffer.alloc(32, 7));

const counts = (apprentis: number, inscrits: number, rupturants: number, abandons: number): Counts => ({
  apprentis,
  inscrits,
  rupturants,
  abandons,
  apprenants: apprentis + inscrits + rupturants,
});

describe('randomRound', () => {
  it('is unbiased: over many keys, the mean of the rounded values is the count', () => {
    for (const x of [1, 2, 3, 4, 6, 12, 38, 101]) {
      let sum = 0;
      const n = 20_000;
      for (let k = 0; k < n; k++) sum += randomRound(x, 1000, uniformOf(SECRET, k, 'apprentis'));
      expect(Math.abs(sum / n - x)).toBeLessThan(0.1);
    }
  });

  it('publishes multiples of 5 within 4 of the count; zeros and multiples of 5 exactly', () => {
    fc.assert(
      fc.property(
        fc.nat(500),
        fc.nat(500),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (x, extra, u) => {
          const n = x + extra;
          const v = randomRound(x, n, u);
          expect(v % 5).toBe(0);
          expect(Math.abs(v - x)).toBeLessThanOrEqual(4);
          if (x % 5 === 0) expect(v).toBe(x);
          expect(canPublish(v, x, n)).toBe(true);
          const { min, max } = preimage(v);
          expect(x).toBeGreaterThanOrEqual(min);
          expect(x).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('never proves that a whole population is in one status (the up value of x = n ≡ 1 mod 5 is refused)', () => {
    for (const n of [11, 16, 21, 101]) {
      for (let k = 0; k < 200; k++) {
        const v = randomRound(n, n, uniformOf(SECRET, k, 'apprentis'));
        expect(v).toBe(n - 1);
        expect(preimage(v).min).toBeLessThanOrEqual(n - 1); // one member may be elsewhere
      }
    }
    // Without the population bound the up value would be drawn (probability 1/5).
    const ups = Array.from({ length: 200 }, (_, k) => randomRound(11, 1000, uniformOf(SECRET, k, 'x')));
    expect(ups.filter((v) => v === 15).length).toBeGreaterThan(10);
  });

  it('a published 0 may be 0 to 4: a zero is never proven', () => {
    for (let x = 1; x <= 4; x++) expect(canPublish(0, x, 100)).toBe(true);
    expect(preimage(0)).toEqual({ min: 0, max: 4 });
  });
});

describe('cell keys', () => {
  it('depend on the population and the counter only, and are spread over [0, 1)', () => {
    expect(uniformOf(SECRET, 42, 'inscrits')).toBe(uniformOf(SECRET, 42, 'inscrits'));
    expect(uniformOf(SECRET, 42, 'inscrits')).not.toBe(uniformOf(SECRET, 43, 'inscrits'));
    expect(uniformOf(SECRET, 42, 'inscrits')).not.toBe(uniformOf(SECRET, 42, 'rupturants'));
    expect(uniformOf(cellKeySecret(Buffer.alloc(32, 8)), 42, 'inscrits')).not.toBe(
      uniformOf(SECRET, 42, 'inscrits'),
    );
    const us = Array.from({ length: 5000 }, (_, k) => uniformOf(SECRET, k, 'apprentis'));
    const deciles = new Array<number>(10).fill(0);
    for (const u of us) deciles[Math.floor(u * 10)]!++;
    for (const d of deciles) expect(Math.abs(d - 500)).toBeLessThan(90);
  });

  it('reduce the hash sum modulo 2^32, negative sums included (ClickHouse returns Int64 as text)', () => {
    expect(populationKey('4294967297')).toBe(1);
    expect(populationKey('-1')).toBe(4294967295);
    expect(populationKey(12n)).toBe(12);
  });
});

describe('publishCell', () => {
  it(`withholds every counter below ${SEUIL_POPULATION} learners (apprenants + abandons)`, () => {
    const c = counts(6, 2, 1, 1); // 10 learners
    expect(withheld({ counts: c, key: 1, complements: [] })).toBe('population');
    const p = publishCell({ counts: c, key: 1, complements: [] }, SECRET);
    expect(p.masque).toEqual([...COUNT_FIELDS]);
    for (const f of COUNT_FIELDS) expect(p[f]).toBeNull();
    expect(withheld({ counts: counts(7, 2, 1, 1), key: 1, complements: [] })).toBeNull();
  });

  it('withholds a cell whose complement in a parent counts 1 to 10 learners; 0 is no restriction', () => {
    const c = counts(30, 5, 3, 2);
    expect(withheld({ counts: c, key: 1, complements: [0, 500] })).toBeNull();
    expect(withheld({ counts: c, key: 1, complements: [500, 1] })).toBe('complement');
    expect(withheld({ counts: c, key: 1, complements: [10] })).toBe('complement');
    expect(withheld({ counts: c, key: 1, complements: [11] })).toBeNull();
  });

  it('rounds every counter of a published cell with the population key: same facts, same answer', () => {
    const c = counts(33, 7, 3, 2);
    const a = publishCell({ counts: c, key: 99, complements: [] }, SECRET);
    expect(publishCell({ counts: c, key: 99, complements: [400] }, SECRET)).toEqual(a);
    expect(a.masque).toEqual([]);
    for (const f of COUNT_FIELDS) expect(canPublish(a[f]!, c[f], 45)).toBe(true);
  });
});

describe('effectiveDay', () => {
  const d = dayFromIso('2025-02-10');
  it(`keeps the day from ${SEUIL_QUOTIDIEN} learners on, else the first day of the month`, () => {
    expect(isoFromDay(effectiveDay(d, SEUIL_QUOTIDIEN))).toBe('2025-02-10');
    expect(isoFromDay(effectiveDay(d, SEUIL_QUOTIDIEN - 1))).toBe('2025-02-01');
    expect(isoFromDay(monthStart(dayFromIso('2024-12-31')))).toBe('2024-12-01');
  });
});

describe('refusePublicCrossing', () => {
  const refused = (filters: Record<string, string>, dimension?: string) => {
    try {
      refusePublicCrossing(filters, dimension);
      return null;
    } catch (e) {
      expect(isHttpError(e)).toBe(true);
      const err = e as HttpError;
      return { status: err.statusCode, code: err.code, champ: err.champ, message: err.message };
    }
  };

  it.each([
    [{ uai: '0691234A', sexe: 'F' }, undefined, 'sexe'],
    [{ siret: '12345678901234', tranche_age: '<18' }, undefined, 'tranche_age'],
    [{ cfd: '50022141', rqth: '1' }, undefined, 'rqth'],
    [{ rncp: 'RNCP1234', sexe: 'M' }, undefined, 'sexe'],
    [{ departement: '69', sexe: 'F' }, 'organisme', 'sexe'],
    [{ rqth: '1' }, 'formation', 'rqth'],
  ])('refuses %j grouped by %s with a 403 naming %s, in French', (filters, dimension, champ) => {
    const r = refused(filters, dimension);
    expect(r).toMatchObject({ status: 403, code: 'CROISEMENT_NON_PUBLIC', champ });
    expect(r!.message).toMatch(/croisement non diffusé au public/);
    expect(r!.message).toMatch(/rôle authentifié/);
  });

  it.each([
    [{ departement: '69', sexe: 'F' }, undefined],
    [{ zone_emploi: '8401', tranche_age: '<18', rqth: '1' }, 'niveau'],
    [{ uai: '0691234A', niveau: '3' }, 'formation'],
    [{}, 'organisme'],
  ])('accepts %j grouped by %s', (filters, dimension) => {
    expect(refused(filters, dimension)).toBeNull();
  });
});
