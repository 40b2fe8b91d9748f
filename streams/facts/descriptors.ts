/**
 * The dimensions of the facts, one descriptor each: the only list of them. Everything that names
 * dimensions is derived from it (streams/facts/dimensions.ts): the Dimensions type, the fact rows
 * and their TSV encoding, the dossiers row, the learner state in Redis, the read API's filters,
 * group-bys, labels and OpenAPI document, the tests' helpers. Pure: no I/O.
 *
 * status-rules.md, "Counting": région, département, académie, zone d'emploi, organisation,
 * formation (CFD, RNCP), level, speciality domain, age band, sex, RQTH; never names or contacts.
 *
 * Adding a dimension: append a descriptor at the END of the list (the learner state stores the
 * values in this order, and a state written before the new dimension existed reads it as its
 * `default`), and add a migration `ALTER TABLE … ADD COLUMN <name> <type> AFTER <last dimension>`
 * on dossiers, statut_intervalles and effectifs_deltas (test/infra/dimensions.test.ts compares the
 * tables with this list). Rows written before the migration hold the type's default, which must
 * be the descriptor's `default` ('' or 0): a record's next version then cancels them exactly.
 */
import type { FrApprentissageTdb } from '../../schemas/generated/DossierApprenant';
import { departementOfUai, isValidSiret, isValidUai } from '../referentiels/identifiants';
import type { Organisme, OrganismesReferential } from '../referentiels/organismes';
import type { Territoire, Territoires } from '../referentiels/territoires';

type DossierApprenant = FrApprentissageTdb.DossierApprenant;

/** The referentials a dimension is derived from. */
export interface DimensionRefs {
  territoires: Territoires;
  organismes: OrganismesReferential;
}

/** What several dimensions share, looked up once per record (dimensionsOf). */
export interface Derivation {
  refs: DimensionRefs;
  /** The training organisation (organisme formateur) with the record's (UAI, SIRET) pair, if known. */
  organisme: Organisme | undefined;
  /** Its département: the referential's, else the UAI's first characters; '' if unknown. */
  departement: string;
  territoire: Territoire | undefined;
}

export function derivationOf(d: DossierApprenant, refs: DimensionRefs): Derivation {
  const organisme = refs.organismes.get(d.etablissement_formateur_uai, d.etablissement_formateur_siret);
  const departement = organisme?.departement || departementOfUai(d.etablissement_formateur_uai) || '';
  return { refs, organisme, departement, territoire: refs.territoires.ofDepartement(departement) };
}

/** Why a filter value is refused (the API adds the value and, if `expected`, what is expected). */
export interface Refusal {
  refusal: string;
  expected: boolean;
}

/** A query filter of the read API on one dimension (api/sql/filters.ts). */
export interface FilterSpec<F extends string = string> {
  /** Query parameter name. */
  name: F;
  /** JSON schema of the query value, with its description (validation and OpenAPI). */
  schema: Readonly<Record<string, unknown>>;
  /** What is expected, in words (appended to refusals). */
  expected: string;
  /** The normalised value, or why it is refused (checked against the referential or format). */
  parse(raw: string, territoires: Territoires): string | Refusal;
}

/**
 * Where the labels (libellés) of a group's codes come from (api/format/libelles.ts): a referential
 * of the platform, or the codes' own nomenclature given here.
 */
export type LabelSource =
  'region' | 'departement' | 'academie' | 'organisme' | Readonly<Record<string, string>>;

export interface DimensionDescriptor<
  N extends string = string,
  V extends string | number = string | number,
  F extends string = string,
  G extends string = string,
> {
  /** Name of the dimension: its key in Dimensions and its column in the fact tables. */
  name: N;
  /** ClickHouse type of the column (every fact table has the same). */
  type: 'String' | 'UInt8';
  /** The value when unknown; also what rows written before the column existed hold. */
  default: NoInfer<V>;
  /** The value from a normalised record image (schemas/avro/DossierApprenant.avsc). */
  derive(d: DossierApprenant, c: Derivation): V;
  /** Query filter of /indicateurs, /indicateurs/series and /apprenants (none if absent). */
  filter?: FilterSpec<F>;
  /** Group name of /indicateurs/par/{group} (not a group-by if absent). */
  groupBy?: G;
  /** Labels of the group's codes (none if absent). */
  labels?: LabelSource;
  /** Whether the territory pre-aggregate effectifs_territoire (migration 0201) carries it. */
  territorial?: boolean;
}

