/**
 * The indicator filters (issue 6 §2) and their rendering: each filter has a JSON schema (for
 * validation and OpenAPI), a parser that checks the value against its referential or format and
 * returns the normalised value, and the fact column it constrains. Parsers throw a 400 ApiError
 * naming the field; parsed values are rendered through api/sql/render.ts only.
 *
 * Referentials: département, région and académie codes from streams/referentiels/territoires.ts;
 * UAI by format and check letter, SIRET by Luhn (streams/referentiels/identifiants.ts); CFD, RNCP
 * and NSF domain by the patterns of dossier-apprenant-v3.md; levels, age bands, sex and RQTH from
 * closed lists (streams/facts/dimensions.ts).
 */
import { TRANCHES_AGE } from '../../streams/facts/dimensions';
import { isValidSiret, isValidUai } from '../../streams/referentiels/identifiants';
import type { Territoires } from '../../streams/referentiels/territoires';
import { badField } from '../errors';
import { ident, inList, lit, sql, type Sql } from './render';

/** Fact columns that filters, scopes and group-bys may name (same in effectifs_deltas, dossiers, statut_intervalles). */
export const DIMENSION_COLUMNS = [
  'region',
  'departement',
  'academie',
  'zone_emploi',
  'organisme_uai',
  'organisme_siret',
  'formation_cfd',
  'formation_rncp',
  'niveau',
  'domaine',
  'tranche_age',
  'sexe',
  'rqth',
] as const;
export type DimensionColumn = (typeof DIMENSION_COLUMNS)[number];

export const FILTER_NAMES = [
  'region',
  'departement',
  'academie',
  'zone_emploi',
  'uai',
  'siret',
  'cfd',
  'rncp',
  'niveau',
  'domaine',
  'tranche_age',
  'sexe',
  'rqth',
] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

/** Parsed, normalised filter values. */
export type Filters = Partial<Record<FilterName, string>>;

interface FilterSpec {
  column: DimensionColumn;
  /** JSON schema of the query value (OpenAPI and first validation). */
  schema: Record<string, unknown>;
  /** Normalised value, or throws a 400 naming the field. */
  parse(raw: string, territoires: Territoires): string;
}

const NIVEAUX = ['3', '4', '5', '6', '7'];

const inSet = (set: Set<string>, what: string) => (raw: string) => {
  if (!set.has(raw))
    throw badField(what, `code inconnu du référentiel (${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw})`);
  return raw;
};

const matching = (name: string, re: RegExp, expected: string) => (raw: string) => {
  if (!re.test(raw)) throw badField(name, `format invalide, attendu ${expected}`);
  return raw;
};

