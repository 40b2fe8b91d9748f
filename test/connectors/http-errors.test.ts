/**
 * The errors of the ingestion routes, on the real services (isolated namespace): one French shape
 * `{status: "ERROR", code, message}`, the API key checked before the body is read, the framework's
 * errors translated (JSON, empty body, media type, sizes, multipart), whole-request 400s that say
 * what is wrong, uploads that are not tables refused with 422 (nothing sent to Kafka), internal
 * errors never shown, 503 when Kafka is unavailable.
 */
import fs from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { signToken } from '../../api/auth/tokens';
import { createContext } from '../../infra/context';
import { createPipeline, type Pipeline } from '../../connectors/core/pipeline';
import { connectorRoutes } from '../../connectors/http';
import type { TestPlatform } from '../support/platform';
import { dossier, ORG_A, ORG_B, send, startIngestionBench, topicSize, type Decoded } from './support';

jest.setTimeout(120_000);

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let key: string;

const PUSH = '/api/v3/dossiers-apprenants';
const UPLOAD = '/api/v1/televersements';

/** A raw request (any body, any content type). */
async function raw(
  path: string,
  opts: { key?: string | null; type?: string; body?: string | Buffer | FormData },
): Promise<{ status: number; json: Decoded; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (opts.key !== null) headers.authorization = `Bearer ${opts.key ?? key}`;
  if (opts.type) headers['content-type'] = opts.type;
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: opts.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Decoded) : {} };
}
const upload = (bytes: Buffer, filename: string) => {
  const form = new FormData();
  form.append('fichier', new Blob([bytes]), filename);
  return raw(UPLOAD, { body: form });
};

beforeAll(async () => {
  ({
    platform,
    app,
    base,
    keys: [key],
  } = await startIngestionBench({}, [ORG_A]));
});

afterAll(async () => {
  await app?.close();
  await platform?.cleanup();
});

describe('the API key is checked before the body is read', () => {
  test('a 9 MB body without a key: 401 at once; a malformed body without a key: 401, not 400', async () => {
    const big = JSON.stringify([dossier({ adresse_apprenant: 'x'.repeat(9 * 1024 * 1024) })]);
    const res = await raw(PUSH, { key: null, type: 'application/json', body: big });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.json).toEqual({
      status: 'ERROR',
      code: 'CLE_API_MANQUANTE',
      message: "clé d'API manquante : en-tête Authorization: Bearer <clé> requis",
    });
    const malformed = await raw(PUSH, { key: 'tdb_unknown', type: 'application/json', body: '[{"a": ' });
    expect(malformed.status).toBe(401);
    expect(malformed.json).toMatchObject({ code: 'CLE_API_INCONNUE', message: "clé d'API inconnue" });
    // Uploads too: a JSON body without a key is a 401 (not a 415).
    expect((await raw(UPLOAD, { key: null, type: 'application/json', body: '{}' })).status).toBe(401);
  });
});

