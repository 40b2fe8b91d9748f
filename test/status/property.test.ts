/**
 * Property test: the interval engine (through the v3 reader) agrees with the day-by-day reference
 * (test/status/reference-day-by-day.ts) on 100,000+ random records, built so that the edge cases
 * are frequent: gaps of exactly 59–62, 89–92 and 179–182 days, contracts back to back, overlapping,
 * tied on their effective end, ruptures before / on / after the start, ends before starts,
 * contracts before the training or after it, exclusions around the training, trainings across
 * 29 February. Dates reach the engine as ISO strings, DD/MM/YYYY or Excel serials; the reference
 * reads ISO strings and walks the calendar with Date, so calendar arithmetic is checked as well.
 */
import fc from 'fast-check';
import { isoFromDay } from '../../streams/status/calendar';
import { nextChangeAfter, statusAt, toIntervals } from '../../streams/status/engine';
import { parcoursFromV3 } from '../../streams/status/from-v3';
import { referenceDays, type ReferenceDossier } from './reference-day-by-day';

const RUNS = 100_000;
const MS_PER_DAY = 86_400_000;

/** ISO date of a day number by JavaScript's Date (independent of calendar.ts). */
const isoOf = (day: number): string => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
const dayOf = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / MS_PER_DAY;

const SPECIAL_GAPS = [0, 1, 2, 59, 60, 61, 62, 89, 90, 91, 92, 179, 180, 181, 182];
const special = fc.constantFrom(...SPECIAL_GAPS);
/** A day count biased to the rule boundaries. */
const gap = fc.oneof(
  { weight: 3, arbitrary: special },
  { weight: 2, arbitrary: fc.integer({ min: -40, max: 400 }) },
);

/** Training entries spread over 2019–2029, often just before a 29 February (2020, 2024, 2028). */
const entree = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: dayOf(2019, 1, 1), max: dayOf(2029, 12, 31) }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(2020, 2024, 2028), fc.integer({ min: -200, max: 10 }))
      .map(([y, offset]) => dayOf(y, 2, 29) + offset),
  },
);

const trainingLength = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, 1, 59, 60, 61, 89, 90, 91, 179, 180, 181, 364, 365, 366, 729, 730),
  },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 800 }) },
);

const contractSpec = fc.record({
  /** Where the start is measured from: the previous contract's effective end + 1, the entry, or the end. */
  anchor: fc.constantFrom('previous', 'previous', 'entree', 'fin'),
  offset: gap,
  /** Planned length in days (negative: end before start); null: no planned end. */
  length: fc.option(fc.oneof(special, fc.integer({ min: -5, max: 700 })), { freq: 6 }),
  /** Rupture relative to the start (negative: before it; 0: the start day). */
  rupture: fc.option(fc.oneof(fc.constantFrom(-1, 0, 1, 2), fc.integer({ min: -10, max: 500 })), { freq: 2 }),
});

const recordSpec = fc.record({
  entree,
  length: trainingLength,
  contracts: fc.array(contractSpec, { minLength: 0, maxLength: 4 }),
  /** Optionally re-anchor the training end on the last contract's effective end (60/61 tolerance). */
  finAfterLastContract: fc.option(gap, { freq: 3 }),
  exclusion: fc.option(
    fc.oneof(
      fc.record({ from: fc.constant('entree' as const), offset: fc.integer({ min: -10, max: 900 }) }),
      fc.record({ from: fc.constant('fin' as const), offset: fc.integer({ min: -3, max: 3 }) }),
    ),
    { freq: 5 },
  ),
  asOf: fc.integer({ min: -100, max: 1000 }),
  format: fc.constantFrom('iso', 'iso', 'dmy', 'excel'),
  probes: fc.array(fc.integer({ min: -5, max: 1000 }), { minLength: 3, maxLength: 3 }),
});

type RecordSpec = typeof recordSpec extends fc.Arbitrary<infer T> ? T : never;

interface Built {
  ref: ReferenceDossier;
  v3: Record<string, unknown>;
  asOf: number;
  contracts: number;
}

