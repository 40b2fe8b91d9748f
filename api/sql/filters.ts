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
import { badField, shown } from '../errors';
import { checkCharacters } from '../params';
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
  /** What is expected, in words (appended to the refusals). */
  expected: string;
  /** Normalised value, or throws a 400 naming the field and the reason. */
  parse(raw: string, territoires: Territoires): string;
}

const NIVEAUX = ['3', '4', '5', '6', '7'];

/** A code of a referential or closed list; `unknown` says which kind of code was not found. */
const inSet =
  (name: FilterName, set: ReadonlySet<string>, unknown: string, expected: string) => (raw: string) => {
    if (!set.has(raw)) throw badField(name, `${unknown}${shown(raw)} ; attendu : ${expected}`);
    return raw;
  };

const matching = (name: FilterName, re: RegExp, expected: string) => (raw: string) => {
  if (!re.test(raw)) throw badField(name, `format invalide${shown(raw)} ; attendu : ${expected}`);
  return raw;
};

const EXPECTED = {
  region: 'code INSEE de région (ex. 84)',
  departement: 'code de département (01…95, 2A, 2B, 971…976)',
  academie: "code d'académie (ex. 10 Lyon)",
  zone_emploi: "code INSEE de zone d'emploi, 4 chiffres",
  uai: '7 chiffres et la lettre de contrôle',
  siret: '14 chiffres',
  cfd: '8 lettres majuscules ou chiffres',
  rncp: 'RNCP suivi de 2 à 5 chiffres (le préfixe peut manquer)',
  niveau: NIVEAUX.join(', '),
  domaine: 'groupe de spécialité NSF, 3 chiffres (ex. 221)',
  tranche_age: `${TRANCHES_AGE.join(', ')} (encoder < et + dans l'URL : %3C18, 26%2B)`,
  sexe: 'M, F',
  rqth: '0, 1, true, false',
} as const satisfies Record<FilterName, string>;

