/**
 * Change detection (CDC) fingerprints of normalised records (real-world-faults.md, kind 10).
 *
 * A record is described field by field in a canonical text form: the image's fields, and the
 * identity in clear (names in comparison form, so that case, accents and spacing are not changes).
 * Two fields are left out on purpose:
 * - date_metier_mise_a_jour_statut: an ERP timestamp that moves at every export even when nothing
 *   else does; a real change of status comes with changed dates, which are fingerprinted;
 * - avertissements: derived from the other fields.
 * The encrypted identity is never fingerprinted (its random IV differs at every encryption).
 *
 * The state kept per record (Redis) is the full fingerprint (SHA-1, 96 bits) and a 24-bit hash of
 * each field, so that an UPDATE can list its changed fields without keeping the previous image.
 */
import crypto from 'node:crypto';
import type { NormalisedDossier } from './normalise';

/** Fields of the fingerprint, in a fixed order (the layout of the per-field hashes). */
export const FINGERPRINT_FIELDS = [
  'nom_apprenant',
  'prenom_apprenant',
  'date_de_naissance_apprenant',
  'ine_apprenant',
  'email_contact',
  'tel_apprenant',
  'adresse_apprenant',
  'responsable_apprenant_mail1',
  'responsable_apprenant_mail2',
  'code_postal_de_naissance_apprenant',
  'code_commune_insee_de_naissance_apprenant',
  'nom_referent_handicap_formation',
  'prenom_referent_handicap_formation',
  'email_referent_handicap_formation',
  'annee_scolaire',
  'id_erp_apprenant',
  'etablissement_responsable_uai',
  'etablissement_responsable_siret',
  'etablissement_formateur_uai',
  'etablissement_formateur_siret',
  'etablissement_lieu_de_formation_uai',
  'etablissement_lieu_de_formation_siret',
  'etablissement_lieu_de_formation_code_postal',
  'sexe_apprenant',
  'age_entree_formation',
  'rqth_apprenant',
  'date_rqth_apprenant',
  'code_postal_apprenant',
  'code_commune_insee_apprenant',
  'nir_present',
  'formation_cfd',
  'formation_rncp',
  'libelle_court_formation',
  'annee_formation',
  'duree_theorique_formation_mois',
  'formation_presentielle',
  'obtention_diplome_formation',
  'date_obtention_diplome_formation',
  'date_inscription_formation',
  'date_entree_formation',
  'date_fin_formation',
  'date_exclusion_formation',
  'cause_exclusion_formation',
  'contrats',
  'statut_apprenant',
  'custom_statut_apprenant',
  'derniere_situation',
  'dernier_organisme_uai',
  'type_cfa',
  'apprentissage',
] as const;

/** Version of the layout above: a state written with another layout reports every field as changed. */
export const FINGERPRINT_LAYOUT = 1;

/**
 * Fields whose absence in a new transmission is a hole, not a change (kind 1: a birth date missing
 * once, and the age derived from it): the previous value stands and no event is emitted for it.
 */
export const HOLE_TOLERANT: ReadonlySet<string> = new Set([
  'date_de_naissance_apprenant',
  'age_entree_formation',
]);

const ABSENT = '\u0000';

type FieldReader = (d: NormalisedDossier) => unknown;

