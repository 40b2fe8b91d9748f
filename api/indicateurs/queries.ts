/**
 * The SQL of the indicators, built only from api/sql (typed rendering, closed identifier lists).
 *
 * The number of learners in status S at date D is the sum of `delta` over the days up to D
 * (infra/clickhouse/migrations/0001_fact_model.sql: each status interval is +1 on its first day
 * and -1 the day after its last; a new version cancels the previous one), so any past date is
 * answerable and "today" includes the transitions caused by time alone (the parcours holds the
 * projected future). Only reliable organisations' apprentices count (fiable = 1, apprentissage = 1).
 *
 * Two tables answer the same sums: `effectifs_deltas` (every dimension) and
 * `effectifs_territoire` (migration 0201: the same deltas summed by day, status and territory,
 * already restricted to fiable = 1 AND apprentissage = 1, about 17 times fewer rows). A query
 * whose filters, scope and group-by only use the territorial dimensions (région, département,
 * académie: `territorial` in streams/facts/descriptors.ts) reads the latter.
 */
import { DIMENSIONS } from '../../streams/facts/dimensions';
import { and, ident, lit, sql, table, type Sql, type Table } from '../sql/render';
import {
  column,
  filterConditions,
  scopeCondition,
  type DimensionColumn,
  type FilterName,
  type Filters,
  type ScopeRestriction,
} from '../sql/filters';

type Descriptor = (typeof DIMENSIONS)[number];

/** Group-by dimensions of /indicateurs/par/{dimension} (descriptors with a `groupBy`). */
export type GroupDimension = NonNullable<Descriptor['groupBy']>;

/** Group name → fact column. */
export const GROUP_DIMENSIONS: Readonly<Record<GroupDimension, DimensionColumn>> = Object.fromEntries(
  DIMENSIONS.flatMap((d) => (d.groupBy ? [[d.groupBy, d.name]] : [])),
) as Record<GroupDimension, DimensionColumn>;
export const GROUP_DIMENSION_NAMES = Object.keys(GROUP_DIMENSIONS) as GroupDimension[];

/**
 * Group name → the filter that selects one group (a table row is the table's filters plus this
 * one): every group-by dimension has a filter.
 */
export const GROUP_FILTERS: Readonly<Record<GroupDimension, FilterName>> = Object.fromEntries(
  DIMENSIONS.flatMap((d) => {
    if (!d.groupBy) return [];
    if (!d.filter) throw new Error(`dimension ${d.name}: a group-by needs a filter`);
    return [[d.groupBy, d.filter.name]];
  }),
) as Record<GroupDimension, FilterName>;

/** What restricts a count: the request's filters and the caller's scope. */
export interface Selection {
  filters: Filters;
  scope: ScopeRestriction | null;
}

/** The columns effectifs_territoire carries, and the filters on them. */
const TERRITORIAL = DIMENSIONS.filter((d) => d.territorial);
const TERRITORY_COLUMNS: readonly DimensionColumn[] = TERRITORIAL.map((d) => d.name);
const TERRITORY_FILTERS = new Set<string>(TERRITORIAL.flatMap((d) => (d.filter ? [d.filter.name] : [])));

/** The table that can answer: the territory pre-aggregate when every column used is territorial. */
export function tableFor(sel: Selection, groupBy?: DimensionColumn): Table {
  const filtersOk = Object.keys(sel.filters).every((f) => TERRITORY_FILTERS.has(f));
  const scopeOk = sel.scope === null || TERRITORY_COLUMNS.includes(sel.scope.column);
  const groupOk = groupBy === undefined || TERRITORY_COLUMNS.includes(groupBy);
  return filtersOk && scopeOk && groupOk ? 'effectifs_territoire' : 'effectifs_deltas';
}

function parts(database: string, sel: Selection, groupBy?: DimensionColumn) {
  const t = tableFor(sel, groupBy);
  const conditions = filterConditions(sel.filters);
  if (sel.scope) conditions.push(scopeCondition(sel.scope));
  if (t === 'effectifs_deltas') conditions.push(sql`fiable = 1`, sql`apprentissage = 1`);
  const n = t === 'effectifs_deltas' ? ident('delta', ['delta']) : ident('n', ['n']);
  return { from: table(database, t), where: conditions, n };
}

/** Rows (statut, n): the number of learners per status at `day` (YYYY-MM-DD). */
export function countAtSql(database: string, day: string, sel: Selection): Sql {
  const p = parts(database, sel);
  return sql`SELECT statut, sum(${p.n}) AS n FROM ${p.from} WHERE ${and([sql`jour <= ${lit.date(day)}`, ...p.where])} GROUP BY statut`;
}

/** Rows (code, statut, n) at `day`, one per group and status with a non-zero count. */
export function countByAtSql(database: string, day: string, dimension: GroupDimension, sel: Selection): Sql {
  const col = GROUP_DIMENSIONS[dimension];
  const p = parts(database, sel, col);
  return sql`SELECT ${column(col)} AS code, statut, sum(${p.n}) AS n FROM ${p.from} WHERE ${and([sql`jour <= ${lit.date(day)}`, ...p.where])} GROUP BY code, statut HAVING n != 0`;
}

/**
 * Rows (statut, jour, n): the deltas up to `to` summed per status and day, every day before `from`
 * folded into `from` (so a running sum over the days gives the count at each day from `from`).
 */
export function seriesSql(database: string, from: string, to: string, sel: Selection): Sql {
  const p = parts(database, sel);
  return sql`SELECT statut, toString(greatest(jour, ${lit.date(from)})) AS j, sum(${p.n}) AS n FROM ${p.from} WHERE ${and([sql`jour <= ${lit.date(to)}`, ...p.where])} GROUP BY statut, j HAVING n != 0`;
}

/** The builders of this module (test/chdb runs each on ClickHouse 18.16 and current ClickHouse). */
export const SQL_BUILDERS = { countAtSql, countByAtSql, seriesSql };
