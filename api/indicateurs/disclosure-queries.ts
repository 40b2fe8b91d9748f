/**
 * The SQL of the public indicators (docs/statistical-disclosure-control.md), built only from
 * api/sql (typed rendering, closed identifier lists). One scan of `effectifs_deltas` answers a
 * whole public request: for each date asked (the date and the first day of its month, rule 4),
 * the counts of the cell per status, the sum of its members' record-key hashes (the population's
 * cell key, rule 3) and, for each filter of the request, the counts of the population without that
 * filter (the parents of the complement rule, rule 2), as conditional sums (`sumIf`). The
 * territory pre-aggregate cannot answer: it has no record key.
 *
 * A learner in status S at day D contributes +1 to sum(delta) over jour ≤ D
 * (api/indicateurs/queries.ts), so sum(delta × hash(record_key)) over the same rows is the sum of
 * the hashes of the learners in S at D: each record's deltas net to 1 or 0, its hash with them.
 */
import { and, ident, join, lit, sql, table, type Sql } from '../sql/render';
import { column, filterConditions, FILTER_NAMES, type FilterName, type Filters } from '../sql/filters';
import { GROUP_DIMENSIONS, type GroupDimension } from './queries';

/** Largest number of dates in one cells query (the date and its month's first day). */
const MAX_DAYS = 2;

/** Column aliases of the cells queries: n_t (count), h_t (hash sum), p{i}_t (parent i's count), t a date index. */
export const CELL_ALIASES: readonly string[] = Array.from({ length: MAX_DAYS }, (_, t) => [
  `n_${t}`,
  `h_${t}`,
  ...FILTER_NAMES.map((_n, i) => `p${i}_${t}`),
]).flat();
const alias = (name: string) => ident(name, CELL_ALIASES);

const DELTA = sql`toInt64(delta)`;
/** A 32-bit hash of the record key, times the delta (sums of these fit in Int64: |sum| < 2^32 × rows). */
const DELTA_HASH = sql`toInt64(delta) * toInt64(sipHash64(record_key) % 4294967296)`;

/** The request's filters in catalogue order, with their conditions. */
export function namedConditions(filters: Filters): { name: FilterName; condition: Sql }[] {
  return FILTER_NAMES.filter((n) => filters[n] !== undefined).map((name) => ({
    name,
    condition: filterConditions({ [name]: filters[name] })[0]!,
  }));
}

const without = (conds: readonly Sql[], i: number) => conds.filter((_c, j) => j !== i);

/** The sums of one date: count, hash sum, and each parent's count. */
function sumsAt(upTo: Sql, conds: readonly Sql[], t: number): Sql[] {
  const name = (base: string) => alias(`${base}_${t}`);
  const within = (c: readonly Sql[]) => and([upTo, ...c]);
  return [
    sql`sumIf(${DELTA}, ${within(conds)}) AS ${name('n')}`,
    sql`sumIf(${DELTA_HASH}, ${within(conds)}) AS ${name('h')}`,
    ...conds.map((_c, i) => sql`sumIf(${DELTA}, ${within(without(conds, i))}) AS ${name(`p${i}`)}`),
  ];
}

/** Rows matching the request or any of its parents (every row when there is no filter). */
function scope(conds: readonly Sql[]): Sql[] {
  if (conds.length === 0) return [];
  return [
    join(
      conds.map((_c, i) => and(without(conds, i))),
      ' OR ',
    ),
  ];
}

/**
 * Rows ([code,] statut, n_t, h_t, p{i}_t) for each date t of `days` (YYYY-MM-DD, at most two):
 * the cell's counts per status (per group code with `groupBy`), hash sums and parents' counts.
 * Parent i is the request without its i-th filter (namedConditions order); with `groupBy`, each
 * parent is also split by group code.
 */
export function publicCellsSql(
  database: string,
  days: readonly string[],
  filters: Filters,
  groupBy?: GroupDimension,
): Sql {
  if (days.length === 0 || days.length > MAX_DAYS) throw new RangeError('one or two days expected');
  const conds = namedConditions(filters).map((c) => c.condition);
  const last = [...days].sort().at(-1)!;
  const sums = days.flatMap((day, t) => sumsAt(sql`jour <= ${lit.date(day)}`, conds, t));
  const where = and([
    sql`jour <= ${lit.date(last)}`,
    sql`fiable = 1`,
    sql`apprentissage = 1`,
    ...scope(conds),
  ]);
  const from = table(database, 'effectifs_deltas');
  if (groupBy === undefined) return sql`SELECT statut, ${sums} FROM ${from} WHERE ${where} GROUP BY statut`;
  const code = column(GROUP_DIMENSIONS[groupBy]);
  return sql`SELECT ${code} AS code, statut, ${sums} FROM ${from} WHERE ${where} GROUP BY code, statut`;
}

/**
 * Rows (statut, j, n_0, h_0, p{i}_0): the same sums per status and day up to `to`, every day before
 * `fold` folded into `fold` (running sums over the days give each day's cell from `fold` on).
 */
export function publicSeriesSql(database: string, fold: string, to: string, filters: Filters): Sql {
  const conds = namedConditions(filters).map((c) => c.condition);
  const where = and([sql`jour <= ${lit.date(to)}`, sql`fiable = 1`, sql`apprentissage = 1`, ...scope(conds)]);
  const sums = sumsAt(sql`1`, conds, 0);
  return sql`SELECT statut, toString(greatest(jour, ${lit.date(fold)})) AS j, ${sums} FROM ${table(database, 'effectifs_deltas')} WHERE ${where} GROUP BY statut, j`;
}

/** The builders of this module (test/chdb runs each on ClickHouse 18.16 and current ClickHouse). */
export const SQL_BUILDERS = { publicCellsSql, publicSeriesSql };
