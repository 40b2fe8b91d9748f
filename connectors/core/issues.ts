/**
 * What the pipeline says about an input item: errors (the item is rejected, sent to the
 * dead-letter topic and returned to the ERP in `validation_errors`) and warnings (the item is
 * accepted; the codes travel in the image's `avertissements`). Codes are stable (UPPER_SNAKE,
 * listed in connectors/README.md); messages are French and say which field, what is expected and,
 * for non-personal fields, what was received.
 */
import { printable } from './printable';
import { PermanentError } from '../../infra/errors';

/**
 * Stable codes of the errors that reject an item. The verdicts of the optional codes' normalisers
 * (CFD_INVALIDE, RNCP_INVALIDE, CODE_POSTAL_INVALIDE, CODE_COMMUNE_INVALIDE, and UAI/SIRET ones on
 * optional fields) never reject: normalise.ts reports them as VALEUR_INVALIDE_IGNOREE warnings.
 */
export type ErrorCode =
  | 'DOSSIER_NON_OBJET'
  | 'DOSSIER_TROP_VOLUMINEUX'
  | 'VALEUR_NON_SCALAIRE'
  | 'CARACTERES_INVALIDES'
  | 'CHAMP_REQUIS'
  | 'TYPE_INVALIDE'
  | 'TEXTE_TROP_LONG'
  | 'ANNEE_SCOLAIRE_INVALIDE'
  | 'DATE_INVALIDE'
  | 'DATE_HORS_LIMITES'
  | 'DATE_NAISSANCE_INCOHERENTE'
  | 'FIN_AVANT_ENTREE'
  | 'UAI_INVALIDE'
  | 'UAI_CLE_INVALIDE'
  | 'SIRET_INVALIDE'
  | 'SIRET_CLE_INVALIDE'
  | 'CFD_INVALIDE'
  | 'RNCP_INVALIDE'
  | 'CODE_POSTAL_INVALIDE'
  | 'CODE_COMMUNE_INVALIDE'
  | 'NOMBRE_INVALIDE'
  | 'BOOLEEN_INVALIDE'
  | 'IDENTIFIANT_NUMERIQUE_IMPRECIS'
  | 'ORGANISME_NON_AUTORISE';

/** Stable codes of the warnings of an accepted item (besides the status engine's, see streams/status). */
export type WarningCode =
  | 'DATE_NAISSANCE_ABSENTE'
  | 'AGE_INHABITUEL'
  | 'ORGANISME_HORS_REFERENTIEL'
  | 'ZERO_INITIAL_RESTAURE'
  | 'CODE_REFORMATE'
  | 'CODE_FICTIF_IGNORE'
  | 'TELEPHONE_INVALIDE'
  | 'EMAIL_INVALIDE'
  | 'SEXE_INCONNU'
  | 'INE_INVALIDE'
  | 'VALEUR_INVALIDE_IGNOREE'
  | 'COMMUNE_DEDUITE_DU_CODE_POSTAL'
  | 'CARACTERES_INVISIBLES_SUPPRIMES'
  | 'NON_APPRENTI';

/** One rejected field: `path` is the v3 field name (the contract's reply shape, plus `code`). */
export interface ValidationIssue {
  code: ErrorCode;
  path: string;
  message: string;
}

/** One warning: `code` is ours or the status engine's (DATE_HEURE_CONVERTIE, CONTRAT_AVANT_ENTREE, …). */
export interface Warning {
  code: string;
  path: string;
  message: string;
}

/**
 * Fields whose values are personal data: never quoted in messages (messages travel in clear in
 * the dead-letter topic and in logs).
 */
export const PERSONAL_FIELDS: ReadonlySet<string> = new Set([
  'nom_apprenant',
  'prenom_apprenant',
  'date_de_naissance_apprenant',
  'ine_apprenant',
  'email_contact',
  'tel_apprenant',
  'adresse_apprenant',
  'responsable_apprenant_mail1',
  'responsable_apprenant_mail2',
  'nir_apprenant',
  'code_postal_de_naissance_apprenant',
  'code_commune_insee_de_naissance_apprenant',
  'nom_referent_handicap_formation',
  'prenom_referent_handicap_formation',
  'email_referent_handicap_formation',
]);

/**
 * `reçu "…"` for a non-personal field (truncated to 60 characters, control characters escaped: an
 * optional code is quoted before any character check), or a neutral mention.
 */
export function received(field: string, value: unknown): string {
  if (PERSONAL_FIELDS.has(field)) return 'valeur reçue non reproduite (donnée personnelle)';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return `reçu "${s === undefined ? 'undefined' : s.length > 60 ? `${printable(s.slice(0, 57))}...` : printable(s)}"`;
}

/** A normaliser's verdict on one value: the normalised value, or an error for that field. */
export class FieldError extends PermanentError {
  override readonly name = 'FieldError';
  constructor(
    readonly code: ErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
  toIssue(): ValidationIssue {
    return { code: this.code, path: this.path, message: this.message };
  }
}
