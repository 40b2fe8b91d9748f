/**
 * Small value shapes of the v3 contract: annee_scolaire, sexe, booleans, bounded integers, texts.
 * Sources: dossier-apprenant-v3.md (annee_scolaire "YYYY-YYYY", the two years equal or consecutive,
 * "2024/2025" and stray spaces seen; sexe M/F, "H" and 1 mean M, 2 means F).
 */
import { FieldError, received, type Warning } from '../issues';

/** "2024-2025", "2024/2025", " 2024 - 2025 " → "2024-2025". Error ANNEE_SCOLAIRE_INVALIDE. */
export function normaliseAnneeScolaire(field: string, raw: unknown): string {
  const m = /^\s*(\d{4})\s*[-/]\s*(\d{4})\s*$/.exec(String(raw ?? ''));
  const a = Number(m?.[1]);
  const b = Number(m?.[2]);
  if (!m || (b !== a && b !== a + 1)) {
    throw new FieldError(
      'ANNEE_SCOLAIRE_INVALIDE',
      field,
      `${field} : année scolaire attendue au format AAAA-AAAA, deux années égales ou consécutives (ex. 2024-2025), ${received(field, raw)}`,
    );
  }
  return `${a}-${b}`;
}

const SEXE: Readonly<Record<string, 'M' | 'F'>> = {
  M: 'M',
  H: 'M',
  '1': 'M',
  MASCULIN: 'M',
  HOMME: 'M',
  F: 'F',
  '2': 'F',
  FEMININ: 'F',
  FEMME: 'F',
};

/** M/F; "H", 1, "masculin", "homme" → M; 2, "féminin", "femme" → F; else null with SEXE_INCONNU. */
export function normaliseSexe(field: string, raw: unknown): { value: 'M' | 'F' | null; warning?: Warning } {
  const key = String(raw ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .trim()
    .toUpperCase();
  const value = SEXE[key];
  if (value) return { value };
  return {
    value: null,
    warning: {
      code: 'SEXE_INCONNU',
      path: field,
      message: `${field} : sexe attendu M ou F (ou H, 1, 2), ${received(field, raw)} ; ignoré`,
    },
  };
}

const TRUE = new Set(['true', 'oui', 'o', 'vrai', '1', 'yes', 'y', 'x']);
const FALSE = new Set(['false', 'non', 'n', 'faux', '0', 'no']);

/** Booleans as JSON or as the texts of files ("oui", "1", "true", …). Error BOOLEEN_INVALIDE. */
export function normaliseBoolean(field: string, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new FieldError(
    'BOOLEEN_INVALIDE',
    field,
    `${field} : booléen attendu (true/false, oui/non, 1/0), ${received(field, raw)}`,
  );
}

/** An integer in [min, max], as a number or numeric text. Error NOMBRE_INVALIDE. */
export function normaliseInteger(field: string, raw: unknown, min: number, max: number): number {
  const n = typeof raw === 'number' ? raw : /^\s*-?\d+\s*$/.test(String(raw)) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FieldError(
      'NOMBRE_INVALIDE',
      field,
      `${field} : nombre entier de ${min} à ${max} attendu, ${received(field, raw)}`,
    );
  }
  return n;
}

/** Trimmed text with inner whitespace collapsed; null when blank. */
export function cleanText(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  const s = String(raw)
    .replace(/[\s\u00a0]+/g, ' ')
    .trim();
  return s.length === 0 ? null : s;
}

/** Whether a value counts as absent (undefined, null, blank text). */
export function isBlank(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim().length === 0);
}
