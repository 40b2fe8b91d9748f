/**
 * The public answers of the indicator routes (docs/statistical-disclosure-control.md): one query
 * (api/indicateurs/disclosure-queries.ts) gives each cell's exact counts, population key and
 * parents' populations; api/secrecy/disclosure.ts publishes each cell from those facts alone.
 *
 * - `publicIndicator`: one cell, at the date or (population below SEUIL_QUOTIDIEN) the first day of
 *   its month; the answer's `date` is the date published.
 * - `publicTable`: one cell per group and the total; the whole table is at the first day of the
 *   month as soon as one of its cells is below SEUIL_QUOTIDIEN at the date, so that every row is
 *   the same cell as the single indicator of its group (same date, same filters, same value).
 * - `publicSeries`: each step's cell at its own effective date; steps sharing an effective date
 *   give one point (a small population's daily series is monthly).
 */
import { addStatus, zeroCounts, stepsOf, type Pas } from './service';
import { dayFromIso, isoFromDay, type Statut } from '../../streams/status';
import { populationKey } from '../secrecy/cell-key';
import {
  effectiveDay,
  monthStart,
  populationOf,
  publishCell,
  SEUIL_QUOTIDIEN,
  type CellFacts,
} from '../secrecy/disclosure';
import type { Counts, Published } from '../secrecy';
import type { Filters } from '../sql/filters';
import type { QueryRunner } from '../sql/runner';
import { namedConditions, publicCellsSql, publicSeriesSql } from './disclosure-queries';
import { GROUP_FILTERS, type GroupDimension } from './queries';

type SumRow = { statut: Statut; code?: string; j?: string } & Record<string, string | number | undefined>;

/** Running facts of one cell: counts per counter, hash sum, each parent's population. */
interface Acc {
  counts: Counts;
  hash: bigint;
  parents: number[];
}

const emptyAcc = (parents: number): Acc => ({
  counts: zeroCounts(),
  hash: 0n,
  parents: new Array<number>(parents).fill(0),
});

function addRow(acc: Acc, r: SumRow, t: number): void {
  addStatus(acc.counts, r.statut, Number(r[`n_${t}`]));
  acc.hash += BigInt(String(r[`h_${t}`] ?? 0));
  acc.parents.forEach((_p, i) => (acc.parents[i]! += Number(r[`p${i}_${t}`])));
}

const copyAcc = (a: Acc): Acc => ({ counts: { ...a.counts }, hash: a.hash, parents: [...a.parents] });

function factsOf(acc: Acc, parents: readonly number[] = acc.parents): CellFacts {
  const n = populationOf(acc.counts);
  return { counts: acc.counts, key: populationKey(acc.hash), complements: parents.map((p) => p - n) };
}

/** The date indexes of a cells query: 0 is `day`, 1 its month's first day (when different). */
function daysOf(day: number): { days: string[]; month: number } {
  const m = monthStart(day);
  return m === day
    ? { days: [isoFromDay(day)], month: 0 }
    : { days: [isoFromDay(day), isoFromDay(m)], month: 1 };
}

/** The single indicator of `filters` at `date` (YYYY-MM-DD), as the public sees it. */
export async function publicIndicator(
  runner: QueryRunner,
  database: string,
  secret: Buffer,
  date: string,
  filters: Filters,
): Promise<{ date: string } & Published> {
  const day = dayFromIso(date);
  const { days, month } = daysOf(day);
  const parents = namedConditions(filters).length;
  const rows = await runner.rows<SumRow>('indicateur', publicCellsSql(database, days, filters));
  const at = (t: number) => {
    const acc = emptyAcc(parents);
    for (const r of rows) addRow(acc, r, t);
    return acc;
  };
  const atDay = at(0);
  const eff = effectiveDay(day, populationOf(atDay.counts));
  const acc = eff === day ? atDay : at(month);
  return { date: isoFromDay(eff), ...publishCell(factsOf(acc), secret) };
}

