/**
 * Hostile values of the review (issue 11, findings 5, 6, 9 and 12) on the ingestion routes, with
 * the real Kafka, Redis and registry: identifiers sent as numbers JSON cannot hold exactly
 * (9007199254740993, 1e400), bodies that are not UTF-8 (a Latin-1 "Zoé", a declared charset),
 * `Cache-Control: no-store` on replies that echo learners, and names carrying invisible and bidi
 * control characters.
 */
import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { charsetOf, firstInvalidUtf8 } from '../../api/plugins/json-body';
import { withoutInvisible } from '../../connectors/core/normalise/names';
import { openJson } from '../../infra/crypto';
import type { TestPlatform } from '../support/platform';
import { collectTopics, dossier, ORG_A, send, startIngestionBench, topicSize, type Decoded } from './support';

jest.setTimeout(120_000);

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let key: string;
let topics: Awaited<ReturnType<typeof collectTopics>>;

const PUSH = '/api/v3/dossiers-apprenants';
const rk = (id: string) => `${ORG_A.uai}:2024-2025:${id}`;

/** POST of raw bytes to the push route (the JSON text is written by hand: numbers JSON.stringify would round). */
async function pushRaw(body: Buffer | string, contentType = 'application/json') {
  const res = await fetch(`${base}${PUSH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    body,
  });
  const text = await res.text();
  return { statusCode: res.status, headers: res.headers, json: () => JSON.parse(text) as Decoded };
}

/** A v3 item's JSON text with `id_erp_apprenant` written as the literal `idLiteral`. */
const itemWithIdLiteral = (idLiteral: string, o: Record<string, unknown> = {}) =>
  JSON.stringify(dossier({ id_erp_apprenant: '__ID__', ...o })).replace('"__ID__"', idLiteral);

function upload(bytes: Buffer, filename: string) {
  const form = new FormData();
  form.append('fichier', new Blob([bytes]), filename);
  return send(base, '/api/v1/televersements', { authorization: `Bearer ${key}`, form });
}

beforeAll(async () => {
  ({
    platform,
    app,
    base,
    keys: [key],
  } = await startIngestionBench({}, [ORG_A]));
  topics = await collectTopics(platform.ctx, ['changes', 'deadLetter']);
});

afterAll(async () => {
  await topics?.stop();
  await app?.close();
  await platform?.cleanup();
});

describe('finding 5: identifiers sent as numbers JSON cannot hold exactly', () => {
  test('9007199254740993 and 9007199254740992: both refused naming the field, no learner created', async () => {
    const before = await topicSize(platform.ctx, 'changes');
    const res = await pushRaw(
      `[${itemWithIdLiteral('9007199254740993')},${itemWithIdLiteral('9007199254740992')}]`,
    );
    expect(res.statusCode).toBe(200);
    const data = res.json().data as Decoded[];
    for (const d of data)
      expect(d.validation_errors).toEqual([
        {
          code: 'IDENTIFIANT_NUMERIQUE_IMPRECIS',
          path: 'id_erp_apprenant',
          message:
            "id_erp_apprenant : nombre trop grand pour être lu exactement (au-delà de 9 007 199 254 740 991, il est arrondi) ; envoyez l'identifiant sous forme de texte (entre guillemets)",
        },
      ]);
    expect(await topicSize(platform.ctx, 'changes')).toBe(before);
  });

  test('1e400 is refused as infinite, and its dead-letter key is not "…:Infinity"', async () => {
    const res = await pushRaw(`[${itemWithIdLiteral('1e400')}, ${itemWithIdLiteral('-1e400')}]`);
    const data = res.json().data as Decoded[];
    expect(data.map((d) => d.validation_errors[0].message)).toEqual([
      "id_erp_apprenant : nombre hors des limites (lu comme infini) ; envoyez l'identifiant sous forme de texte (entre guillemets)",
      "id_erp_apprenant : nombre hors des limites (lu comme infini) ; envoyez l'identifiant sous forme de texte (entre guillemets)",
    ]);
    const dead = await topics.wait('deadLetter', 4);
    expect(dead.map((m) => m.key).filter((k) => /Infinity/.test(k))).toEqual([]);
  });

  test('the same ids as text are two learners; a SIRET as a safe number is still read', async () => {
    const res = await pushRaw(
      `[${itemWithIdLiteral('"9007199254740993"')},${itemWithIdLiteral('"9007199254740992"')},${itemWithIdLiteral(
        '12345',
        { etablissement_formateur_siret: Number(ORG_A.siret) },
      )}]`,
    );
    expect((res.json().data as Decoded[]).map((d) => d.validation_errors)).toEqual([[], [], []]);
    await topics.waitKey('changes', rk('9007199254740993'), 1);
    await topics.waitKey('changes', rk('9007199254740992'), 1);
    await topics.waitKey('changes', rk('12345'), 1);
  });

  test('an XLSX number cell beyond 2^53 (already rounded in the workbook) rejects its row', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Feuil1');
    const d = dossier();
    const cols = Object.keys(d);
    ws.addRow(cols);
    // 2^53 + 1: a spreadsheet holds it as 2^53 (the precision is lost in the workbook already).
    ws.addRow(cols.map((c) => (c === 'id_erp_apprenant' ? 2 ** 53 + 1 : d[c])));
    const res = await upload(Buffer.from(await wb.xlsx.writeBuffer()), 'grands-nombres.xlsx');
    expect(res.json().rapport[0]).toMatchObject({
      statut: 'rejete',
      validation_errors: [
        expect.objectContaining({ code: 'IDENTIFIANT_NUMERIQUE_IMPRECIS', path: 'id_erp_apprenant' }),
      ],
    });
  });
});

describe('finding 6: bodies that are not UTF-8', () => {
  test('a Latin-1 "Zoé": 400 ENCODAGE_INVALIDE naming the encoding and the byte, nothing ingested', async () => {
    const before = await topicSize(platform.ctx, 'changes');
    const text = JSON.stringify([dossier({ id_erp_apprenant: 'LATIN1', prenom_apprenant: 'Zoé' })]);
    const latin1 = Buffer.from(text, 'latin1');
    const res = await pushRaw(latin1);
    expect(res.statusCode).toBe(400);
    const at = latin1.indexOf(0xe9);
    expect(res.json()).toEqual({
      status: 'ERROR',
      code: 'ENCODAGE_INVALIDE',
      champ: 'corps',
      message: `le corps n'est pas encodé en UTF-8 (octet 0xE9 invalide à la position ${at}) : envoyez le JSON en UTF-8 ; un export en Latin-1 ou Windows-1252 doit être converti`,
    });
    expect(await topicSize(platform.ctx, 'changes')).toBe(before);
  });

  test('an ill-formed sequence after a genuine U+FFFD is found at its byte', async () => {
    const body = Buffer.concat([Buffer.from('["\uFFFDé'), Buffer.from([0xc3, 0x28]), Buffer.from('"]')]);
    expect(firstInvalidUtf8(body)).toBe(2 + 3 + 2);
    const res = await pushRaw(body);
    expect([res.statusCode, res.json().code]).toEqual([400, 'ENCODAGE_INVALIDE']);
    expect(res.json().message).toContain('octet 0xC3 invalide à la position 7');
  });

  test('a declared charset other than UTF-8: 400 naming it; UTF-8 declared or not: accepted', async () => {
    expect(charsetOf('application/json; charset="ISO-8859-1"')).toBe('iso-8859-1');
    const body = JSON.stringify([dossier({ id_erp_apprenant: 'CHARSET' })]);
    const latin = await pushRaw(Buffer.from(body, 'latin1'), 'application/json; charset=iso-8859-1');
    expect(latin.statusCode).toBe(400);
    expect(latin.json().message).toBe(
      'jeu de caractères « iso-8859-1 » déclaré dans Content-Type : le corps JSON doit être encodé en UTF-8 (application/json; charset=utf-8)',
    );
    const utf8 = await pushRaw(body, 'application/json; charset=UTF-8');
    expect(utf8.statusCode).toBe(200);
    // A UTF-8 BOM is accepted (and not part of the JSON).
    const bom = await pushRaw(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]));
    expect(bom.statusCode).toBe(200);
  });

  test('the framework errors are kept: empty body, malformed JSON, prototype poisoning', async () => {
    expect((await pushRaw('')).json().code).toBe('CORPS_VIDE');
    expect((await pushRaw('[{')).json().code).toBe('JSON_INVALIDE');
    const poisoned = await pushRaw('[{"__proto__": {"admin": true}}]');
    expect(poisoned.statusCode).toBe(400);
  });
});

