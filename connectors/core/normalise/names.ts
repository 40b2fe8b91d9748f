/**
 * Names (nom, prénom): a display form kept in the encrypted identity, and a comparison form used
 * by the person key and the change fingerprint, so that "  DUPONT ", "Dupont" and "dupônt" are the
 * same person and a resend that only changes case or spacing is not a change
 * (real-world-faults.md, kind 1; dossier-apprenant-v3.md, "Required fields").
 */

/** Trimmed, inner whitespace (including non-breaking spaces) collapsed to one space. */
export function displayName(raw: string): string {
  return raw.replace(/[\s\u00a0]+/g, ' ').trim();
}

/**
 * Lower case, accents removed (NFD), ligatures œ/æ expanded, hyphens, apostrophes and dots
 * treated as spaces, whitespace collapsed: "Jean-Pierre  N'DIAYE" → "jean pierre n diaye".
 */
export function comparableName(raw: string): string {
  return raw
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/[-'’‘`.,_\s\u00a0]+/g, ' ')
    .trim();
}
