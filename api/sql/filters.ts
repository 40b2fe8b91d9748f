/**
 * The indicator filters (issue 6 §2) and their rendering, from the dimension descriptors
 * (streams/facts/descriptors.ts: each filter's name, JSON schema, expected values and parser, and
 * the fact column it constrains). Parsers' refusals become a 400 ApiError naming the field; parsed
 * values are rendered through api/sql/render.ts only.
 */
import { DIMENSIONS, type DimensionName, type FilterSpec } from '../../streams/facts/dimensions';
import type { Territoires } from '../../streams/referentiels/territoires';
import { badField, shown } from '../errors';
import { checkCharacters } from '../params';
import { ident, inList, lit, sql, type Sql } from './render';

type Descriptor = (typeof DIMENSIONS)[number];

/** Fact columns that filters, scopes and group-bys may name (same in effectifs_deltas, dossiers, statut_intervalles). */
export type DimensionColumn = DimensionName;
export const DIMENSION_COLUMNS: readonly DimensionColumn[] = DIMENSIONS.map((d) => d.name);

/** Query names of the filters. */
export type FilterName = NonNullable<Descriptor['filter']>['name'];

/** Parsed, normalised filter values. */
export type Filters = Partial<Record<FilterName, string>>;

interface FilterEntry {
  column: DimensionColumn;
  spec: FilterSpec<FilterName>;
}

const ENTRIES: readonly FilterEntry[] = DIMENSIONS.flatMap((d): FilterEntry[] =>
  d.filter ? [{ column: d.name, spec: d.filter as FilterSpec<FilterName> }] : [],
);

/** Every filter's query name, in the descriptors' order. */
export const FILTER_NAMES: readonly FilterName[] = ENTRIES.map((e) => e.spec.name);

/** The filter catalogue: query name → column and spec. */
export const FILTERS: Readonly<Record<FilterName, FilterEntry>> = Object.fromEntries(
  ENTRIES.map((e) => [e.spec.name, e]),
) as Record<FilterName, FilterEntry>;

/** JSON schema properties of every filter (merge into a route's querystring schema). */
export const filterProperties: Record<string, Record<string, unknown>> = Object.fromEntries(
  FILTER_NAMES.map((n) => [n, { ...FILTERS[n].spec.schema }]),
);

/**
 * One filter's query value, normalised; a 400 naming the field and the real reason: a repeated
 * parameter, an empty value, invalid characters (control characters, undecodable bytes), then the
 * filter's own check (referential, format, check digit).
 */
export function parseFilter(name: FilterName, raw: unknown, territoires: Territoires): string {
  if (Array.isArray(raw)) throw badField(name, 'une seule valeur attendue (paramètre répété)');
  if (typeof raw !== 'string') throw badField(name, 'texte attendu');
  const { spec } = FILTERS[name];
  if (raw.length === 0) throw badField(name, `valeur vide ; attendu : ${spec.expected}`);
  checkCharacters(name, raw, `attendu : ${spec.expected}`);
  const parsed = spec.parse(raw, territoires);
  if (typeof parsed === 'string') return parsed;
  throw badField(
    name,
    `${parsed.refusal}${shown(raw)}${parsed.expected ? ` ; attendu : ${spec.expected}` : ''}`,
  );
}

export const isFilterName = (name: string): name is FilterName =>
  (FILTER_NAMES as readonly string[]).includes(name);

/**
 * Parses the filters present in a query object (other keys are ignored here: the route's schema
 * refuses unknown ones). Throws a 400 ApiError naming the first bad field.
 */
export function parseFilters(query: Record<string, unknown>, territoires: Territoires): Filters {
  const out: Filters = {};
  for (const name of FILTER_NAMES) {
    const raw = query[name];
    if (raw === undefined) continue;
    out[name] = parseFilter(name, raw, territoires);
  }
  return out;
}

/** `column` as an Sql identifier (closed list). */
export const column = (name: DimensionColumn): Sql => ident(name, DIMENSION_COLUMNS);

const TYPES = new Map(DIMENSIONS.map((d) => [d.name, d.type]));

/** One rendered value of a column, by its type (UInt8 dimensions hold 0/1, the others are String). */
export const valueOf = (col: DimensionColumn, value: string): Sql =>
  TYPES.get(col) === 'UInt8' ? lit.uint(Number(value)) : lit.string(value);

/** The WHERE conditions of parsed filters. */
export function filterConditions(filters: Filters): Sql[] {
  const out: Sql[] = [];
  for (const name of FILTER_NAMES) {
    const v = filters[name];
    if (v === undefined) continue;
    const col = FILTERS[name].column;
    out.push(sql`${column(col)} = ${valueOf(col, v)}`);
  }
  return out;
}

/** A restriction of the rows to a role's scope: `column IN (values)`. */
export interface ScopeRestriction {
  column: DimensionColumn;
  values: readonly string[];
}

export function scopeCondition(scope: ScopeRestriction): Sql {
  return inList(
    column(scope.column),
    scope.values.map((v) => valueOf(scope.column, v)),
  );
}