/** The filter catalogue: query name → column, schema, parser. */
export const FILTERS: Readonly<Record<FilterName, FilterSpec>> = {
  region: {
    column: 'region',
    schema: { type: 'string', maxLength: 3, description: 'Code INSEE de région (ex. 84)' },
    parse: (raw, t) => inSet(t.codes.regions, 'region')(raw),
  },
  departement: {
    column: 'departement',
    schema: { type: 'string', maxLength: 3, description: 'Code de département (01…95, 2A, 2B, 971…976)' },
    parse: (raw, t) => inSet(t.codes.departements, 'departement')(raw),
  },
  academie: {
    column: 'academie',
    schema: { type: 'string', maxLength: 3, description: "Code d'académie (ex. 10 Lyon)" },
    parse: (raw, t) => inSet(t.codes.academies, 'academie')(raw),
  },
  zone_emploi: {
    column: 'zone_emploi',
    schema: { type: 'string', maxLength: 4, description: "Code de zone d'emploi INSEE (4 chiffres)" },
    parse: matching('zone_emploi', /^[0-9]{4}$/, '4 chiffres'),
  },
  uai: {
    column: 'organisme_uai',
    schema: {
      type: 'string',
      maxLength: 8,
      description: "UAI de l'organisme formateur (7 chiffres et la lettre de contrôle)",
    },
    parse(raw) {
      const uai = raw.toUpperCase();
      if (!/^[0-9]{7}[A-Z]$/.test(uai))
        throw badField('uai', 'format invalide, attendu 7 chiffres et une lettre');
      if (!isValidUai(uai)) throw badField('uai', 'lettre de contrôle incorrecte');
      return uai;
    },
  },
  siret: {
    column: 'organisme_siret',
    schema: { type: 'string', maxLength: 14, description: "SIRET de l'organisme formateur (14 chiffres)" },
    parse(raw) {
      if (!/^[0-9]{14}$/.test(raw)) throw badField('siret', 'format invalide, attendu 14 chiffres');
      if (!isValidSiret(raw)) throw badField('siret', 'clé de contrôle (Luhn) incorrecte');
      return raw;
    },
  },
  cfd: {
    column: 'formation_cfd',
    schema: { type: 'string', maxLength: 8, description: 'Code formation diplôme (8 caractères)' },
    parse: (raw) => matching('cfd', /^[A-Z0-9]{8}$/, '8 lettres majuscules ou chiffres')(raw.toUpperCase()),
  },
  rncp: {
    column: 'formation_rncp',
    schema: {
      type: 'string',
      maxLength: 9,
      description: 'Code RNCP (RNCP suivi de 2 à 5 chiffres ; le préfixe est ajouté s’il manque)',
    },
    parse(raw) {
      const m = /^(?:RNCP)?([0-9]{2,5})$/i.exec(raw);
      if (!m) throw badField('rncp', 'format invalide, attendu RNCP suivi de 2 à 5 chiffres');
      return `RNCP${m[1]}`;
    },
  },
  niveau: {
    column: 'niveau',
    schema: { type: 'string', enum: NIVEAUX, description: 'Niveau de diplôme (3 CAP … 7 master)' },
    parse: (raw) => inSet(new Set(NIVEAUX), 'niveau')(raw),
  },
  domaine: {
    column: 'domaine',
    schema: { type: 'string', maxLength: 3, description: 'Groupe de spécialité NSF (3 chiffres, ex. 221)' },
    parse: matching('domaine', /^[1-9][0-9]{2}$/, '3 chiffres (groupe NSF)'),
  },
  tranche_age: {
    column: 'tranche_age',
    schema: {
      type: 'string',
      enum: [...TRANCHES_AGE],
      description: "Tranche d'âge à l'entrée en formation (encoder < et + dans l'URL : %3C18, 26%2B)",
    },
    parse: (raw) => inSet(new Set<string>(TRANCHES_AGE), 'tranche_age')(raw),
  },
  sexe: {
    column: 'sexe',
    schema: { type: 'string', enum: ['M', 'F'], description: 'Sexe (M ou F)' },
    parse: (raw) => inSet(new Set(['M', 'F']), 'sexe')(raw),
  },
  rqth: {
    column: 'rqth',
    schema: {
      type: 'string',
      enum: ['0', '1', 'true', 'false'],
      description: 'Reconnaissance de la qualité de travailleur handicapé',
    },
    parse(raw) {
      if (raw === '1' || raw === 'true') return '1';
      if (raw === '0' || raw === 'false') return '0';
      throw badField('rqth', 'valeur attendue parmi 0, 1, true, false');
    },
  },
};

/** JSON schema properties of every filter (merge into a route's querystring schema). */
export const filterProperties: Record<string, Record<string, unknown>> = Object.fromEntries(
  FILTER_NAMES.map((n) => [n, FILTERS[n].schema]),
);

/**
 * Parses the filters present in a query object (other keys are ignored here: the route's schema
 * refuses unknown ones). Throws a 400 ApiError naming the first bad field.
 */
export function parseFilters(query: Record<string, unknown>, territoires: Territoires): Filters {
  const out: Filters = {};
  for (const name of FILTER_NAMES) {
    const raw = query[name];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') throw badField(name, 'une seule valeur attendue');
    if (raw.length === 0) throw badField(name, 'valeur vide');
    out[name] = FILTERS[name].parse(raw, territoires);
  }
  return out;
}

/** `column` as an Sql identifier (closed list). */
export const column = (name: DimensionColumn): Sql => ident(name, DIMENSION_COLUMNS);

/** One rendered value of a column: rqth is UInt8, every other dimension a String. */
export const valueOf = (col: DimensionColumn, value: string): Sql =>
  col === 'rqth' ? lit.uint(Number(value)) : lit.string(value);

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
