/**
 * Names (nom, prénom): a display form kept in the encrypted identity, and a comparison form used
 * by the person key and the change fingerprint, so that "  DUPONT ", "Dupont" and "dupônt" are the
 * same person and a resend that only changes case or spacing is not a change
 * (real-world-faults.md, kind 1; dossier-apprenant-v3.md, "Required fields").
 */

/**
 * Invisible characters and bidirectional controls: Unicode's default-ignorable code points and
 * format characters (Cf): zero-width space and joiners (U+200B–U+200D), soft hyphen, BOM
 * (U+FEFF), word joiner, the bidi embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069, U+200E/F, U+061C), tags, variation selectors. A name never needs them to be read
 * (and names are compared folded to Latin letters), but they hide text from a reader and from
 * checks: "\u200b=1+1" escaped the formula guard of exports, U+202E reverses what a list shows.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;

/** `raw` without its invisible and bidi control characters, and the code points removed ("U+200B"). */
export function withoutInvisible(raw: string): { text: string; removed: string[] } {
  const found = raw.match(INVISIBLE);
  if (!found) return { text: raw, removed: [] };
  const removed = [...new Set(found)].map(
    (ch) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
  );
  return { text: raw.replace(INVISIBLE, ''), removed };
}

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
