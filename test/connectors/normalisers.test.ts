/** Each normaliser with the values it must give (dossier-apprenant-v3.md; real-world-faults.md kinds 3, 7). */
import { FieldError } from '../../connectors/core/issues';
import { normaliseCommune, normalisePostcode } from '../../connectors/core/normalise/codes-geo';
import { normaliseEmail } from '../../connectors/core/normalise/contact';
import {
  normaliseCfd,
  normaliseIne,
  normaliseRncp,
  normaliseSiret,
  normaliseUai,
} from '../../connectors/core/normalise/identifiants';
import { comparableName, displayName } from '../../connectors/core/normalise/names';
import { normalisePhone } from '../../connectors/core/normalise/phone';
import {
  normaliseAnneeScolaire,
  normaliseBoolean,
  normaliseInteger,
  normaliseSexe,
} from '../../connectors/core/normalise/scalars';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof FieldError) return err.code;
    throw err;
  }
  return 'NO_ERROR';
};

describe('names', () => {
  test('display form: trimmed, inner spaces (also non-breaking) collapsed, case and accents kept', () => {
    expect(displayName('  Jean\u00a0  Pierre ')).toBe('Jean Pierre');
    expect(displayName('ÉLODIE')).toBe('ÉLODIE');
  });
  test('comparison form: no case, no accents, punctuation as spaces', () => {
    expect(comparableName('  DUPÔNT ')).toBe('dupont');
    expect(comparableName("Jean-Pierre  N'DIAYE")).toBe('jean pierre n diaye');
    expect(comparableName('Lætitia Cœur')).toBe('laetitia coeur');
    expect(comparableName('Élodie')).toBe(comparableName('elodie'));
  });
});

describe('UAI', () => {
  test('case and spaces normalised, check letter verified', () => {
    expect(normaliseUai('f', ' 0751234j ').value).toBe('0751234J');
    expect(codeOf(() => normaliseUai('f', '0751234A'))).toBe('UAI_CLE_INVALIDE');
    expect(codeOf(() => normaliseUai('f', '075123J'))).toBe('UAI_INVALIDE');
    expect(codeOf(() => normaliseUai('f', 'ABCDEFGH'))).toBe('UAI_INVALIDE');
  });
  test('a leading zero lost in a spreadsheet is restored when the check letter confirms it', () => {
    const r = normaliseUai('etablissement_formateur_uai', '751234J');
    expect(r.value).toBe('0751234J');
    expect(r.warning?.code).toBe('ZERO_INITIAL_RESTAURE');
  });
  test('the error names the field and the expected format', () => {
    expect(() => normaliseUai('etablissement_formateur_uai', '123')).toThrow(
      'etablissement_formateur_uai : UAI attendu (7 chiffres suivis d\'une lettre, ex. 0751234J), reçu "123"',
    );
  });
});

describe('SIRET', () => {
  test('spaces, dots and dashes removed; Luhn key checked', () => {
    expect(normaliseSiret('f', '439 371 121 00013').value).toBe('43937112100013');
    expect(normaliseSiret('f', '439.371.121.00013').value).toBe('43937112100013');
    expect(normaliseSiret('f', '439-371-121-00013').value).toBe('43937112100013');
    expect(normaliseSiret('f', 43937112100013).value).toBe('43937112100013');
    expect(codeOf(() => normaliseSiret('f', '43937112100014'))).toBe('SIRET_CLE_INVALIDE');
    expect(codeOf(() => normaliseSiret('f', '4393711210001'))).toBe('SIRET_INVALIDE');
  });
  test("La Poste's establishments follow their own key (sum of digits multiple of 5)", () => {
    expect(normaliseSiret('f', '35600000000010').value).toBe('35600000000010');
  });
  test('13 digits that become a valid SIRET with a leading 0 are repaired', () => {
    const valid = '08445618200017'; // Luhn-valid; the spreadsheet dropped its zero

    expect(codeOf(() => normaliseSiret('f', valid))).toBe('NO_ERROR');
    const r = normaliseSiret('f', '8445618200017');
    expect(r.value).toBe(valid);
    expect(r.warning?.code).toBe('ZERO_INITIAL_RESTAURE');
  });
});

