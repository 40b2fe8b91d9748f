/**
 * The stream processor's state of one learner record, kept in Redis under `state:<record_key>`
 * (infra/redis/client.ts learnerState) as compact JSON. It holds what the next event or the
 * scheduler needs without reading ClickHouse back: the version applied, the projected parcours
 * (so the previous contribution to the signed deltas can be cancelled), the dimensions, the status
 * last announced, the alerts already decided, and the (still encrypted) identity for the alerts.
 * Never a name or a contact in clear.
 */
import { DIMENSION_KEYS, dimensionValues, dimensionsReader, type Dimensions } from '../facts/dimensions';
import { countedIntervals, type Contribution } from '../facts/rows';
import { STATUTS, type ParcoursEntry, type Statut } from '../status/types';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'NOT_TRANSMITTED';

/** What the facts and alerts need from the last valid image (no clear personal data). */
export interface RecordFields {
  dims: Dimensions;
  /** Learner's commune of residence (INSEE), from code_commune_insee_apprenant or the postcode. */
  commune: string | null;
  /** date_entree_formation / date_fin_formation (day numbers). */
  entree: number;
  fin: number;
  age_entree: number | null;
  libelle: string | null;
  /** identite_chiffree as received (AES-256-GCM, base64). */
  identite: string;
}

export interface LearnerState {
  /** Version of the last change applied (per-record sequence from upstream). */
  v: number;
  /** Operation of the last change applied. */
  op: Operation;
  /** Partition of the change topic the record lives in (its schedule set). */
  part: number;
  person_key: string | null;
  /** The last valid image's fields; null when the record never had a valid image. */
  rec: RecordFields | null;
  /** Projected parcours (status engine) of the last valid image; null when the record does not count (deleted). */
  parcours: ParcoursEntry[] | null;
  /** Interval slots (statut_intervalles idx) the last written version used. */
  slots: number;
  /** Status announced last (transition events), as of day `t`; null before the first announcement. */
  statut: Statut | null;
  /** Day (day number) the status was last evaluated. */
  t: number;
  /** Alert ids already decided (emitted, or found ineligible): never twice for the same transition. */
  alerts: string[];
}

/**
 * Formats of the encoded state (the first element of the JSON array). The dimension values are
 * positional, so each format says which names the positions hold; one decoder per format.
 *
 * - 1: the 17 dimensions of V1_DIMENSIONS, exactly (written until the dimensions became data).
 * - 2: the dimensions in DIMENSION_KEYS order (streams/facts/descriptors.ts). The list only grows
 *   at its end, so a state written when it was shorter holds a prefix of it: the dimensions added
 *   since take their descriptor's default, as the rows written before their column existed do. A
 *   state with more values than the list has names was written by a newer version of the
 *   processor: refused, rather than read with dimensions silently dropped.
 */
const FORMAT = 2;

/** Format 1's dimensions, in its order (frozen: states written in format 1 hold these, and only these). */
export const V1_DIMENSIONS = [
  'annee_scolaire',
  'organisme_uai',
  'organisme_siret',
  'organisme_responsable_uai',
  'departement',
  'region',
  'academie',
  'zone_emploi',
  'formation_cfd',
  'formation_rncp',
  'niveau',
  'domaine',
  'tranche_age',
  'sexe',
  'rqth',
  'fiable',
  'apprentissage',
] as const;

const readV1 = dimensionsReader(V1_DIMENSIONS);
const readV2 = dimensionsReader(DIMENSION_KEYS);

const DIMENSION_DECODERS: Record<number, (values: readonly unknown[], text: string) => Dimensions> = {
  1: (values, text) => {
    if (values.length !== V1_DIMENSIONS.length)
      throw corrupt(text, `${values.length} dimensions in format 1`);
    return readV1(values);
  },
  2: (values, text) => {
    if (values.length > DIMENSION_KEYS.length)
      throw corrupt(
        text,
        `${values.length} dimensions, this version knows ${DIMENSION_KEYS.length} (state written by a newer processor)`,
      );
    return readV2(values);
  },
};

const corrupt = (text: string, why: string) =>
  new Error(`learner state not readable (${why}): ${text.slice(0, 40)}`);

const statutIndex = new Map(STATUTS.map((s, i) => [s, i]));

type EncodedRecord = [unknown[], string | null, number, number, number | null, string | null, string];
type EncodedState = [
  number,
  number,
  Operation,
  number,
  string | null,
  EncodedRecord | null,
  number[] | null,
  number,
  Statut | null,
  number,
  string[],
];

/**
 * Compact JSON of a state (positional arrays: the state of every learner lives in Redis, and a
 * batch writes thousands of them twice, in its pending record and in place). Always the newest
 * format.
 */
export function encodeState(s: LearnerState): string {
  const r = s.rec;
  const rec: EncodedRecord | null = r
    ? [dimensionValues(r.dims), r.commune, r.entree, r.fin, r.age_entree, r.libelle, r.identite]
    : null;
  let parcours: number[] | null = null;
  if (s.parcours) {
    parcours = new Array<number>(s.parcours.length * 2);
    for (let i = 0; i < s.parcours.length; i++) {
      const e = s.parcours[i]!;
      parcours[2 * i] = statutIndex.get(e.valeur)!;
      parcours[2 * i + 1] = e.date;
    }
  }
  const encoded: EncodedState = [
    FORMAT,
    s.v,
    s.op,
    s.part,
    s.person_key,
    rec,
    parcours,
    s.slots,
    s.statut,
    s.t,
    s.alerts,
  ];
  return JSON.stringify(encoded);
}

/** A state of any known format (formats 1 and 2 differ only in their dimension lists). */
export function decodeState(text: string | null): LearnerState | null {
  if (text === null) return null;
  const e = JSON.parse(text) as EncodedState;
  const dimensionsOf = Array.isArray(e) ? DIMENSION_DECODERS[e[0]] : undefined;
  if (!dimensionsOf) throw new Error(`unknown learner state format: ${text.slice(0, 40)}`);
  const [, v, op, part, person_key, rec, flat, slots, statut, t, alerts] = e;
  let parcours: ParcoursEntry[] | null = null;
  if (flat) {
    parcours = new Array(flat.length / 2);
    for (let i = 0; i < parcours.length; i++)
      parcours[i] = { valeur: STATUTS[flat[2 * i]!]!, date: flat[2 * i + 1]! };
  }
  let fields: RecordFields | null = null;
  if (rec) {
    fields = {
      dims: dimensionsOf(rec[0], text),
      commune: rec[1],
      entree: rec[2],
      fin: rec[3],
      age_entree: rec[4],
      libelle: rec[5],
      identite: rec[6],
    };
  }
  return { v, op, part, person_key, rec: fields, parcours, slots, statut, t, alerts };
}

/** What the record contributes to the counts (signed deltas): its intervals and dimensions, or null. */
export function contributionOf(s: LearnerState | null): Contribution | null {
  if (!s || !s.rec || !s.parcours || s.parcours.length === 0) return null;
  return { intervals: countedIntervals(s.parcours, s.rec.entree, s.rec.fin), dims: s.rec.dims };
}

/** The parcours entry in force on `day` (last dated on or before it), or undefined before the first. */
export function entryAt(
  parcours: readonly ParcoursEntry[],
  day: number,
): { entry: ParcoursEntry; next: ParcoursEntry | undefined } | undefined {
  for (let i = parcours.length - 1; i >= 0; i--) {
    const e = parcours[i]!;
    if (e.date <= day) return { entry: e, next: parcours[i + 1] };
  }
  return undefined;
}
