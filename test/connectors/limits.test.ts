/**
 * The ingestion's limits, pure (no services): text lengths, item size and depth, forbidden
 * characters, the dead-letter copy of large inputs, the cutting of a group of messages into produce
 * requests Kafka accepts, dates out of range and incoherent birth dates, date messages.
 */
import { keyPartition } from '../../infra/kafka/client';
import {
  deadLetterInput,
  DEFAULT_LIMITS,
  forbiddenCharacter,
  frenchBytes,
  inspectItem,
} from '../../connectors/core/limits';
import { normaliseDossier } from '../../connectors/core/normalise';
import { printable } from '../../connectors/core/printable';
import { messageBytes, OversizedMessageError, planRequests } from '../../connectors/core/send-plan';
import { validateStructure } from '../../connectors/core/validate';
import { dayFromIso } from '../../streams/status/calendar';
import { dossier, ORG_A, referentialOf } from './support';

const refs = { organismes: referentialOf(ORG_A) };
const TODAY = dayFromIso('2025-03-01');
const errorsOf = (rec: Record<string, unknown>) => {
  const structural = validateStructure(rec);
  if (structural.length > 0) return structural;
  const r = normaliseDossier(rec, refs, { today: TODAY });
  return r.ok ? [] : r.errors;
};
const warningsOf = (rec: Record<string, unknown>) => {
  const r = normaliseDossier(rec, refs, { today: TODAY });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.dossier.warnings;
};

describe('text lengths (schema maxLength): TEXTE_TROP_LONG naming the field, the limit and the length', () => {
  test('names: 200 characters', () => {
    expect(errorsOf(dossier({ nom_apprenant: 'x'.repeat(201) }))).toEqual([
      {
        code: 'TEXTE_TROP_LONG',
        path: 'nom_apprenant',
        message: 'nom_apprenant : texte trop long, 200 caractères au plus, reçu 201',
      },
    ]);
    expect(errorsOf(dossier({ nom_apprenant: 'É'.repeat(200) }))).toEqual([]);
  });
  test('free texts: 1,000 characters; codes: a little more than their pattern', () => {
    expect(errorsOf(dossier({ adresse_apprenant: 'a'.repeat(1001) }))[0]!.message).toBe(
      'adresse_apprenant : texte trop long, 1 000 caractères au plus, reçu 1 001',
    );
    expect(errorsOf(dossier({ adresse_apprenant: 'a'.repeat(1000) }))).toEqual([]);
    expect(errorsOf(dossier({ annee_scolaire: '5'.repeat(21) }))).toEqual([
      expect.objectContaining({ code: 'TEXTE_TROP_LONG', path: 'annee_scolaire' }),
    ]);
    // An optional code too long is left to its normaliser, which drops it with a warning (issue 10).
    expect(errorsOf(dossier({ formation_cfd: '5'.repeat(21) }))).toEqual([]);
    expect(errorsOf(dossier({ cause_rupture_contrat_3: 'c'.repeat(1001) }))).toEqual([
      expect.objectContaining({ code: 'TEXTE_TROP_LONG', path: 'cause_rupture_contrat_3' }),
    ]);
  });
});

describe('item size and depth', () => {
  test('an item over 64 KiB of JSON is rejected as a whole: DOSSIER_TROP_VOLUMINEUX with its size, the limit and the largest field', () => {
    const big = { id_erp_apprenant: 'X', extra: 'y'.repeat(1_200_000) };
    expect(validateStructure(big)).toEqual([
      {
        code: 'DOSSIER_TROP_VOLUMINEUX',
        path: '(dossier)',
        message:
          'dossier trop volumineux : 1 200 035 octets en JSON, 64 Kio (65 536 octets) au plus ; le champ le plus long est extra',
      },
    ]);
    // A 1 MB name: the same (not one error per field of a 1 MB item).
    expect(validateStructure(dossier({ nom_apprenant: 'n'.repeat(1_000_000) }))[0]!.code).toBe(
      'DOSSIER_TROP_VOLUMINEUX',
    );
    // Multi-byte characters count in bytes: 30,000 "é" are 60,000 bytes (under), 33,000 are over.
    expect(validateStructure({ ...dossier(), note: 'é'.repeat(30_000) })).toEqual([]);
    expect(validateStructure({ ...dossier(), note: 'é'.repeat(33_000) })[0]!.code).toBe(
      'DOSSIER_TROP_VOLUMINEUX',
    );
  });
  test('inspectItem: exact size when near the cap, an upper bound below it', () => {
    const item = { a: 'x'.repeat(20_000) };
    expect(inspectItem(item, 65_536)).toEqual({
      tooDeep: null,
      bytes: Buffer.byteLength(JSON.stringify(item)),
      tooLarge: false,
      largestField: 'a',
    });
    expect(inspectItem({ a: 1 }, 65_536).bytes).toBeGreaterThanOrEqual(Buffer.byteLength('{"a":1}'));
  });
  test('values nested deeper than 2 levels: VALEUR_NON_SCALAIRE naming the field, whatever the depth', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 5000; i++) deep = { d: deep };
    expect(validateStructure({ ...dossier(), meta: deep })).toEqual([
      {
        code: 'VALEUR_NON_SCALAIRE',
        path: 'meta',
        message:
          'meta : valeur imbriquée sur plus de 2 niveaux ; un dossier du contrat v3 est un objet plat (texte, nombre, booléen ou null par champ)',
      },
    ]);
    // Two levels are allowed (an unknown field holding a flat object or array is ignored).
    expect(validateStructure({ ...dossier(), meta: { a: 1 }, tags: [1, 'b'] })).toEqual([]);
    expect(validateStructure({ ...dossier(), tags: [[1]] })[0]!.code).toBe('VALEUR_NON_SCALAIRE');
  });
});