/** A descriptor, its literal types kept (names, value type, filter and group names). */
function dimension<
  const N extends string,
  V extends string | number,
  const F extends string = never,
  const G extends string = never,
>(d: DimensionDescriptor<N, V, F, G>): DimensionDescriptor<N, V, F, G> {
  return d;
}

const refuse = (refusal: string, expected = true): Refusal => ({ refusal, expected });

/** A value of a closed list or a referential's codes. */
const inSet =
  (codes: ReadonlySet<string> | ((t: Territoires) => ReadonlySet<string>), unknown: string) =>
  (raw: string, t: Territoires): string | Refusal =>
    (typeof codes === 'function' ? codes(t) : codes).has(raw) ? raw : refuse(unknown);

const matching =
  (re: RegExp) =>
  (raw: string): string | Refusal =>
    re.test(raw) ? raw : refuse('format invalide');

/** Age bands of status-rules.md; '' when the birth date is unknown. */
export type TrancheAge = '<18' | '18-20' | '21-25' | '26+' | '';
export const TRANCHES_AGE: readonly TrancheAge[] = ['<18', '18-20', '21-25', '26+'];

export function trancheAge(age: number | null): TrancheAge {
  if (age === null || age < 0) return '';
  if (age < 18) return '<18';
  if (age <= 20) return '18-20';
  if (age <= 25) return '21-25';
  return '26+';
}

/** dossier-apprenant-v3.md, "Formation level and domain from the CFD": first digit → level. */
const NIVEAU_DU_CFD: Record<string, string> = { '5': '3', '4': '4', '3': '5', '2': '6', '1': '7' };
const NIVEAUX = ['3', '4', '5', '6', '7'];

export function niveauOfCfd(cfd: string | null): string {
  return cfd ? (NIVEAU_DU_CFD[cfd[0] ?? ''] ?? '') : '';
}

export function domaineOfCfd(cfd: string | null): string {
  return cfd && /^[0-9A-Z]{8}$/.test(cfd) && /^\d{3}$/.test(cfd.slice(3, 6)) ? cfd.slice(3, 6) : '';
}

/**
 * SIFA nomenclature of the types of CFA (the DEPP's annual apprentice survey; v3 field type_cfa,
 * dossier-apprenant-v3.md), with the labels the national platform gives its ERPs and CFAs.
 */
const TYPES_CFA: readonly (readonly [code: string, libelle: string])[] = [
  ['01', 'CFA public (éducation nationale)'],
  ['02', 'CFA public (enseignement supérieur)'],
  ['03', 'CFA public agricole'],
  ['04', 'CFA de collectivité territoriale'],
  ['05', 'Autre CFA public'],
  ['06', 'CFA consulaire'],
  ['07', 'CFA de branche'],
  ['08', 'CFA d’entreprise'],
  ['09', 'CFA associatif'],
  ['10', 'Autre CFA privé'],
];
const CODES_TYPE_CFA = TYPES_CFA.map(([code]) => code);

const EXPECTED_TRANCHE_AGE = `${TRANCHES_AGE.join(', ')} (encoder < et + dans l'URL : %3C18, 26%2B)`;