/** The filter catalogue: query name → column, schema, parser. */
export const FILTERS: Readonly<Record<FilterName, FilterSpec>> = {
  region: {
    column: 'region',
    schema: { type: 'string', maxLength: 3, description: 'Code INSEE de région (ex. 84)' },
    expected: EXPECTED.region,
    parse: (raw, t) => inSet('region', t.codes.regions, 'code de région inconnu', EXPECTED.region)(raw),
  },
  departement: {
    column: 'departement',
    schema: { type: 'string', maxLength: 3, description: 'Code de département (01…95, 2A, 2B, 971…976)' },
    expected: EXPECTED.departement,
    parse: (raw, t) =>
      inSet('departement', t.codes.departements, 'code de département inconnu', EXPECTED.departement)(raw),
  },
  academie: {
    column: 'academie',
    schema: { type: 'string', maxLength: 3, description: "Code d'académie (ex. 10 Lyon)" },
    expected: EXPECTED.academie,
    parse: (raw, t) =>
      inSet('academie', t.codes.academies, "code d'académie inconnu", EXPECTED.academie)(raw),
  },
  zone_emploi: {
    column: 'zone_emploi',
    schema: { type: 'string', maxLength: 4, description: "Code de zone d'emploi INSEE (4 chiffres)" },
    expected: EXPECTED.zone_emploi,
    parse: matching('zone_emploi', /^[0-9]{4}$/, EXPECTED.zone_emploi),
  },
  uai: {
    column: 'organisme_uai',
    schema: {
      type: 'string',
      maxLength: 8,
      description: "UAI de l'organisme formateur (7 chiffres et la lettre de contrôle)",
    },
    expected: EXPECTED.uai,
    parse(raw) {
      const uai = raw.toUpperCase();
      if (!/^[0-9]{7}[A-Z]$/.test(uai))
        throw badField('uai', `format invalide${shown(raw)} ; attendu : ${EXPECTED.uai}`);
      if (!isValidUai(uai)) throw badField('uai', `lettre de contrôle incorrecte${shown(raw)}`);
      return uai;
    },
  },
  siret: {
    column: 'organisme_siret',
    schema: { type: 'string', maxLength: 14, description: "SIRET de l'organisme formateur (14 chiffres)" },
    expected: EXPECTED.siret,
    parse(raw) {
      if (!/^[0-9]{14}$/.test(raw))
        throw badField('siret', `format invalide${shown(raw)} ; attendu : ${EXPECTED.siret}`);
      if (!isValidSiret(raw)) throw badField('siret', `clé de contrôle (Luhn) incorrecte${shown(raw)}`);
      return raw;
    },
  },
  cfd: {
    column: 'formation_cfd',
    schema: { type: 'string', maxLength: 8, description: 'Code formation diplôme (8 caractères)' },
    expected: EXPECTED.cfd,
    parse: (raw) => {
      if (!/^[A-Z0-9]{8}$/.test(raw.toUpperCase()))
        throw badField('cfd', `format invalide${shown(raw)} ; attendu : ${EXPECTED.cfd}`);
      return raw.toUpperCase();
    },
  },
  rncp: {
    column: 'formation_rncp',
    schema: {
      type: 'string',
      maxLength: 9,
      description: 'Code RNCP (RNCP suivi de 2 à 5 chiffres ; le préfixe est ajouté s’il manque)',
    },
    expected: EXPECTED.rncp,
    parse(raw) {
      const m = /^(?:RNCP)?([0-9]{2,5})$/i.exec(raw);
      if (!m) throw badField('rncp', `format invalide${shown(raw)} ; attendu : ${EXPECTED.rncp}`);
      return `RNCP${m[1]}`;
    },
  },
  niveau: {
    column: 'niveau',
    schema: { type: 'string', enum: NIVEAUX, description: 'Niveau de diplôme (3 CAP … 7 master)' },
    expected: EXPECTED.niveau,
    parse: inSet('niveau', new Set(NIVEAUX), 'niveau inconnu', EXPECTED.niveau),
  },
  domaine: {
    column: 'domaine',
    schema: { type: 'string', maxLength: 3, description: 'Groupe de spécialité NSF (3 chiffres, ex. 221)' },
    expected: EXPECTED.domaine,
    parse: matching('domaine', /^[1-9][0-9]{2}$/, EXPECTED.domaine),
  },
  tranche_age: {
    column: 'tranche_age',
    schema: {
      type: 'string',
      enum: [...TRANCHES_AGE],
      description: "Tranche d'âge à l'entrée en formation (encoder < et + dans l'URL : %3C18, 26%2B)",
    },
    expected: EXPECTED.tranche_age,
    parse: (raw) =>
      inSet(
        'tranche_age',
        new Set<string>(TRANCHES_AGE),
        "tranche d'âge inconnue",
        EXPECTED.tranche_age,
      )(raw),
  },
  sexe: {
    column: 'sexe',
    schema: { type: 'string', enum: ['M', 'F'], description: 'Sexe (M ou F)' },
    expected: EXPECTED.sexe,
    parse: (raw) => inSet('sexe', new Set(['M', 'F']), 'valeur inconnue', EXPECTED.sexe)(raw),
  },
  rqth: {
    column: 'rqth',
    schema: {
      type: 'string',
      enum: ['0', '1', 'true', 'false'],
      description: 'Reconnaissance de la qualité de travailleur handicapé',
    },
    expected: EXPECTED.rqth,
    parse(raw) {
      if (raw === '1' || raw === 'true') return '1';
      if (raw === '0' || raw === 'false') return '0';
      throw badField('rqth', `valeur inconnue${shown(raw)} ; attendu : ${EXPECTED.rqth}`);
    },
  },
};

/** JSON schema properties of every filter (merge into a route's querystring schema). */
export const filterProperties: Record<string, Record<string, unknown>> = Object.fromEntries(
  FILTER_NAMES.map((n) => [n, FILTERS[n].schema]),
);

/**
 * One filter's query value, normalised; a 400 naming the field and the real reason: a repeated
 * parameter, an empty value, invalid characters (control characters, undecodable bytes), then the
 * filter's own check (referential, format, check digit).
 */
export function parseFilter(name: FilterName, raw: unknown, territoires: Territoires): string {
  if (Array.isArray(raw)) throw badField(name, 'une seule valeur attendue (paramètre répété)');
  if (typeof raw !== 'string') throw badField(name, 'texte attendu');
  if (raw.length === 0) throw badField(name, `valeur vide ; attendu : ${FILTERS[name].expected}`);
  checkCharacters(name, raw, `attendu : ${FILTERS[name].expected}`);
  return FILTERS[name].parse(raw, territoires);
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