describe('forbidden characters: CARACTERES_INVALIDES naming the field', () => {
  test('NUL bytes and lone surrogates in names and identifiers', () => {
    expect(errorsOf(dossier({ nom_apprenant: 'Du\u0000pont', id_erp_apprenant: 'A\u0000' }))).toEqual([
      {
        code: 'CARACTERES_INVALIDES',
        path: 'nom_apprenant',
        message:
          'nom_apprenant : caractère interdit (U+0000) : caractères de contrôle et caractères Unicode isolés refusés',
      },
      expect.objectContaining({ code: 'CARACTERES_INVALIDES', path: 'id_erp_apprenant' }),
    ]);
    expect(errorsOf(dossier({ prenom_apprenant: 'L\ud800a' }))).toEqual([
      expect.objectContaining({
        code: 'CARACTERES_INVALIDES',
        path: 'prenom_apprenant',
        message: expect.stringContaining('(U+D800)'),
      }),
    ]);
    // A real pair (an emoji) is a character, not a lone surrogate.
    expect(forbiddenCharacter('Léa 😀', false)).toBeNull();
  });
  test('tabs and line breaks: allowed in free texts, and around other values only', () => {
    expect(errorsOf(dossier({ adresse_apprenant: '3 rue des Lilas\r\n\tBât. C' }))).toEqual([]);
    expect(errorsOf(dossier({ nom_apprenant: 'Dupont\n' }))).toEqual([]);
    expect(errorsOf(dossier({ nom_apprenant: 'Du\npont' }))).toEqual([
      expect.objectContaining({ code: 'CARACTERES_INVALIDES', path: 'nom_apprenant' }),
    ]);
    expect(errorsOf(dossier({ adresse_apprenant: 'rue\u0007' }))).toEqual([
      expect.objectContaining({ code: 'CARACTERES_INVALIDES', path: 'adresse_apprenant' }),
    ]);
    expect(forbiddenCharacter('x\u0085', true)).toBe('U+0085'); // C1 control (NEL)
  });
  test('unknown fields are not read, hence not checked', () => {
    expect(errorsOf({ ...dossier(), commentaire_interne: 'a\u0000b' })).toEqual([]);
  });
  test('printable(): control characters and lone surrogates escaped, long texts cut', () => {
    expect(printable('a\u0000b\u001b[2J\ud800')).toBe('a\\x00b\\x1b[2J\\u{d800}');
    expect(printable('x'.repeat(100), 10)).toBe(`${'x'.repeat(10)}…`);
  });
});