/** Every dimension, in the column order of the fact tables (0001_fact_model.sql, then later migrations). */
export const DIMENSIONS = [
  dimension({
    name: 'annee_scolaire',
    type: 'String',
    default: '',
    derive: (d): string => d.annee_scolaire,
  }),
  dimension({
    name: 'organisme_uai',
    type: 'String',
    default: '',
    derive: (d): string => d.etablissement_formateur_uai,
    filter: {
      name: 'uai',
      schema: {
        type: 'string',
        maxLength: 8,
        description: "UAI de l'organisme formateur (7 chiffres et la lettre de contrôle)",
      },
      expected: '7 chiffres et la lettre de contrôle',
      parse(raw) {
        const uai = raw.toUpperCase();
        if (!/^[0-9]{7}[A-Z]$/.test(uai)) return refuse('format invalide');
        return isValidUai(uai) ? uai : refuse('lettre de contrôle incorrecte', false);
      },
    },
    groupBy: 'organisme',
    labels: 'organisme',
  }),
  dimension({
    name: 'organisme_siret',
    type: 'String',
    default: '',
    derive: (d): string => d.etablissement_formateur_siret,
    filter: {
      name: 'siret',
      schema: { type: 'string', maxLength: 14, description: "SIRET de l'organisme formateur (14 chiffres)" },
      expected: '14 chiffres',
      parse(raw) {
        if (!/^[0-9]{14}$/.test(raw)) return refuse('format invalide');
        return isValidSiret(raw) ? raw : refuse('clé de contrôle (Luhn) incorrecte', false);
      },
    },
  }),
  dimension({
    name: 'organisme_responsable_uai',
    type: 'String',
    default: '',
    derive: (d): string => d.etablissement_responsable_uai,
  }),
  dimension({
    name: 'departement',
    type: 'String',
    default: '',
    derive: (_, c): string => c.departement,
    filter: {
      name: 'departement',
      schema: { type: 'string', maxLength: 3, description: 'Code de département (01…95, 2A, 2B, 971…976)' },
      expected: 'code de département (01…95, 2A, 2B, 971…976)',
      parse: inSet((t) => t.codes.departements, 'code de département inconnu'),
    },
    groupBy: 'departement',
    labels: 'departement',
    territorial: true,
  }),
  dimension({
    name: 'region',
    type: 'String',
    default: '',
    derive: (_, c): string => c.territoire?.region ?? '',
    filter: {
      name: 'region',
      schema: { type: 'string', maxLength: 3, description: 'Code INSEE de région (ex. 84)' },
      expected: 'code INSEE de région (ex. 84)',
      parse: inSet((t) => t.codes.regions, 'code de région inconnu'),
    },
    groupBy: 'region',
    labels: 'region',
    territorial: true,
  }),
  dimension({
    name: 'academie',
    type: 'String',
    default: '',
    derive: (_, c): string => c.territoire?.academie ?? '',
    filter: {
      name: 'academie',
      schema: { type: 'string', maxLength: 3, description: "Code d'académie (ex. 10 Lyon)" },
      expected: "code d'académie (ex. 10 Lyon)",
      parse: inSet((t) => t.codes.academies, "code d'académie inconnu"),
    },
    groupBy: 'academie',
    labels: 'academie',
    territorial: true,
  }),
  dimension({
    name: 'zone_emploi',
    type: 'String',
    default: '',
    // The zone d'emploi of the training organisation's commune (organisations referential).
    derive: (_, c): string => {
      const commune = c.organisme?.code_commune ?? null;
      return (commune && c.refs.territoires.zoneEmploiOfCommune(commune)) || '';
    },
    filter: {
      name: 'zone_emploi',
      schema: { type: 'string', maxLength: 4, description: "Code de zone d'emploi INSEE (4 chiffres)" },
      expected: "code INSEE de zone d'emploi, 4 chiffres",
      parse: matching(/^[0-9]{4}$/),
    },
    groupBy: 'zone_emploi',
  }),
  dimension({
    name: 'formation_cfd',
    type: 'String',
    default: '',
    derive: (d): string => d.formation_cfd ?? '',
    filter: {
      name: 'cfd',
      schema: { type: 'string', maxLength: 8, description: 'Code formation diplôme (8 caractères)' },
      expected: '8 lettres majuscules ou chiffres',
      parse: (raw) =>
        /^[A-Z0-9]{8}$/.test(raw.toUpperCase()) ? raw.toUpperCase() : refuse('format invalide'),
    },
    groupBy: 'formation',
  }),
  dimension({
    name: 'formation_rncp',
    type: 'String',
    default: '',
    derive: (d): string => d.formation_rncp ?? '',
    filter: {
      name: 'rncp',
      schema: {
        type: 'string',
        maxLength: 9,
        description: 'Code RNCP (RNCP suivi de 2 à 5 chiffres ; le préfixe est ajouté s’il manque)',
      },
      expected: 'RNCP suivi de 2 à 5 chiffres (le préfixe peut manquer)',
      parse(raw) {
        const m = /^(?:RNCP)?([0-9]{2,5})$/i.exec(raw);
        return m ? `RNCP${m[1]}` : refuse('format invalide');
      },
    },
  }),
  dimension({
    name: 'niveau',
    type: 'String',
    default: '',
    // Diploma level from the CFD's first digit ('3' CAP … '7' master).
    derive: (d): string => niveauOfCfd(d.formation_cfd),
    filter: {
      name: 'niveau',
      schema: { type: 'string', enum: NIVEAUX, description: 'Niveau de diplôme (3 CAP … 7 master)' },
      expected: NIVEAUX.join(', '),
      parse: inSet(new Set(NIVEAUX), 'niveau inconnu'),
    },
    groupBy: 'niveau',
  }),
  dimension({
    name: 'domaine',
    type: 'String',
    default: '',
    // NSF speciality group: CFD digits 4–6.
    derive: (d): string => domaineOfCfd(d.formation_cfd),
    filter: {
      name: 'domaine',
      schema: { type: 'string', maxLength: 3, description: 'Groupe de spécialité NSF (3 chiffres, ex. 221)' },
      expected: 'groupe de spécialité NSF, 3 chiffres (ex. 221)',
      parse: matching(/^[1-9][0-9]{2}$/),
    },
  }),
  dimension({
    name: 'tranche_age',
    type: 'String',
    default: '',
    derive: (d): TrancheAge => trancheAge(d.age_entree_formation),
    filter: {
      name: 'tranche_age',
      schema: {
        type: 'string',
        enum: [...TRANCHES_AGE],
        description: "Tranche d'âge à l'entrée en formation (encoder < et + dans l'URL : %3C18, 26%2B)",
      },
      expected: EXPECTED_TRANCHE_AGE,
      parse: inSet(new Set<string>(TRANCHES_AGE), "tranche d'âge inconnue"),
    },
  }),
  dimension({
    name: 'sexe',
    type: 'String',
    default: '',
    derive: (d): string => d.sexe_apprenant ?? '',
    filter: {
      name: 'sexe',
      schema: { type: 'string', enum: ['M', 'F'], description: 'Sexe (M ou F)' },
      expected: 'M, F',
      parse: inSet(new Set(['M', 'F']), 'valeur inconnue'),
    },
  }),
  dimension({
    name: 'rqth',
    type: 'UInt8',
    default: 0,
    derive: (d): 0 | 1 => (d.rqth_apprenant ? 1 : 0),
    filter: {
      name: 'rqth',
      schema: {
        type: 'string',
        enum: ['0', '1', 'true', 'false'],
        description: 'Reconnaissance de la qualité de travailleur handicapé',
      },
      expected: '0, 1, true, false',
      parse(raw) {
        if (raw === '1' || raw === 'true') return '1';
        if (raw === '0' || raw === 'false') return '0';
        return refuse('valeur inconnue');
      },
    },
  }),
  dimension({
    name: 'fiable',
    type: 'UInt8',
    default: 0,
    // 1 when the organisation's (UAI, SIRET) pair is in the referential: only those are counted.
    derive: (d, c): 0 | 1 =>
      c.refs.organismes.isReliable(d.etablissement_formateur_uai, d.etablissement_formateur_siret) ? 1 : 0,
  }),
  dimension({
    name: 'apprentissage',
    type: 'UInt8',
    default: 0,
    // 0 for learners the record says are not apprentices (school status): never counted.
    derive: (d): 0 | 1 => (d.apprentissage ? 1 : 0),
  }),
  dimension({
    name: 'type_cfa',
    type: 'String',
    default: '',
    // The v3 field type_cfa, normalised to two digits by the connectors ('' when not sent).
    derive: (d): string => d.type_cfa ?? '',
    filter: {
      name: 'type_cfa',
      schema: {
        type: 'string',
        enum: CODES_TYPE_CFA,
        description: `Type de CFA, nomenclature SIFA : ${TYPES_CFA.map(([code, libelle]) => `${code} ${libelle}`).join(', ')}`,
      },
      expected: `${CODES_TYPE_CFA.join(', ')} (nomenclature SIFA)`,
      parse: inSet(new Set(CODES_TYPE_CFA), 'type de CFA inconnu'),
    },
    groupBy: 'type_cfa',
    labels: Object.fromEntries(TYPES_CFA),
  }),
] as const;