function build(spec: RecordSpec): Built {
  const e = spec.entree;
  let fin = e + spec.length;
  const contrats: { debut: number; fin: number | null; rupture: number | null }[] = [];
  let previousEnd = e - 1;
  for (const c of spec.contracts) {
    const debut =
      c.anchor === 'previous'
        ? previousEnd + 1 + c.offset
        : c.anchor === 'entree'
          ? e + c.offset
          : fin - c.offset;
    const cFin = c.length === null ? null : debut + c.length - 1;
    const rupture = c.rupture === null ? null : debut + c.rupture;
    contrats.push({ debut, fin: cFin, rupture });
    previousEnd = rupture !== null ? rupture - 1 : (cFin ?? fin);
  }
  if (spec.finAfterLastContract !== null) fin = Math.max(e, previousEnd + spec.finAfterLastContract);
  let exclusion: number | null = null;
  if (spec.exclusion !== null) {
    exclusion = (spec.exclusion.from === 'entree' ? e : fin) + spec.exclusion.offset;
  }

  const formatted = (day: number): unknown => {
    const iso = isoOf(day);
    if (spec.format === 'dmy') return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
    if (spec.format === 'excel') return day + 25569;
    return iso;
  };
  const v3: Record<string, unknown> = {
    date_entree_formation: formatted(e),
    date_fin_formation: formatted(fin),
    date_exclusion_formation: exclusion === null ? null : formatted(exclusion),
  };
  contrats.forEach((c, i) => {
    const suffix = i === 0 ? '' : `_${i + 1}`;
    v3[`contrat_date_debut${suffix}`] = formatted(c.debut);
    if (c.fin !== null) v3[`contrat_date_fin${suffix}`] = formatted(c.fin);
    if (c.rupture !== null) v3[`contrat_date_rupture${suffix}`] = formatted(c.rupture);
  });
  const ref: ReferenceDossier = {
    entree: isoOf(e),
    fin: isoOf(fin),
    exclusion: exclusion === null ? null : isoOf(exclusion),
    contrats: contrats.map((c) => ({
      debut: isoOf(c.debut),
      fin: c.fin === null ? null : isoOf(c.fin),
      rupture: c.rupture === null ? null : isoOf(c.rupture),
    })),
  };
  return { ref, v3, asOf: e + spec.asOf, contracts: contrats.length };
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

describe('interval engine = day-by-day reference', () => {
  it(`on ${RUNS.toLocaleString('en-US')} random records with the edge cases`, () => {
    let checked = 0;
    fc.assert(
      fc.property(recordSpec, (spec) => {
        const { ref, v3, asOf, contracts } = build(spec);
        const days = referenceDays(ref);
        const { parcours, warnings, dates } = parcoursFromV3(v3, { asOf });

        // The parcours: the reference's changes of status, with the same dates. (Plain checks, not
        // expect(): Jest's matchers would cost more than the engine and the reference together.)
        const want: string[] = [];
        days.forEach((day, i) => {
          if (i === 0 || day.statut !== days[i - 1]!.statut) want.push(`${day.statut} ${day.date}`);
        });
        const got = parcours.map((p) => `${p.valeur} ${isoFromDay(p.date)}`);
        check(
          got.join(', ') === want.join(', '),
          `parcours\n  engine:    ${got.join(', ')}\n  reference: ${want.join(', ')}`,
        );

        // Its size is bounded by the number of contracts, not by the length of the training.
        check(parcours.length <= 3 * contracts + 4, `${parcours.length} entries for ${contracts} contracts`);

        // Intervals: consecutive, from the first day to the training end, one per entry.
        const intervals = toIntervals(parcours, dates.fin);
        check(intervals.length === parcours.length, 'one interval per entry');
        check(intervals[0]!.debut === parcours[0]!.date, 'intervals start with the parcours');
        check(intervals[intervals.length - 1]!.fin === dates.fin, 'intervals end on the training end');
        for (let i = 1; i < intervals.length; i++) {
          check(intervals[i]!.debut === intervals[i - 1]!.fin + 1, 'intervals are consecutive');
        }

        // Status at a few days (before, inside and after the timeline) and the next change.
        const start = parcours[0]!.date;
        for (const probe of spec.probes) {
          const day = start + probe;
          const i = day - start;
          const expected = i < 0 ? 'INSCRIT' : days[Math.min(i, days.length - 1)]!.statut;
          check(statusAt(parcours, day) === expected, `status at ${isoFromDay(day)}: expected ${expected}`);
          const next = nextChangeAfter(parcours, day);
          if (next !== null) {
            check(next.date > day, 'next change is after the day');
            // A change is a change (the first entry may repeat the INSCRIT of "before the timeline").
            check(
              next === parcours[0] || statusAt(parcours, next.date - 1) !== next.valeur,
              'next change changes',
            );
          } else {
            check(parcours[parcours.length - 1]!.date <= day, 'no change after the last entry');
          }
        }

        // Warnings: stable codes naming a v3 field.
        for (const w of warnings) {
          check(/^[A-Z]+(_[A-Z]+)*$/.test(w.code), `warning code ${w.code}`);
          check(/^(date_|contrat_date_)[a-z_]+[234]?$/.test(w.champ), `warning field ${w.champ}`);
        }
        checked++;
      }),
      { numRuns: RUNS },
    );
    expect(checked).toBeGreaterThanOrEqual(RUNS);
  });
});