describe('the dead-letter copy of an input', () => {
  test('small inputs are kept as they are', () => {
    const input = dossier();
    expect(deadLetterInput(input, 65_536)).toEqual({ value: input, truncated: false });
  });
  test('an input over the cap keeps a preview within the cap, its size and the limit', () => {
    const input = { nom_apprenant: 'Dupont', extra: 'x'.repeat(1_200_000), meta: { a: 1 }, n: 3 };
    const { value, truncated } = deadLetterInput(input, 65_536);
    expect(truncated).toBe(true);
    expect(value).toEqual({
      $tronque: { octets: Buffer.byteLength(JSON.stringify(input)), limite: 65_536 },
      apercu: { nom_apprenant: 'Dupont', extra: `${'x'.repeat(1000)}…`, meta: '[objet omis]', n: 3 },
    });
  });
  test('many large fields: as many as fit, the others counted', () => {
    const input = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, 'z'.repeat(5000)]));
    const { value } = deadLetterInput(input, 65_536) as { value: Record<string, unknown> };
    expect(Buffer.byteLength(JSON.stringify(value))).toBeLessThanOrEqual(65_536);
    const kept = Object.keys(value.apercu as object).length;
    expect(kept).toBeGreaterThan(50);
    expect(value.champs_omis).toBe(200 - kept);
  });
  test('an input nested too deep to measure: a preview, size unknown', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const { value } = deadLetterInput({ a: 'b', deep }, 65_536);
    expect(value).toEqual({
      $tronque: { octets: null, limite: 65_536 },
      apercu: { a: 'b', deep: '[tableau de 1 éléments omis]' },
    });
  });
  test('the limits say their unit', () => {
    expect(frenchBytes(DEFAULT_LIMITS.itemBytes)).toBe('64 Kio');
    expect(frenchBytes(10 * 1024 * 1024)).toBe('10 Mio');
  });
});

describe('produce requests (send-plan.ts): every partition under the budget, order kept', () => {
  const msg = (key: string, size: number) => ({ key, value: Buffer.alloc(size, 1) });
  const partitionsOf = (n: number) => (_topic: string, key: unknown) =>
    key === null || key === undefined ? null : keyPartition(key as string, n);

  test('one request when everything fits; several in order when a partition would pass the budget', () => {
    const small = [{ topic: 't', messages: [msg('a', 100), msg('b', 100)] }];
    expect(planRequests(small, partitionsOf(6), 10_000, 5_000)).toEqual([small]);

    // 40 messages of 1,000 bytes with the same key (one partition), budget 10,000: requests of 9.
    const same = Array.from({ length: 40 }, (_, i) => ({
      key: 'k',
      value: Buffer.from(String(i).padEnd(1000)),
    }));
    const requests = planRequests([{ topic: 't', messages: same }], partitionsOf(6), 10_000, 5_000);
    expect(requests.map((r) => r[0]!.messages.length)).toEqual([9, 9, 9, 9, 4]);
    // Order kept; each message carries the partition the producer would choose (hashed once).
    expect(requests.flatMap((r) => r[0]!.messages)).toEqual(
      same.map((m) => ({ ...m, partition: keyPartition('k', 6) })),
    );
  });

  test('per partition, not per request: spread keys share one request', () => {
    const spread = Array.from({ length: 60 }, (_, i) => msg(`key-${i}`, 1000));
    const requests = planRequests([{ topic: 't', messages: spread }], partitionsOf(6), 20_000, 5_000);
    for (const r of requests) {
      const perPartition = new Map<number, number>();
      for (const m of r[0]!.messages) {
        const p = keyPartition(m.key as string, 6);
        perPartition.set(p, (perPartition.get(p) ?? 64) + messageBytes(m));
      }
      expect(Math.max(...perPartition.values())).toBeLessThanOrEqual(20_000);
    }
    expect(requests.length).toBeLessThan(4); // 60 KB over 6 partitions: not one request per 20 KB
    expect(requests.flatMap((r) => r[0]!.messages.map((m) => m.key))).toEqual(spread.map((m) => m.key));
  });

  test('topics keep their order (reports after the events) and an unknown partition count is safe', () => {
    const batches = [
      { topic: 'changes', messages: [msg('a', 6000), msg('b', 6000)] },
      { topic: 'transmissions', messages: [msg('r', 10)] },
    ];
    const requests = planRequests(batches, () => null, 10_000, 8_000);
    expect(requests.map((r) => r.map((b) => `${b.topic}:${b.messages.map((m) => m.key).join('')}`))).toEqual([
      ['changes:a'],
      ['changes:b', 'transmissions:r'],
    ]);
  });

  test('a single message over the limit is refused before anything is sent', () => {
    expect(() =>
      planRequests(
        [{ topic: 't', messages: [msg('a', 10), msg('b', 600_000)] }],
        partitionsOf(6),
        900 * 1024,
        512 * 1024,
      ),
    ).toThrow(OversizedMessageError);
  });
});