describe('push API: the framework errors in French, one shape', () => {
  test('malformed JSON, empty body, other media type, body over 10 MiB', async () => {
    expect(await raw(PUSH, { type: 'application/json', body: '[{"a": ' })).toMatchObject({
      status: 400,
      json: {
        status: 'ERROR',
        code: 'JSON_INVALIDE',
        message: "le corps de la requête n'est pas un JSON valide : un tableau JSON de dossiers est attendu",
      },
    });
    expect(await raw(PUSH, { type: 'application/json', body: '' })).toMatchObject({
      status: 400,
      json: {
        code: 'CORPS_VIDE',
        message: 'le corps de la requête est vide : un tableau JSON de dossiers est attendu',
      },
    });
    expect(await raw(PUSH, { type: 'text/plain', body: '[]' })).toMatchObject({
      status: 415,
      json: {
        code: 'TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE',
        message: 'type de contenu « text/plain » non pris en charge : application/json attendu',
      },
    });
    expect(await raw(PUSH, { type: 'text/csv', body: 'a;b' })).toMatchObject({
      status: 415,
      json: {
        code: 'TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE',
        message: 'type de contenu « text/csv » non pris en charge : application/json attendu',
      },
    });
    const tooLarge = await raw(PUSH, {
      type: 'application/json',
      body: JSON.stringify([dossier({ adresse_apprenant: 'x'.repeat(11 * 1024 * 1024) })]),
    });
    expect(tooLarge).toMatchObject({
      status: 413,
      json: {
        code: 'CORPS_TROP_VOLUMINEUX',
        message:
          'corps de la requête trop volumineux : 10 Mio au plus ; envoyez les dossiers en plusieurs appels',
        limite: 10 * 1024 * 1024,
      },
    });
  });

  test('the whole-request 400 says what is wrong: not an array, how many items, which item is not an object', async () => {
    expect((await send(base, PUSH, { authorization: `Bearer ${key}`, json: { a: 1 } })).json()).toEqual({
      status: 'ERROR',
      code: 'CORPS_NON_TABLEAU',
      message: 'le corps doit être un tableau JSON de dossiers ([{...}, {...}]), reçu : un objet',
    });
    const many = await send(base, PUSH, {
      authorization: `Bearer ${key}`,
      json: Array.from({ length: 2001 }, () => ({})),
    });
    expect(many.statusCode).toBe(400);
    expect(many.json()).toEqual({
      status: 'ERROR',
      code: 'TROP_DE_DOSSIERS',
      message: '2 001 dossiers reçus : 2 000 au plus par appel ; envoyez-les en plusieurs appels',
      limite: 2000,
    });
    const notObject = await send(base, PUSH, {
      authorization: `Bearer ${key}`,
      json: [dossier(), 3, dossier(), null],
    });
    expect(notObject.statusCode).toBe(400);
    expect(notObject.json()).toEqual({
      status: 'ERROR',
      code: 'DOSSIER_NON_OBJET',
      message:
        'chaque dossier doit être un objet JSON : élément 2 (data[1]), élément 4 (data[3]) ne le sont pas (data[1] est un nombre)',
      elements: [1, 3],
    });
  });

  test('403 has the same shape, with a code', async () => {
    const res = await send(base, PUSH, {
      authorization: `Bearer ${key}`,
      json: [
        dossier({
          etablissement_responsable_uai: ORG_B.uai,
          etablissement_responsable_siret: ORG_B.siret,
          etablissement_formateur_uai: ORG_B.uai,
          etablissement_formateur_siret: ORG_B.siret,
        }),
      ],
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ status: 'ERROR', code: 'ORGANISME_NON_AUTORISE', elements: [0] });
  });
});