describe('finding 9: replies that echo learners are not kept by caches', () => {
  test('push and upload replies carry Cache-Control: no-store, errors too', async () => {
    const push = await pushRaw(JSON.stringify([dossier({ id_erp_apprenant: 'NOSTORE' })]));
    expect([push.statusCode, push.headers.get('cache-control')]).toEqual([200, 'no-store']);
    const form = new FormData();
    form.append('fichier', new Blob([Buffer.from('id_erp_apprenant\nX\n')]), 'x.csv');
    const up = await send(base, '/api/v1/televersements', { authorization: `Bearer ${key}`, form });
    expect(up.headers.get('cache-control')).toBe('no-store');
    expect((await pushRaw('[')).headers.get('cache-control')).toBe('no-store');
  });
});

describe('finding 12: invisible and bidi control characters in identity fields', () => {
  test('stripped with a warning naming the code points; the sealed identity is clean', async () => {
    expect(withoutInvisible('\u200b=1+1')).toEqual({ text: '=1+1', removed: ['U+200B'] });
    const res = await pushRaw(
      JSON.stringify([
        dossier({
          id_erp_apprenant: 'BIDI-1',
          nom_apprenant: '\u200b=1+1',
          prenom_apprenant: 'Zo\u202eé\u2066',
          adresse_apprenant: '12 rue\u200d de la\u2060 Paix',
        }),
      ]),
    );
    const [item] = res.json().data as Decoded[];
    expect(item!.validation_errors).toEqual([]);
    expect(item!.warnings.filter((w: Decoded) => w.code === 'CARACTERES_INVISIBLES_SUPPRIMES')).toEqual([
      {
        code: 'CARACTERES_INVISIBLES_SUPPRIMES',
        path: 'nom_apprenant',
        message: 'nom_apprenant : caractères invisibles ou de contrôle bidirectionnel supprimés (U+200B)',
      },
      {
        code: 'CARACTERES_INVISIBLES_SUPPRIMES',
        path: 'prenom_apprenant',
        message:
          'prenom_apprenant : caractères invisibles ou de contrôle bidirectionnel supprimés (U+202E, U+2066)',
      },
      {
        code: 'CARACTERES_INVISIBLES_SUPPRIMES',
        path: 'adresse_apprenant',
        message:
          'adresse_apprenant : caractères invisibles ou de contrôle bidirectionnel supprimés (U+200D, U+2060)',
      },
    ]);
    const [ev] = await topics.waitKey('changes', rk('BIDI-1'), 1);
    const after = ev!.value.after as Decoded;
    expect(openJson<Decoded>(platform.ctx.secrets.dataKey, after.identite_chiffree)).toMatchObject({
      nom: '=1+1',
      prenom: 'Zoé',
      adresse_apprenant: '12 rue de la Paix',
    });
    expect(after.avertissements).toEqual(
      expect.arrayContaining(['CARACTERES_INVISIBLES_SUPPRIMES:nom_apprenant']),
    );
  });

  test('a name made of invisible characters only is a missing name', async () => {
    const res = await pushRaw(
      JSON.stringify([dossier({ id_erp_apprenant: 'BIDI-2', nom_apprenant: '\u200b\u202e' })]),
    );
    expect(res.json().data[0].validation_errors).toEqual([
      {
        code: 'CHAMP_REQUIS',
        path: 'nom_apprenant',
        message: 'nom_apprenant : champ requis vide (seulement des caractères invisibles)',
      },
    ]);
  });
});