describe('dates of the training and the contracts; the birth date', () => {
  test('a training or contract date before 1990 or after 2100: DATE_HORS_LIMITES naming the field and the bounds', () => {
    expect(errorsOf(dossier({ date_entree_formation: '1900-01-01' }))).toEqual([
      {
        code: 'DATE_HORS_LIMITES',
        path: 'date_entree_formation',
        message:
          "date_entree_formation : 1900-01-01 est hors des limites acceptées (du 1990-01-01 au 2100-12-31) ; vérifiez l'année",
      },
    ]);
    for (const field of [
      'date_inscription_formation',
      'date_fin_formation',
      'date_exclusion_formation',
      'contrat_date_debut',
      'contrat_date_fin',
      'contrat_date_rupture',
      'contrat_date_debut_4',
    ]) {
      expect(errorsOf(dossier({ [field]: '2101-01-01' }))).toEqual([
        expect.objectContaining({ code: 'DATE_HORS_LIMITES', path: field }),
      ]);
    }
    expect(errorsOf(dossier({ date_inscription_formation: '1990-01-01' }))).toEqual([]);
  });
  test('a birth date after the training entry or in the future: DATE_NAISSANCE_INCOHERENTE, value not quoted', () => {
    expect(errorsOf(dossier({ date_de_naissance_apprenant: '2024-12-01' }))).toEqual([
      {
        code: 'DATE_NAISSANCE_INCOHERENTE',
        path: 'date_de_naissance_apprenant',
        message:
          "date_de_naissance_apprenant : la date de naissance est postérieure à date_entree_formation (2024-09-02) ; vérifiez l'une des deux dates",
      },
    ]);
    expect(errorsOf(dossier({ date_de_naissance_apprenant: '2030-01-01' }))).toEqual([
      {
        code: 'DATE_NAISSANCE_INCOHERENTE',
        path: 'date_de_naissance_apprenant',
        message: 'date_de_naissance_apprenant : la date de naissance est dans le futur ; vérifiez-la',
      },
    ]);
  });
  test('an age at entry under 13 or over 80: accepted with AGE_INHABITUEL', () => {
    expect(warningsOf(dossier({ date_de_naissance_apprenant: '2015-01-01' }))).toEqual([
      {
        code: 'AGE_INHABITUEL',
        path: 'date_de_naissance_apprenant',
        message:
          "date_de_naissance_apprenant : âge à l'entrée en formation de 9 ans, inhabituel (attendu de 13 à 80 ans) ; vérifiez la date de naissance",
      },
    ]);
    expect(warningsOf(dossier({ date_de_naissance_apprenant: '1940-01-01' }))[0]!.code).toBe(
      'AGE_INHABITUEL',
    );
    expect(warningsOf(dossier({ date_de_naissance_apprenant: '2011-09-02' }))).toEqual([]); // 13 on the day
  });
  test('date messages: "attendu" said once; AAAAMMJJ recognised; the birth date says the same reason without its value', () => {
    expect(errorsOf(dossier({ date_entree_formation: '2 sept. 2024' }))[0]!.message).toBe(
      'date_entree_formation : format de date non reconnu "2 sept. 2024" : attendu AAAA-MM-JJ, JJ/MM/AAAA, date-heure ISO 8601 ou numéro de série Excel',
    );
    expect(errorsOf(dossier({ date_entree_formation: '20240902' }))).toEqual([
      {
        code: 'DATE_INVALIDE',
        path: 'date_entree_formation',
        message:
          'date_entree_formation : "20240902" ressemble à une date AAAAMMJJ sans séparateurs : format non accepté, écrivez 2024-09-02',
      },
    ]);
    expect(errorsOf(dossier({ date_de_naissance_apprenant: '20050412' }))[0]!.message).toBe(
      'date_de_naissance_apprenant : la date ressemble à AAAAMMJJ sans séparateurs : format non accepté, écrivez AAAA-MM-JJ',
    );
    expect(errorsOf(dossier({ date_de_naissance_apprenant: '12 avril 2005' }))[0]!.message).toBe(
      'date_de_naissance_apprenant : format de date non reconnu : attendu AAAA-MM-JJ, JJ/MM/AAAA, date-heure ISO 8601 ou numéro de série Excel',
    );
    // Same wording for a non-existent day, birth date or not.
    expect(errorsOf(dossier({ date_entree_formation: '31/02/2024' }))[0]!.message).toMatch(
      /n'existe pas dans le calendrier \(attendu AAAA-MM-JJ\)$/,
    );
    expect(errorsOf(dossier({ date_de_naissance_apprenant: '31/02/2005' }))[0]!.message).toMatch(
      /n'existe pas dans le calendrier \(attendu AAAA-MM-JJ\)$/,
    );
  });
});
