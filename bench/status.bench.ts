/**
 * Benchmark of the status engine (not a test): `npm run bench:status`.
 *
 * Generates v3 learner records (one- and two-year trainings, 0–4 contracts, some ruptured, a few
 * overlapping, starting before the training or excluded), then, in one run and on the same inputs,
 * measures records per second of:
 * - the engine on day numbers: computeParcours alone (dates already parsed);
 * - the engine on ISO dates: dayFromIso on each date + computeParcours, from the very objects the
 *   reference reads;
 * - the engine on v3 records: parcoursFromV3 (field lookup, parsing of every date shape, engine);
 * - the day-by-day reference kept in test/ (the property test's oracle), on 'YYYY-MM-DD' dates.
 * The target ratio is the engine on ISO dates over the reference: same input, same work.
 * Machines are noisy: several rounds, medians printed. Then prints the size of the results by
 * number of contracts and training length (it must not grow with the length).
 *
 * Targets (issue 3): engine ≥ 500,000 records/s on one core, and ≥ 100× the reference.
 * Environment: BENCH_RECORDS (default 5000), BENCH_ROUNDS (default 7).
 */
import { dayFromIso, isoFromDay } from '../streams/status/calendar';
import { computeParcours } from '../streams/status/engine';
import { dossierDatesFromV3, parcoursFromV3 } from '../streams/status/from-v3';
import type { Contrat, DossierDates } from '../streams/status/types';
import { referenceParcours, type ReferenceDossier } from '../test/status/reference-day-by-day';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 5_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const TARGET_RATE = 500_000;
const TARGET_RATIO = 100;

/** Small seeded PRNG (mulberry32), so every run measures the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One input in its three shapes: the v3 record, its parsed dates, the reference's ISO dates. */
interface Input {
  v3: Record<string, unknown>;
  dates: DossierDates;
  ref: ReferenceDossier;
}

const SUFFIXES = ['', '_2', '_3', '_4'];