describe('one code per fault on both route families (the catalogue of api/errors.ts)', () => {
  const ML_PATCH = '/api/v1/missions-locales/ML-75-PARIS/alertes/0123456789abcdef0123456789abcdef';
  test('malformed JSON, empty body, media type: the same code on the push API (ERP shape) and a read route (read shape)', async () => {
    const cases: [type: string, body: string, code: string, status: number][] = [
      ['application/json', '[{"a": ', 'JSON_INVALIDE', 400],
      ['application/json', '', 'CORPS_VIDE', 400],
      ['text/csv', 'a;b', 'TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE', 415],
      ['application/xml', '<a/>', 'TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE', 415],
    ];
    for (const [type, body, code, status] of cases) {
      const erp = await raw(PUSH, { type, body });
      expect([type, body, erp.status, erp.json.status, erp.json.code]).toEqual([
        type,
        body,
        status,
        'ERROR',
        code,
      ]);
      expect(erp.headers.get('x-request-id')).toBeTruthy();
      // The Mission Locale's own token: the request is authorised before its body is read.
      const token = signToken(
        platform.ctx.secrets.tokenSecret,
        { role: 'mission_locale', scope: ['ML-75-PARIS'], sub: 'conseiller@ml' },
        platform.ctx.territoires,
        Date.now(),
      );
      const res = await fetch(`${base}${ML_PATCH}`, {
        method: 'PATCH',
        headers: { 'content-type': type, authorization: `Bearer ${token}` },
        body,
      });
      const read = (await res.json()) as Decoded;
      expect([type, body, res.status, read.statusCode, read.code]).toEqual([
        type,
        body,
        status,
        status,
        code,
      ]);
      expect(read.error).toBeTruthy();
      expect(read.status).toBeUndefined();
    }
  });

  test('a path Fastify’s router refuses: CARACTERES_INVALIDES, in the shape of the route family', async () => {
    const erp = await raw('/api/v3/dossiers-apprenants/%ED%A0%80', {});
    expect([erp.status, erp.json]).toEqual([
      400,
      {
        status: 'ERROR',
        code: 'CARACTERES_INVALIDES',
        message:
          'adresse invalide : caractères invalides dans le chemin (encodage UTF-8 ou séquence %XX incorrecte)',
      },
    ]);
    const res = await fetch(`${base}/api/v1/organismes/%ED%A0%80/transmission`);
    expect([res.status, await res.json()]).toEqual([
      400,
      {
        statusCode: 400,
        error: 'Bad Request',
        code: 'CARACTERES_INVALIDES',
        message:
          'adresse invalide : caractères invalides dans le chemin (encodage UTF-8 ou séquence %XX incorrecte)',
      },
    ]);
  });
});

describe('uploads', () => {
  test('a JSON body: 415 "multipart/form-data attendu"; a form without a file: 400; a file over 20 MiB: 413', async () => {
    expect(await raw(UPLOAD, { type: 'application/json', body: JSON.stringify([dossier()]) })).toMatchObject({
      status: 415,
      json: {
        status: 'ERROR',
        code: 'TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE',
        message:
          'type de contenu « application/json » non pris en charge : multipart/form-data (le fichier dans un champ "fichier") attendu',
      },
    });
    const form = new FormData();
    form.append('commentaire', 'pas de fichier');
    expect(await raw(UPLOAD, { body: form })).toMatchObject({
      status: 400,
      json: { code: 'FICHIER_ABSENT' },
    });
    // A malformed form (no boundary, a truncated body): 400 in French.
    expect(await raw(UPLOAD, { type: 'multipart/form-data', body: 'x' })).toMatchObject({
      status: 400,
      json: { code: 'MULTIPART_INVALIDE' },
    });
    expect(
      await raw(UPLOAD, {
        type: 'multipart/form-data; boundary=XX',
        body: '--XX\r\nContent-Disposition: form-data; name="fichier"; filename="a.csv"\r\n\r\nnom_apprenant\r\nX',
      }),
    ).toMatchObject({ status: 400, json: { code: 'MULTIPART_INVALIDE' } });
    // Two files: refused, neither is ingested (the second is not silently ignored).
    const two = new FormData();
    two.append('fichier', new Blob(['id_erp_apprenant\nA1\n']), 'a.csv');
    two.append('fichier2', new Blob(['id_erp_apprenant\nB1\n']), 'b.csv');
    const changesBefore = await topicSize(platform.ctx, 'changes');
    expect(await raw(UPLOAD, { body: two })).toMatchObject({
      status: 400,
      json: { code: 'UN_SEUL_FICHIER', message: 'un seul fichier par envoi' },
    });
    expect(await topicSize(platform.ctx, 'changes')).toBe(changesBefore);
    const huge = await upload(Buffer.alloc(21 * 1024 * 1024, 0x41), 'gros.csv');
    expect(huge).toMatchObject({
      status: 413,
      json: { code: 'FICHIER_TROP_VOLUMINEUX', message: 'fichier trop volumineux : 20 Mio au plus' },
    });
  });

  test('files that are not tables of dossiers: 422 with the drop folder messages, nothing sent to Kafka', async () => {
    const sizes = async () => [
      await topicSize(platform.ctx, 'changes'),
      await topicSize(platform.ctx, 'deadLetter'),
      await topicSize(platform.ctx, 'transmissions'),
    ];
    const before = await sizes();
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    const cases: [Buffer, string, RegExp][] = [
      [Buffer.alloc(0), 'vide.csv', /^aucune ligne de données/],
      [Buffer.from('nom_apprenant;id_erp_apprenant\n'), 'entete.csv', /^aucune ligne de données$/],
      [
        Buffer.from('a;b;c\n1;2;3\n'),
        'abc.csv',
        /^aucune colonne ne porte un nom de champ du contrat v3 \(colonnes : a, b, c\)/,
      ],
      [noise, 'aleatoire.csv', /^fichier binaire ou illisible/],
      [fs.readFileSync('/bin/ls'), 'ls.csv', /^fichier binaire ou illisible \(programme\)/],
      [
        Buffer.concat([Buffer.from('%PDF-1.4\n'), noise]),
        'doc.csv',
        /^fichier binaire ou illisible \(document PDF\)/,
      ],
      [noise, 'export.xlsx', /n'est pas un classeur XLSX valide \(ce n'est pas une archive ZIP\)/],
      [
        Buffer.from('id_erp_apprenant;nom_apprenant;ID ERP apprenant\nA1;Dupont;A2\n'),
        'double.csv',
        /^la colonne id_erp_apprenant apparaît deux fois dans l'en-tête \(colonnes 1 et 3\)/,
      ],
    ];
    for (const [bytes, name, message] of cases) {
      const res = await upload(bytes, name);
      expect([name, res.status, res.json.code]).toEqual([name, 422, 'FICHIER_ILLISIBLE']);
      expect(res.json.message).toMatch(message);
      expect(res.json.fichier).toBe(name);
    }
    expect(await sizes()).toEqual(before);
  });
});

