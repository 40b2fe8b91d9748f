/** E-mail addresses: trimmed, lower case; an unusable address is dropped with EMAIL_INVALIDE. */
import type { Warning } from '../issues';

/** Deliberately simple (one @, a dot in the domain, no spaces): the ERP is the source of truth. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(field: string, raw: unknown): { value: string | null; warning?: Warning } {
  const s = String(raw ?? '')
    .trim()
    .toLowerCase();
  if (EMAIL.test(s) && s.length <= 254) return { value: s };
  return {
    value: null,
    warning: {
      code: 'EMAIL_INVALIDE',
      path: field,
      message: `${field} : adresse électronique non valide, ignorée`,
    },
  };
}