function generate(count: number, seed: number, fixed?: { contracts: number; years: 1 | 2 }): Input[] {
  const rnd = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const firstSeptember = dayFromIso('2023-09-01');
  const out: Input[] = [];
  for (let n = 0; n < count; n++) {
    const years = fixed?.years ?? (rnd() < 0.5 ? 1 : 2);
    const entree = firstSeptember + int(0, 3) * 365 + int(-20, 40);
    const fin = entree + years * 365 - 1 + int(-60, 0);
    const k = fixed?.contracts ?? int(0, 4);
    const v3: Record<string, unknown> = {
      date_entree_formation: isoFromDay(entree),
      date_fin_formation: isoFromDay(fin),
    };
    const ref: ReferenceDossier = {
      entree: isoFromDay(entree),
      fin: isoFromDay(fin),
      exclusion: null,
      contrats: [],
    };
    let next = entree + int(-5, 90); // some contracts start before the training
    for (let i = 0; i < k && next <= fin; i++) {
      const debut = next;
      const plannedEnd = rnd() < 0.1 ? null : Math.min(fin + int(0, 30), debut + int(30, years * 180));
      const end = plannedEnd ?? fin;
      const rupture = rnd() < 0.35 && end > debut + 1 ? int(debut + 1, end) : null;
      const c = {
        debut: isoFromDay(debut),
        fin: plannedEnd === null ? null : isoFromDay(plannedEnd),
        rupture: rupture === null ? null : isoFromDay(rupture),
      };
      v3[`contrat_date_debut${SUFFIXES[i]}`] = c.debut;
      if (c.fin !== null) v3[`contrat_date_fin${SUFFIXES[i]}`] = c.fin;
      if (c.rupture !== null) v3[`contrat_date_rupture${SUFFIXES[i]}`] = c.rupture;
      ref.contrats.push(c);
      next = (rupture ?? end + 1) + (rnd() < 0.05 ? int(-20, -1) : int(0, 120)); // a few overlaps
    }
    if (rnd() < 0.05) {
      ref.exclusion = isoFromDay(entree + int(0, years * 365));
      v3.date_exclusion_formation = ref.exclusion;
    }
    out.push({ v3, dates: dossierDatesFromV3(v3).dates, ref });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

let sink = 0; // keeps results alive so the work is not optimised away

/** Records per second of `fn` over `inputs`, `passes` times. */
function measure(inputs: Input[], passes: number, fn: (x: Input) => number): number {
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) for (let i = 0; i < inputs.length; i++) sink += fn(inputs[i]!);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return (inputs.length * passes) / seconds;
}

/** The engine on exactly the reference's input: 'YYYY-MM-DD' dates, converted here. */
function engineFromIso(r: ReferenceDossier): number {
  const contrats: Contrat[] = [];
  for (const c of r.contrats) {
    contrats.push({
      debut: dayFromIso(c.debut),
      fin: c.fin === null ? null : dayFromIso(c.fin),
      rupture: c.rupture === null ? null : dayFromIso(c.rupture),
    });
  }
  const dates: DossierDates = {
    entree: dayFromIso(r.entree),
    fin: dayFromIso(r.fin),
    exclusion: r.exclusion === null ? null : dayFromIso(r.exclusion),
    contrats,
  };
  return computeParcours(dates).parcours.length;
}

const IMPLEMENTATIONS: { name: string; fn: (x: Input) => number }[] = [
  { name: 'engine, day numbers', fn: (x) => computeParcours(x.dates).parcours.length },
  { name: 'engine, ISO dates', fn: (x) => engineFromIso(x.ref) },
  { name: 'engine, v3 record', fn: (x) => parcoursFromV3(x.v3).parcours.length },
  { name: 'day-by-day reference', fn: (x) => referenceParcours(x.ref).length },
];

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function main(): void {
  const inputs = generate(RECORDS, 20240901);
  // Warm up (JIT), then size each implementation's round to about 0.25 s.
  const passes = IMPLEMENTATIONS.map(({ fn }) => {
    measure(inputs, 1, fn);
    return Math.max(1, Math.round((0.25 * measure(inputs, 1, fn)) / inputs.length));
  });
  const rates: number[][] = IMPLEMENTATIONS.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    IMPLEMENTATIONS.forEach(({ fn }, i) => rates[i]!.push(measure(inputs, passes[i]!, fn)));
  }
  const medians = rates.map(median);
  const [core, fromIso, fromV3, reference] = medians as [number, number, number, number];

  const days = inputs.reduce((s, x) => s + x.dates.fin - x.dates.entree + 1, 0) / inputs.length;
  const contracts = inputs.reduce((s, x) => s + x.dates.contrats.length, 0) / inputs.length;
  console.log(
    `status engine benchmark: ${fmt(RECORDS)} records (mean ${fmt(days)} days, ${fmt(contracts, 2)} contracts), ` +
      `${ROUNDS} rounds, medians; Node ${process.version}, one thread`,
  );
  console.log('');
  console.log('| implementation            | records/s (median) |        min |        max | µs/record |');
  console.log('|---------------------------|-------------------:|-----------:|-----------:|----------:|');
  IMPLEMENTATIONS.forEach(({ name }, i) => {
    const rs = rates[i]!;
    console.log(
      `| ${name.padEnd(25)} | ${fmt(medians[i]!).padStart(18)} | ${fmt(Math.min(...rs)).padStart(10)} | ${fmt(Math.max(...rs)).padStart(10)} | ${fmt(1e6 / medians[i]!, 3).padStart(9)} |`,
    );
  });
  console.log('');
  // The target ratio compares the two on the same input (ISO dates); the others are for information.
  const ratio = fromIso / reference;
  console.log(`ratio to the day-by-day reference (medians): engine on the same ISO dates ${fmt(ratio, 0)}×`);
  console.log(
    `  (engine on day numbers ${fmt(core / reference, 0)}×, engine on v3 records ${fmt(fromV3 / reference, 0)}×)`,
  );
  console.log(
    `targets: ≥ ${fmt(TARGET_RATE)} records/s: ${Math.min(core, fromIso, fromV3) >= TARGET_RATE ? 'met' : 'NOT MET'}; ` +
      `≥ ${TARGET_RATIO}× the reference: ${ratio >= TARGET_RATIO ? 'met' : 'NOT MET'}`,
  );
  memoryTable();
  if (sink === -1) console.log(''); // reads the sink
}

/**
 * Memory per result: the engine allocates O(k) per record (k contracts): the parcours has at most
 * 3k + 4 entries (INSCRIT/ABANDON before the first contract, APPRENTI/RUPTURANT/ABANDON per run of
 * contract days, an exclusion, the last day), the warnings O(k). Prints the largest and mean parcours
 * by contracts and training length: it must not grow with the length. (GC heap deltas were tried and
 * were too noisy to print.)
 */
function memoryTable(): void {
  const count = 20_000;
  console.log('');
  console.log(`parcours entries per record, largest / mean (${fmt(count)} records per cell; bound 3k + 4):`);
  console.log('| contracts k | 1-year training | 2-year training |');
  console.log('|------------:|----------------:|----------------:|');
  for (let k = 0; k <= 4; k++) {
    const cells = ([1, 2] as const).map((years) => {
      let max = 0;
      let total = 0;
      for (const x of generate(count, 7 + k, { contracts: k, years })) {
        const n = computeParcours(x.dates).parcours.length;
        max = Math.max(max, n);
        total += n;
      }
      return `${max} / ${fmt(total / count, 2)}`;
    });
    console.log(`| ${String(k).padStart(11)} | ${cells[0]!.padStart(15)} | ${cells[1]!.padStart(15)} |`);
  }
}

main();