describe('CFD and RNCP', () => {
  test('CFD: 8 characters, lost leading zero restored, zeros only = unknown', () => {
    expect(normaliseCfd('formation_cfd', ' 50022106 ').value).toBe('50022106');
    expect(normaliseCfd('formation_cfd', '4003222a').value).toBe('4003222A');
    const lost = normaliseCfd('formation_cfd', 1025002);
    expect(lost.value).toBe('01025002');
    expect(lost.warning?.code).toBe('ZERO_INITIAL_RESTAURE');
    const placeholder = normaliseCfd('formation_cfd', '00000000');
    expect(placeholder.value).toBeNull();
    expect(placeholder.warning?.code).toBe('CODE_FICTIF_IGNORE');
    expect(codeOf(() => normaliseCfd('formation_cfd', '5002210'.slice(0, 5)))).toBe('CFD_INVALIDE');
  });
  test('RNCP: prefix added when missing, case and spaces ignored, zeros = unknown', () => {
    expect(normaliseRncp('formation_rncp', 'RNCP34567').value).toBe('RNCP34567');
    expect(normaliseRncp('formation_rncp', '34567').value).toBe('RNCP34567');
    expect(normaliseRncp('formation_rncp', 34567).value).toBe('RNCP34567');
    expect(normaliseRncp('formation_rncp', 'rncp 4617').value).toBe('RNCP4617');
    expect(normaliseRncp('formation_rncp', 'RNCP00000').value).toBeNull();
    expect(codeOf(() => normaliseRncp('formation_rncp', 'RNCP123456'))).toBe('RNCP_INVALIDE');
    expect(codeOf(() => normaliseRncp('formation_rncp', 'RS5432'))).toBe('RNCP_INVALIDE');
  });
  test('issue 10: separators inside a CFD or an RNCP are removed, with CODE_REFORMATE', () => {
    expect(normaliseRncp('formation_rncp', '  34-670  ')).toEqual({
      value: 'RNCP34670',
      warning: {
        code: 'CODE_REFORMATE',
        path: 'formation_rncp',
        message:
          'formation_rncp : séparateurs retirés du code (reçu "  34-670  ", retenu "RNCP34670") ; envoyez le code sans tirets ni points',
      },
    });
    expect(normaliseRncp('formation_rncp', 'RNCP 34.670').value).toBe('RNCP34670');
    expect(normaliseRncp('formation_rncp', 'rncp 4617').warning).toBeUndefined(); // spaces and case: silent
    expect(normaliseCfd('formation_cfd', '500-221-06')).toMatchObject({
      value: '50022106',
      warning: { code: 'CODE_REFORMATE' },
    });
    expect(codeOf(() => normaliseRncp('formation_rncp', '34-6700-1'))).toBe('RNCP_INVALIDE');
    expect(codeOf(() => normaliseRncp('formation_rncp', '--'))).toBe('RNCP_INVALIDE');
    expect(codeOf(() => normaliseCfd('formation_cfd', 'CAP-123'))).toBe('CFD_INVALIDE');
  });
  test('INE: 11 characters or dropped', () => {
    expect(normaliseIne('ine_apprenant', '1234567890a').value).toBe('1234567890A');
    const bad = normaliseIne('ine_apprenant', '123');
    expect(bad.value).toBeNull();
    expect(bad.warning?.code).toBe('INE_INVALIDE');
  });
});

describe('postcodes and INSEE commune codes', () => {
  test('postcode: 5 digits; 4 digits lost their leading zero', () => {
    expect(normalisePostcode('code_postal_apprenant', '75011').value).toBe('75011');
    expect(normalisePostcode('code_postal_apprenant', 1000).value).toBe('01000');
    expect(codeOf(() => normalisePostcode('code_postal_apprenant', '7501'.slice(0, 3)))).toBe(
      'CODE_POSTAL_INVALIDE',
    );
  });
  test('commune: 5 characters, Corsica 2A/2B, lost zero restored', () => {
    expect(normaliseCommune('c', '75056').value).toBe('75056');
    expect(normaliseCommune('c', '2a004').value).toBe('2A004');
    expect(normaliseCommune('c', 1053).value).toBe('01053');
    expect(normaliseCommune('c', '97411').value).toBe('97411');
    expect(codeOf(() => normaliseCommune('c', '2C004'))).toBe('CODE_COMMUNE_INVALIDE');
  });
});