describe('internal and Kafka errors', () => {
  test('an internal error: 500 "erreur interne", its text never shown', async () => {
    const broken: Pipeline = {
      ingest: () => Promise.reject(new Error('KafkaJSProtocolError: secret internals at 127.0.0.1:9092')),
      close: async () => undefined,
    };
    const mini = Fastify({ logger: false });
    mini.decorate('ctx', platform.ctx);
    await mini.register(connectorRoutes, { pipeline: broken });
    const url = await mini.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await send(url, PUSH, { authorization: `Bearer ${key}`, json: [dossier()] });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({
        status: 'ERROR',
        code: 'ERREUR_INTERNE',
        message: `erreur interne du serveur : l'envoi n'a pas été traité ; réessayez plus tard, et si l’erreur persiste, communiquez la référence ${res.headers.get('x-request-id')} à l’équipe du tableau de bord`,
      });
      expect(res.headers.get('x-request-id')).toMatch(/^req-\d+$/);
    } finally {
      await mini.close();
    }
  });

  test('Kafka unavailable: 503 "transmission momentanément impossible, réessayez"', async () => {
    const ctx = createContext({ ...platform.config, kafkaBrokers: ['127.0.0.1:1'] }, 'test-no-kafka');
    const pipeline = createPipeline(ctx, { workers: 0 });
    const mini = Fastify({ logger: false });
    mini.decorate('ctx', ctx);
    await mini.register(connectorRoutes, { pipeline });
    const url = await mini.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await send(url, PUSH, { authorization: `Bearer ${key}`, json: [dossier()] });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        status: 'ERROR',
        code: 'TRANSMISSION_INDISPONIBLE',
        message: expect.stringMatching(/^transmission momentanément impossible, réessayez/),
      });
      expect(JSON.stringify(res.json())).not.toMatch(/kafka|broker|ECONNREFUSED|127\.0\.0\.1/i);
    } finally {
      await mini.close();
      await pipeline.close();
      await ctx.close();
    }
  });
});