/** Where a fingerprint field is read when not from the image under its own name. */
const SPECIAL_READERS: Partial<Record<(typeof FINGERPRINT_FIELDS)[number], FieldReader>> = {
  nom_apprenant: (d) => d.nomComparable,
  prenom_apprenant: (d) => d.prenomComparable,
  date_de_naissance_apprenant: (d) => d.naissance,
  ine_apprenant: (d) => d.identite.ine,
  email_contact: (d) => d.identite.email_contact,
  tel_apprenant: (d) => d.identite.tel_apprenant,
  adresse_apprenant: (d) => d.identite.adresse_apprenant?.toLowerCase(),
  responsable_apprenant_mail1: (d) => d.identite.responsable_apprenant_mail1,
  responsable_apprenant_mail2: (d) => d.identite.responsable_apprenant_mail2,
  code_postal_de_naissance_apprenant: (d) => d.identite.code_postal_de_naissance,
  code_commune_insee_de_naissance_apprenant: (d) => d.identite.code_commune_insee_de_naissance,
  nom_referent_handicap_formation: (d) => d.identite.nom_referent_handicap_formation,
  prenom_referent_handicap_formation: (d) => d.identite.prenom_referent_handicap_formation,
  email_referent_handicap_formation: (d) => d.identite.email_referent_handicap_formation,
  contrats: (d) => (d.image.contrats.length === 0 ? null : JSON.stringify(d.image.contrats)),
};

/** One reader per field, in layout order, resolved once (not a switch per field and record). */
const READERS: readonly FieldReader[] = FINGERPRINT_FIELDS.map(
  (f) => SPECIAL_READERS[f] ?? ((d) => (d.image as unknown as Record<string, unknown>)[f]),
);

/** The canonical text of each fingerprint field (ABSENT for null/undefined). */
export function canonicalFields(d: NormalisedDossier): string[] {
  const out = new Array<string>(READERS.length);
  for (let k = 0; k < READERS.length; k++) {
    const v = READERS[k]!(d);
    out[k] = v === null || v === undefined ? ABSENT : typeof v === 'string' ? v : String(v);
  }
  return out;
}

/** FNV-1a (32-bit) of a string's UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Four base64url characters per field: its 24-bit FNV-1a hash. */
function fieldHash(s: string): string {
  const h = fnv1a(s) & 0xffffff;
  return B64[(h >>> 18) & 63]! + B64[(h >>> 12) & 63]! + B64[(h >>> 6) & 63]! + B64[h & 63]!;
}

/** The hash of an absent field (what a hole looks like in a stored state). */
const ABSENT_HASH = fieldHash(ABSENT);

export interface Fingerprint {
  /** SHA-1 of the canonical fields (base64url, 16 characters = 96 bits). */
  full: string;
  /** Concatenated 4-character hashes of each field of FINGERPRINT_FIELDS. */
  fields: string;
}

/** SHA-1 in base64url: one-shot `crypto.hash` (no Hash object per record) where Node has it (≥ 20.12). */
const sha1 = crypto.hash
  ? (s: string) => crypto.hash('sha1', s, 'base64url')
  : (s: string) => crypto.createHash('sha1').update(s).digest('base64url');

export function fingerprintOf(d: NormalisedDossier): Fingerprint {
  const canon = canonicalFields(d);
  const hashes = new Array<string>(canon.length);
  for (let k = 0; k < canon.length; k++) hashes[k] = fieldHash(canon[k]!);
  const full = sha1(canon.join('\u0001')).slice(0, 16);
  return { full, fields: hashes.join('') };
}

/**
 * The fields that differ between a stored state and a new fingerprint, holes (HOLE_TOLERANT
 * fields absent now, present before) excluded. Empty when the record is unchanged.
 * `previousLayout` ≠ FINGERPRINT_LAYOUT: every field counts as changed.
 */
export function changedFields(previous: Fingerprint, previousLayout: number, next: Fingerprint): string[] {
  if (previous.full === next.full) return [];
  if (previousLayout !== FINGERPRINT_LAYOUT || previous.fields.length !== next.fields.length)
    return [...FINGERPRINT_FIELDS];
  const changed: string[] = [];
  for (let k = 0; k < FINGERPRINT_FIELDS.length; k++) {
    const a = previous.fields.slice(k * 4, k * 4 + 4);
    const b = next.fields.slice(k * 4, k * 4 + 4);
    if (a === b) continue;
    const f = FINGERPRINT_FIELDS[k]!;
    if (b === ABSENT_HASH && HOLE_TOLERANT.has(f)) continue;
    changed.push(f);
  }
  return changed;
}