/** The group-by table of `filters` at `date`, as the public sees it: rows sorted by code, and the total. */
export async function publicTable(
  runner: QueryRunner,
  database: string,
  secret: Buffer,
  date: string,
  dimension: GroupDimension,
  filters: Filters,
): Promise<{ date: string; rows: { code: string; published: Published }[]; total: Published }> {
  const day = dayFromIso(date);
  const { days, month } = daysOf(day);
  const names = namedConditions(filters).map((c) => c.name);
  const rows = await runner.rows<SumRow>('par', publicCellsSql(database, days, filters, dimension));
  const build = (t: number) => {
    const byCode = new Map<string, Acc>();
    const total = emptyAcc(names.length);
    for (const r of rows) {
      const code = String(r.code ?? '');
      let acc = byCode.get(code);
      if (!acc) byCode.set(code, (acc = emptyAcc(names.length)));
      addRow(acc, r, t);
      addRow(total, r, t);
    }
    return { byCode, total };
  };
  const atDay = build(0);
  const small = [...atDay.byCode.values(), atDay.total].some(
    (a) => populationOf(a.counts) > 0 && populationOf(a.counts) < SEUIL_QUOTIDIEN,
  );
  const eff = small ? monthStart(day) : day;
  const { byCode, total } = eff === day ? atDay : build(month);
  // The parents of a row's cell (filters ∪ {dimension = code}): without the dimension, the table's
  // population; without filter i, parent i of that code. When the dimension is itself one of the
  // filters, the row's cell is the filters' cell and its parent without that filter covers every code.
  const own = names.indexOf(GROUP_FILTERS[dimension]);
  const totalPop = populationOf(total.counts);
  const out = [...byCode.entries()]
    .filter(([, a]) => a.counts.apprenants !== 0 || a.counts.abandons !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, a]) => {
      const parents =
        own >= 0 ? a.parents.map((p, i) => (i === own ? total.parents[i]! : p)) : [totalPop, ...a.parents];
      return { code, published: publishCell(factsOf(a, parents), secret) };
    });
  return { date: isoFromDay(eff), rows: out, total: publishCell(factsOf(total), secret) };
}

/** The series of `filters` from `from` to `to` (day numbers): one point per effective date. */
export async function publicSeries(
  runner: QueryRunner,
  database: string,
  secret: Buffer,
  from: number,
  to: number,
  pas: Pas,
  filters: Filters,
): Promise<({ date: string } & Published)[]> {
  const steps = stepsOf(from, to, pas);
  const fold = monthStart(from);
  const parents = namedConditions(filters).length;
  const rows = await runner.rows<SumRow>(
    'series',
    publicSeriesSql(database, isoFromDay(fold), isoFromDay(to), filters),
  );
  const deltas = rows.map((r) => ({ day: dayFromIso(String(r.j)), r })).sort((a, b) => a.day - b.day);
  // Snapshots of the running sums at every day a point may need: each step and its month's first day.
  const needed = [...new Set(steps.flatMap((s) => [s, monthStart(s)]))].sort((a, b) => a - b);
  const snapshots = new Map<number, Acc>();
  const running = emptyAcc(parents);
  let i = 0;
  for (const d of needed) {
    while (i < deltas.length && deltas[i]!.day <= d) addRow(running, deltas[i++]!.r, 0);
    snapshots.set(d, copyAcc(running));
  }
  // A step whose population is small gives its month's first day: one point per effective date,
  // in date order (a population crossing SEUIL_QUOTIDIEN within a month can move a point back).
  const points = new Map<number, { date: string } & Published>();
  for (const s of steps) {
    const eff = effectiveDay(s, populationOf(snapshots.get(s)!.counts));
    if (!points.has(eff))
      points.set(eff, { date: isoFromDay(eff), ...publishCell(factsOf(snapshots.get(eff)!), secret) });
  }
  return [...points.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
}
