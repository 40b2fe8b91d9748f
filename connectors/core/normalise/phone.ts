/**
 * Phone numbers in every French format ERPs send ("06 12 34 56 78", "06.12.34.56.78",
 * "+33 6 12…", "0033612…", "612345678") including the overseas départements, whose numbers are
 * written with a national 0 but belong to other country codes: +590 Guadeloupe, +596 Martinique,
 * +594 Guyane, +262 La Réunion and Mayotte (real-world-faults.md, kind 7). Parsed and checked by
 * libphonenumber-js; the result is E.164 ("+590690123456").
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { Warning } from '../issues';

/** The region of a French national number by its first three digits after the 0 (ARCEP plan). */
const OVERSEAS_PREFIXES: Readonly<Record<string, CountryCode>> = {
  '590': 'GP',
  '690': 'GP',
  '691': 'GP',
  '596': 'MQ',
  '696': 'MQ',
  '697': 'MQ',
  '594': 'GF',
  '694': 'GF',
  '262': 'RE',
  '263': 'RE',
  '692': 'RE',
  '693': 'RE',
  '269': 'YT',
  '639': 'YT',
};

/**
 * Recent results by input text: parsing is the costliest step of normalisation (~7 µs) and a
 * nightly full resend repeats every number. Bounded; cleared when full.
 */
const cache = new Map<string, string | null>();
const CACHE_LIMIT = 200_000;

/** Empties the cache (the benchmark measures cold first ingestions). */
export function clearPhoneCache(): void {
  cache.clear();
}

/** E.164 of a phone number, or null with TELEPHONE_INVALIDE when it is not a valid number. */
export function normalisePhone(field: string, raw: unknown): { value: string | null; warning?: Warning } {
  const memoKey = typeof raw === 'string' ? raw : typeof raw === 'number' ? `#${raw}` : undefined;
  let value = memoKey === undefined ? undefined : cache.get(memoKey);
  if (value === undefined) {
    value = parse(raw);
    if (memoKey !== undefined) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(memoKey, value);
    }
  }
  if (value !== null) return { value };
  return {
    value: null,
    warning: {
      code: 'TELEPHONE_INVALIDE',
      path: field,
      message: `${field} : numéro de téléphone non reconnu (attendu un numéro français, ex. 06 12 34 56 78 ou +590 690 12 34 56), ignoré`,
    },
  };
}

function parse(raw: unknown): string | null {
  const text = typeof raw === 'number' ? `0${raw}` : String(raw ?? '').trim();
  const compact = text.replace(/[\s.\-()/\u00a0]/g, '');
  // National significant number of a French number written nationally or with +33 / 0033.
  const m = /^(?:\+33|0033|0)?([1-9][0-9]{8})$/.exec(compact);
  const nsn = m?.[1];
  let region: CountryCode = 'FR';
  let input = compact;
  if (nsn !== undefined) {
    region = OVERSEAS_PREFIXES[nsn.slice(0, 3)] ?? 'FR';
    input = `0${nsn}`;
  }
  const phone = parsePhoneNumberFromString(input, region);
  return phone?.isValid() ? phone.number : null;
}
