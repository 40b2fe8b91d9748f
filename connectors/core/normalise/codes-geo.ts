/**
 * Postcodes and INSEE commune codes (dossier-apprenant-v3.md: code_postal `^[0-9]{5}$`,
 * code commune `^([0-9]{2}|2A|2B)[0-9]{3}$`). A numeric code of 4 digits lost its leading zero in a
 * spreadsheet (1000 → "01000", Ain) and is repaired with ZERO_INITIAL_RESTAURE.
 * Errors: CODE_POSTAL_INVALIDE, CODE_COMMUNE_INVALIDE.
 */
import { FieldError, received, type Warning } from '../issues';
import type { Normalised } from './identifiants';

function restore(field: string, raw: unknown, value: string): Warning {
  return {
    code: 'ZERO_INITIAL_RESTAURE',
    path: field,
    message: `${field} : zéro initial restauré (${received(field, raw)}, retenu "${value}") ; envoyez le code comme texte`,
  };
}

export function normalisePostcode(field: string, raw: unknown): Normalised<string> {
  const s = String(raw ?? '').replace(/\s+/g, '');
  if (/^[0-9]{5}$/.test(s)) return { value: s };
  if (/^[0-9]{4}$/.test(s)) return { value: `0${s}`, warning: restore(field, raw, `0${s}`) };
  throw new FieldError(
    'CODE_POSTAL_INVALIDE',
    field,
    `${field} : code postal attendu (5 chiffres), ${received(field, raw)}`,
  );
}

export function normaliseCommune(field: string, raw: unknown): Normalised<string> {
  const s = String(raw ?? '')
    .replace(/\s+/g, '')
    .toUpperCase();
  if (/^(?:[0-9]{2}|2A|2B)[0-9]{3}$/.test(s)) return { value: s };
  if (/^[0-9]{4}$/.test(s)) return { value: `0${s}`, warning: restore(field, raw, `0${s}`) };
  throw new FieldError(
    'CODE_COMMUNE_INVALIDE',
    field,
    `${field} : code commune INSEE attendu (5 caractères, ex. 75056 ou 2A004), ${received(field, raw)}`,
  );
}
