/**
 * Organisation and formation codes in the shapes ERPs send (real-world-faults.md, kinds 3 and 4):
 * what is unambiguous is normalised (case, spaces and separators, a leading zero lost in a
 * spreadsheet or a JSON number, the RNCP prefix), placeholders made of zeros mean "unknown", and the
 * rest is a FieldError naming the field. Sources: UAI check letter and SIRET Luhn key in
 * streams/referentiels/identifiants.ts; CFD and RNCP shapes in dossier-apprenant-v3.md.
 */
import { isValidSiret, isValidUai } from '../../../streams/referentiels/identifiants';
import { FieldError, received, type Warning } from '../issues';

/** A normalised code and, when something was repaired or dropped, the warning saying so. */
export interface Normalised<T> {
  value: T;
  warning?: Warning;
}

function asText(value: unknown): string {
  return typeof value === 'number' ? String(value) : String(value ?? '');
}

/**
 * UAI: trimmed, upper case, 7 digits and the check letter. Six digits and a letter whose check
 * letter is right once a leading 0 is restored (a spreadsheet dropped it) are repaired with
 * ZERO_INITIAL_RESTAURE. Errors: UAI_INVALIDE (shape), UAI_CLE_INVALIDE (check letter).
 */
export function normaliseUai(field: string, raw: unknown): Normalised<string> {
  const s = asText(raw).replace(/\s+/g, '').toUpperCase();
  if (/^[0-9]{7}[A-Z]$/.test(s)) {
    if (!isValidUai(s)) {
      throw new FieldError(
        'UAI_CLE_INVALIDE',
        field,
        `${field} : la lettre de contrôle de l'UAI ne correspond pas à ses 7 chiffres (${received(field, raw)}) ; vérifiez l'UAI de l'organisme`,
      );
    }
    return { value: s };
  }
  if (/^[0-9]{6}[A-Z]$/.test(s) && isValidUai(`0${s}`)) {
    return { value: `0${s}`, warning: zeroRestored(field, raw, `0${s}`) };
  }
  throw new FieldError(
    'UAI_INVALIDE',
    field,
    `${field} : UAI attendu (7 chiffres suivis d'une lettre, ex. 0751234J), ${received(field, raw)}`,
  );
}

/**
 * SIRET: spaces, dots and dashes removed, 14 digits with a valid control key (Luhn; La Poste's
 * rule). Thirteen digits that become valid with a leading 0 are repaired (ZERO_INITIAL_RESTAURE).
 * Errors: SIRET_INVALIDE (not 14 digits), SIRET_CLE_INVALIDE (control key).
 */
export function normaliseSiret(field: string, raw: unknown): Normalised<string> {
  const s = asText(raw).replace(/[\s.\-\u00a0]/g, '');
  if (/^[0-9]{14}$/.test(s)) {
    if (!isValidSiret(s)) {
      throw new FieldError(
        'SIRET_CLE_INVALIDE',
        field,
        `${field} : la clé de contrôle du SIRET est fausse (${received(field, raw)}) ; vérifiez les 14 chiffres`,
      );
    }
    return { value: s };
  }
  if (/^[0-9]{13}$/.test(s) && isValidSiret(`0${s}`)) {
    return { value: `0${s}`, warning: zeroRestored(field, raw, `0${s}`) };
  }
  throw new FieldError(
    'SIRET_INVALIDE',
    field,
    `${field} : SIRET attendu (14 chiffres), ${received(field, raw)}`,
  );
}

const isPlaceholder = (s: string) => /^0+$/.test(s);

/** Separators ERPs and spreadsheets put inside codes ("34-670", "500.221.06"); never part of one. */
const SEPARATORS = /[-._/]/g;

/**
 * CFD (code formation diplôme): 8 characters [A-Z0-9]. A purely numeric 7-digit code lost its
 * leading zero (e.g. 1025002 → 01025002, a mention complémentaire). Separators inside the code
 * (dashes, dots, underscores, slashes) are removed with CODE_REFORMATE. Zeros only → null with
 * CODE_FICTIF_IGNORE. Error: CFD_INVALIDE.
 */
