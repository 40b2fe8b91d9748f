/**
 * French organisation identifiers: UAI (unité administrative immatriculée, ex-RNE) and SIRET.
 * Pure functions; the rules are the public ones of the Éducation nationale (UAI) and INSEE (SIRET).
 */

/** Check letters of a UAI: the alphabet without I, O and Q. */
const UAI_LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';

/** The check letter of the 7 leading digits of a UAI: letter number (digits mod 23). */
export function uaiCheckLetter(sevenDigits: string): string {
  return UAI_LETTERS[Number(sevenDigits) % 23] as string;
}

/** True when `uai` is 7 digits followed by its correct check letter (upper case). */
export function isValidUai(uai: string): boolean {
  return /^[0-9]{7}[A-Z]$/.test(uai) && uaiCheckLetter(uai.slice(0, 7)) === uai[7];
}

/**
 * The département of a UAI (its first three characters): 075 → 75, 620 → 2A, 720 → 2B,
 * 971–976 overseas. Source: dossier-apprenant-v3.md, "Where each learner lives".
 */
export function departementOfUai(uai: string): string | undefined {
  const p = uai.slice(0, 3);
  if (!/^[0-9]{3}$/.test(p)) return undefined;
  if (p === '620') return '2A';
  if (p === '720') return '2B';
  if (p.startsWith('97')) return p;
  if (p.startsWith('0')) return p.slice(1);
  return undefined;
}

/** Luhn checksum over a digit string (INSEE's SIREN/SIRET control key). */
function luhnOk(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * True when `siret` is 14 digits with a valid control key: Luhn, except La Poste's
 * establishments (SIREN 356000000), whose digits must sum to a multiple of 5.
 */
export function isValidSiret(siret: string): boolean {
  if (!/^[0-9]{14}$/.test(siret)) return false;
  if (siret.startsWith('356000000')) {
    let sum = 0;
    for (const ch of siret) sum += ch.charCodeAt(0) - 48;
    return sum % 5 === 0;
  }
  return luhnOk(siret);
}

/** Completes 13 digits with the Luhn digit that makes a valid SIRET (for generated data). */
export function withLuhnDigit(thirteenDigits: string): string {
  for (let d = 0; d <= 9; d++) if (luhnOk(thirteenDigits + d)) return thirteenDigits + d;
  throw new Error('unreachable');
}
