/**
 * Structural validation of one v3 item: its size and depth (limits.ts), then ajv against
 * schemas/dossier-apprenant-v3.schema.ts (required fields, JSON types, lengths), then the
 * characters of its texts. Formats and check digits are the normalisers' job (normalise.ts),
 * which add their own codes. Every error names the v3 field, in French.
 */
import Ajv, { type ErrorObject } from 'ajv';
import {
  dossierApprenantV3Schema,
  V3_FIELDS,
  V3_FREE_TEXT_FIELDS,
} from '../../schemas/dossier-apprenant-v3.schema';
import type { ValidationIssue } from './issues';
import { printable } from './printable';
import {
  DEFAULT_LIMITS,
  forbiddenCharacter,
  frenchBytes,
  frenchNumber,
  inspectItem,
  MAX_NESTING,
} from './limits';

// verbose: errors carry the value (the received length of a too long text).
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateV3 = ajv.compile(dossierApprenantV3Schema);

const TYPE_FR: Record<string, string> = {
  string: 'texte',
  integer: 'nombre entier',
  number: 'nombre',
  boolean: 'booléen',
  null: 'null',
  object: 'objet',
  array: 'tableau',
};

function fieldOf(e: ErrorObject): string {
  if (e.keyword === 'required') return String((e.params as { missingProperty: string }).missingProperty);
  return e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(dossier)';
}

function issueOf(e: ErrorObject): ValidationIssue {
  const path = fieldOf(e);
  switch (e.keyword) {
    case 'required':
      return { code: 'CHAMP_REQUIS', path, message: `${path} : champ requis manquant` };
    case 'type': {
      const types = ([] as string[]).concat((e.params as { type: string | string[] }).type);
      const expected = types
        .filter((t) => t !== 'null')
        .map((t) => TYPE_FR[t] ?? t)
        .join(' ou ');
      if (path === '(dossier)')
        return { code: 'DOSSIER_NON_OBJET', path, message: 'chaque dossier doit être un objet JSON' };
      return { code: 'TYPE_INVALIDE', path, message: `${path} : ${expected} attendu` };
    }
    case 'maxLength': {
      const length = typeof e.data === 'string' ? [...e.data].length : null;
      return {
        code: 'TEXTE_TROP_LONG',
        path,
        message: `${path} : texte trop long, ${frenchNumber((e.params as { limit: number }).limit)} caractères au plus${length === null ? '' : `, reçu ${frenchNumber(length)}`}`,
      };
    }
    case 'minLength':
      return { code: 'CHAMP_REQUIS', path, message: `${path} : champ requis vide` };
    default:
      return { code: 'TYPE_INVALIDE', path, message: `${path} : ${e.message ?? 'valeur invalide'}` };
  }
}

/**
 * The optional codes of the v3 contract (dossier-apprenant-v3.md, optional fields): a malformed one
 * never rejects the record. The structure check leaves their type, length and characters to the
 * normalisers (normalise.ts `optionalCode`, `sexeOf`, `normaliseIne`), which repair what is
 * unambiguous and drop the rest with a warning naming the field. (derniere_situation is kept as
 * text, so it keeps the structure check.)
 */
export const OPTIONAL_CODE_FIELDS: ReadonlySet<string> = new Set([
  'formation_cfd',
  'formation_rncp',
  'code_postal_apprenant',
  'code_commune_insee_apprenant',
  'code_postal_de_naissance_apprenant',
  'code_commune_insee_de_naissance_apprenant',
  'etablissement_lieu_de_formation_uai',
  'etablissement_lieu_de_formation_siret',
  'etablissement_lieu_de_formation_code_postal',
  'siret_employeur',
  'siret_employeur_2',
  'siret_employeur_3',
  'siret_employeur_4',
  'ine_apprenant',
  'sexe_apprenant',
  'statut_apprenant',
  'dernier_organisme_uai',
  'type_cfa',
]);

/** Structural issues an optional code does not raise (its normaliser drops it instead). */
const LEFT_TO_NORMALISERS = new Set(['TYPE_INVALIDE', 'TEXTE_TROP_LONG']);

/** VALEUR_NON_SCALAIRE of a field nested deeper than the contract's flat items allow. */
export const tooDeepIssue = (field: string): ValidationIssue => ({
  code: 'VALEUR_NON_SCALAIRE',
  path: printable(field),
  message: `${printable(field)} : valeur imbriquée sur plus de ${MAX_NESTING} niveaux ; un dossier du contrat v3 est un objet plat (texte, nombre, booléen ou null par champ)`,
});

/**
 * CARACTERES_INVALIDES of every v3 text field holding a control character or a lone surrogate
 * (limits.ts `forbiddenCharacter`); unknown fields are ignored (they are not read).
 */