export function normaliseCfd(field: string, raw: unknown): Normalised<string | null> {
  const spaced = asText(raw).replace(/\s+/g, '').toUpperCase();
  const s = spaced.replace(SEPARATORS, '');
  const reformatted = s !== spaced && s.length > 0;
  if (isPlaceholder(s)) return { value: null, warning: placeholder(field, raw) };
  if (/^[A-Z0-9]{8}$/.test(s))
    return reformatted ? { value: s, warning: codeReformatted(field, raw, s) } : { value: s };
  if (/^[0-9]{7}$/.test(s)) return { value: `0${s}`, warning: zeroRestored(field, raw, `0${s}`) };
  throw new FieldError(
    'CFD_INVALIDE',
    field,
    `${field} : code formation diplôme attendu (8 caractères, lettres majuscules ou chiffres), ${received(field, raw)}`,
  );
}

/**
 * RNCP: "RNCP" followed by 2 to 5 digits; the prefix is added when missing, case and spaces are
 * ignored ("rncp 34567", 34567 → "RNCP34567"). Separators inside the number (dashes, dots,
 * underscores, slashes: "  34-670  ") are removed with CODE_REFORMATE ("RNCP34670"), as the
 * national platform accepts them. Zeros only → null with CODE_FICTIF_IGNORE. Error: RNCP_INVALIDE.
 */
export function normaliseRncp(field: string, raw: unknown): Normalised<string | null> {
  const spaced = asText(raw)
    .replace(/[\s\u00a0]+/g, '')
    .toUpperCase();
  const s = spaced.replace(SEPARATORS, '');
  const m = /^(?:RNCP)?([0-9]{2,5})$/.exec(s);
  if (!m) {
    throw new FieldError(
      'RNCP_INVALIDE',
      field,
      `${field} : code RNCP attendu ("RNCP" suivi de 2 à 5 chiffres, ex. RNCP34567), ${received(field, raw)}`,
    );
  }
  if (isPlaceholder(m[1]!)) return { value: null, warning: placeholder(field, raw) };
  const value = `RNCP${m[1]}`;
  return s === spaced ? { value } : { value, warning: codeReformatted(field, raw, value) };
}

/**
 * INE (identifiant national élève): 11 characters, digits and upper-case letters
 * (INE-RNIE 10 digits + 1 letter, INE-BEA, INE-Base Élèves…). Not a reason to reject a record:
 * an unusable INE is dropped with INE_INVALIDE and not used for the person key.
 */
export function normaliseIne(field: string, raw: unknown): Normalised<string | null> {
  const s = asText(raw).replace(/\s+/g, '').toUpperCase();
  if (/^[0-9A-Z]{11}$/.test(s) && /[0-9]/.test(s) && !isPlaceholder(s)) return { value: s };
  return {
    value: null,
    warning: {
      code: 'INE_INVALIDE',
      path: field,
      message: `${field} : INE inutilisable (11 chiffres ou lettres attendus), ignoré`,
    },
  };
}

function zeroRestored(field: string, raw: unknown, value: string): Warning {
  return {
    code: 'ZERO_INITIAL_RESTAURE',
    path: field,
    message: `${field} : zéro initial restauré (${received(field, raw)}, retenu "${value}") ; envoyez le code comme texte`,
  };
}

function codeReformatted(field: string, raw: unknown, value: string): Warning {
  return {
    code: 'CODE_REFORMATE',
    path: field,
    message: `${field} : séparateurs retirés du code (${received(field, raw)}, retenu "${value}") ; envoyez le code sans tirets ni points`,
  };
}

function placeholder(field: string, raw: unknown): Warning {
  return {
    code: 'CODE_FICTIF_IGNORE',
    path: field,
    message: `${field} : code fictif composé de zéros ignoré (${received(field, raw)}) ; envoyez le vrai code ou laissez le champ vide`,
  };
}
