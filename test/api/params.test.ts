/** The character check shared by query values and body texts (api/params.ts). Pure. */
import type { HttpError } from '../../api/errors';
import { checkCharacters } from '../../api/params';

const refusal = (raw: string, opts?: { freeText?: boolean }) => {
  try {
    checkCharacters('commentaire', raw, undefined, opts);
    return null;
  } catch (err) {
    return (err as HttpError).message;
  }
};

describe('checkCharacters', () => {
  test('query values: every control character refused, line breaks included', () => {
    expect(refusal('RDV\nlundi')).toBe('commentaire : caractères invalides (caractère de contrôle U+000A)');
    expect(refusal('Dupont')).toBeNull();
  });
  test('free text: line breaks and tabs kept; NUL, escape and U+FFFD refused', () => {
    expect(refusal('RDV\r\nlundi\t10h', { freeText: true })).toBeNull();
    expect(refusal('a\u0000b', { freeText: true })).toBe(
      'commentaire : caractères invalides (caractère de contrôle U+0000)',
    );
    expect(refusal('x\u001b[31m', { freeText: true })).toBe(
      'commentaire : caractères invalides (caractère de contrôle U+001B)',
    );
    expect(refusal('caf\uFFFD', { freeText: true })).toBe(
      'commentaire : caractères invalides (caractère non décodable U+FFFD)',
    );
  });
});