function characterIssues(item: Record<string, unknown>, skip: ReadonlySet<string>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const field of V3_FIELDS) {
    const v = item[field];
    if (typeof v !== 'string' || skip.has(field) || OPTIONAL_CODE_FIELDS.has(field)) continue;
    const bad = forbiddenCharacter(v, V3_FREE_TEXT_FIELDS.has(field));
    if (bad === null) continue;
    issues.push({
      code: 'CARACTERES_INVALIDES',
      path: field,
      message: `${field} : caractère interdit (${bad}) : caractères de contrôle et caractères Unicode isolés refusés${V3_FREE_TEXT_FIELDS.has(field) ? ' (tabulation et sauts de ligne acceptés)' : ''}`,
    });
  }
  return issues;
}

/**
 * The identifier fields a JSON number may stand for (the schema's `['string', 'integer', …]`
 * codes: id_erp_apprenant, SIRETs, UAI-like codes, INE, postcodes, CFD, RNCP…; not booleans).
 */
const NUMERIC_IDENTIFIER_FIELDS: readonly string[] = Object.entries(dossierApprenantV3Schema.properties)
  .filter(([, p]) => {
    const types: readonly string[] = ([] as string[]).concat((p as { type: string | string[] }).type);
    return types.includes('integer') && !types.includes('boolean');
  })
  .map(([field]) => field);

/**
 * IDENTIFIANT_NUMERIQUE_IMPRECIS of an identifier sent as a number that is not a safe integer:
 * JSON.parse (and a spreadsheet) keeps 53 bits, so 9007199254740993 arrives as …992 and two learners
 * become one; 1e400 arrives as Infinity. No source text is needed to tell: rounding is monotonic
 * and every integer up to 2^53 − 1 is exact, so a literal beyond it always arrives beyond it.
 */
function numericIdentifierIssues(item: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const field of NUMERIC_IDENTIFIER_FIELDS) {
    const v = item[field];
    // A fraction within the safe range is ajv's (TYPE_INVALIDE: integer expected).
    if (typeof v !== 'number' || (Number.isFinite(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER)) continue;
    const why = Number.isFinite(v)
      ? `nombre trop grand pour être lu exactement (au-delà de ${frenchNumber(Number.MAX_SAFE_INTEGER)}, il est arrondi)`
      : 'nombre hors des limites (lu comme infini)';
    issues.push({
      code: 'IDENTIFIANT_NUMERIQUE_IMPRECIS',
      path: field,
      message: `${field} : ${why} ; envoyez l'identifiant sous forme de texte (entre guillemets)`,
    });
  }
  return issues;
}

/**
 * The structural errors of `item` (empty when it matches the schema). An item nested too deep
 * (VALEUR_NON_SCALAIRE) or larger than `itemBytes` of JSON (DOSSIER_TROP_VOLUMINEUX) gets that one
 * error only: nothing else of it is read.
 */
export function validateStructure(item: unknown, itemBytes = DEFAULT_LIMITS.itemBytes): ValidationIssue[] {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return [
      { code: 'DOSSIER_NON_OBJET', path: '(dossier)', message: 'chaque dossier doit être un objet JSON' },
    ];
  }
  const rec = item as Record<string, unknown>;
  const shape = inspectItem(rec, itemBytes);
  if (shape.tooDeep !== null) return [tooDeepIssue(shape.tooDeep)];
  if (shape.tooLarge) {
    return [
      {
        code: 'DOSSIER_TROP_VOLUMINEUX',
        path: '(dossier)',
        message: `dossier trop volumineux : ${frenchNumber(shape.bytes)} octets en JSON, ${frenchBytes(itemBytes)} (${frenchNumber(itemBytes)} octets) au plus${shape.largestField === null ? '' : ` ; le champ le plus long est ${printable(shape.largestField)}`}`,
      },
    ];
  }
  // An imprecise number is said as such, whatever ajv thinks of it (Infinity is not an integer).
  const issues: ValidationIssue[] = numericIdentifierIssues(rec);
  const seen = new Set<string>(issues.map((i) => i.path));
  if (!validateV3(item)) {
    for (const e of validateV3.errors ?? []) {
      const issue = issueOf(e);
      if (OPTIONAL_CODE_FIELDS.has(issue.path) && LEFT_TO_NORMALISERS.has(issue.code)) {
        seen.add(issue.path); // no character check either: the normaliser refuses what it cannot read
        continue;
      }
      if (seen.has(issue.path)) continue; // one error per field (a multi-type mismatch reports once)
      seen.add(issue.path);
      issues.push(issue);
    }
  }
  issues.push(...characterIssues(rec, seen));
  return issues;
}