describe('phone numbers (libphonenumber-js), French and overseas', () => {
  test.each([
    ['06 12 34 56 78', '+33612345678'],
    ['06.12.34.56.78', '+33612345678'],
    ['06-12-34-56-78', '+33612345678'],
    ['+33 6 12 34 56 78', '+33612345678'],
    ['0033612345678', '+33612345678'],
    ['612345678', '+33612345678'],
    ['01 42 34 56 78', '+33142345678'],
    ['0690 12 34 56', '+590690123456'], // Guadeloupe mobile
    ['+33 6 90 12 34 56', '+590690123456'],
    ['0590 12 34 56', '+590590123456'],
    ['0696 12 34 56', '+596696123456'], // Martinique
    ['0694 12 34 56', '+594694123456'], // Guyane
    ['0692 12 34 56', '+262692123456'], // La Réunion
    ['0262 12 34 56', '+262262123456'],
    ['0639 01 23 45', '+262639012345'], // Mayotte
    ['+262 692 12 34 56', '+262692123456'],
    ['+32 470 12 34 56', '+32470123456'], // a Belgian number stays Belgian
  ])('%s → %s', (input, e164) => {
    expect(normalisePhone('tel_apprenant', input)).toEqual({ value: e164 });
  });
  test('an invalid number is dropped with a warning naming the field', () => {
    const r = normalisePhone('tel_apprenant', '12');
    expect(r.value).toBeNull();
    expect(r.warning).toMatchObject({ code: 'TELEPHONE_INVALIDE', path: 'tel_apprenant' });
  });
});

describe('small values', () => {
  test('annee_scolaire', () => {
    expect(normaliseAnneeScolaire('a', '2024-2025')).toBe('2024-2025');
    expect(normaliseAnneeScolaire('a', '2024/2025')).toBe('2024-2025');
    expect(normaliseAnneeScolaire('a', ' 2024 - 2025 ')).toBe('2024-2025');
    expect(normaliseAnneeScolaire('a', '2024-2024')).toBe('2024-2024');
    expect(codeOf(() => normaliseAnneeScolaire('a', '2024-2026'))).toBe('ANNEE_SCOLAIRE_INVALIDE');
    expect(codeOf(() => normaliseAnneeScolaire('a', '2024'))).toBe('ANNEE_SCOLAIRE_INVALIDE');
  });
  test('sexe: M/F, H and 1 mean M, 2 means F', () => {
    expect(['M', 'H', '1', 1, 'm', 'Homme', 'masculin'].map((v) => normaliseSexe('s', v).value)).toEqual([
      'M',
      'M',
      'M',
      'M',
      'M',
      'M',
      'M',
    ]);
    expect(['F', '2', 2, 'f', 'Féminin', 'FEMME'].map((v) => normaliseSexe('s', v).value)).toEqual([
      'F',
      'F',
      'F',
      'F',
      'F',
      'F',
    ]);
    expect(normaliseSexe('sexe_apprenant', 'X')).toMatchObject({
      value: null,
      warning: { code: 'SEXE_INCONNU' },
    });
  });
  test('booleans and bounded integers', () => {
    expect([true, 'oui', 'OUI', '1', 1, 'true'].map((v) => normaliseBoolean('b', v))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect([false, 'non', '0', 0, 'false'].map((v) => normaliseBoolean('b', v))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(codeOf(() => normaliseBoolean('b', 'peut-être'))).toBe('BOOLEEN_INVALIDE');
    expect(normaliseInteger('annee_formation', '2', 0, 5)).toBe(2);
    expect(codeOf(() => normaliseInteger('annee_formation', 6, 0, 5))).toBe('NOMBRE_INVALIDE');
  });
  test('e-mail: lower case, or dropped', () => {
    expect(normaliseEmail('email_contact', ' Lea.Dupont@Example.ORG ')).toEqual({
      value: 'lea.dupont@example.org',
    });
    expect(normaliseEmail('email_contact', 'lea at example')).toMatchObject({
      value: null,
      warning: { code: 'EMAIL_INVALIDE' },
    });
  });
});
