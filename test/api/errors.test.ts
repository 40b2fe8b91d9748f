/**
 * The API's error answers: one shape `{statusCode, error, code, champ?, message}`, in French, for
 * every error of the read API — schema validation (the field and the constraint named), hostile or
 * malformed values (the real reason, and no query sent to ClickHouse), the national route given a
 * filter, unknown routes, what Fastify's router and Node's HTTP parser refuse (bad URL, path
 * parameter too long, 431), refused bodies (Mission Locale PATCH) — and 500s that never show their
 * cause: a real ClickHouse failure over HTTP, and a minimal app whose log is read back.
 */
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { useApiErrors, validationMessage } from '../../api/errors';
import { ClickHouseError } from '../../infra/clickhouse/client';
import { SITUATIONS } from '../../streams/alert-inbox/model';
import { apiFixture, bearer, recordQueries, type ApiFixture } from './support/app';

let fx: ApiFixture;
let admin: Record<string, string>;
let queries: string[];

beforeAll(async () => {
  fx = await apiFixture(60, { seed: 4 });
  admin = bearer(fx.token({ role: 'admin', scope: [] }));
  queries = recordQueries(fx);
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

interface Expected {
  statusCode: number;
  error: string;
  code: string;
  champ?: string;
  message: string;
}

interface Sent {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

async function call(path: string, init: Sent = {}) {
  const r = await fetch(fx.base + path, {
    method: init.method ?? 'GET',
    headers: { ...admin, ...init.headers },
    body: init.body,
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, body: JSON.parse(text) as Expected };
}

/** The whole error body, its status, JSON type and request id header. */
async function expectError(path: string, expected: Expected, init: Sent = {}) {
  const r = await call(path, init);
  expect({ path, status: r.status, body: r.body }).toEqual({
    path,
    status: expected.statusCode,
    body: expected,
  });
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.headers.get('x-request-id')).toMatch(
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  // No English framework wording left.
  expect(r.body.message).not.toMatch(/\bmust\b|not found|\binvalid\b|\brequired\b|\bexceed/i);
  return r;
}

const bad = (champ: string, message: string, code = 'PARAMETRE_INVALIDE'): Expected => ({
  statusCode: 400,
  error: 'Bad Request',
  code,
  champ,
  message: `${champ} : ${message}`,
});

describe('validation messages in French, naming the field and the constraint', () => {
  it.each<[string, Expected]>([
    ['/api/v1/apprenants?page=0', bad('page', 'doit être supérieur ou égal à 1 (reçu : 0)')],
    ['/api/v1/apprenants?par_page=6000', bad('par_page', 'doit être inférieur ou égal à 5000 (reçu : 6000)')],
    ['/api/v1/apprenants?page=abc', bad('page', 'nombre entier attendu (reçu : « abc »)')],
    [
      '/api/v1/organismes/0693446X/transmission?jours=400',
      bad('jours', 'doit être inférieur ou égal à 366 (reçu : 400)'),
    ],
    [
      '/api/v1/indicateurs?date=2024-01-01&date=2024-01-02',
      bad('date', 'une seule valeur attendue (paramètre répété)'),
    ],
    [
      '/api/v1/indicateurs?departement=69&departement=75',
      bad('departement', 'une seule valeur attendue (paramètre répété)'),
    ],
    [
      '/api/v1/indicateurs?commune=69123',
      bad(
        'commune',
        'paramètre inconnu ; paramètres acceptés : date, uai, siret, departement, region, academie, zone_emploi, cfd, rncp, niveau, domaine, tranche_age, sexe, rqth, type_cfa, format',
        'PARAMETRE_INCONNU',
      ),
    ],
    ['/api/v1/indicateurs/series?from=2024-01-01', bad('to', 'paramètre requis', 'PARAMETRE_REQUIS')],
    [
      '/api/v1/indicateurs?format=pdf',
      bad('format', 'valeur attendue parmi json, csv, xlsx (reçu : « pdf »)'),
    ],
    [
      '/api/v1/indicateurs/series?from=2024-01-01&to=2024-02-01&pas=heure',
      bad('pas', 'valeur attendue parmi jour, semaine, mois (reçu : « heure »)'),
    ],
    [
      '/api/v1/indicateurs/par/commune',
      bad(
        'dimension',
        'valeur attendue parmi organisme, departement, region, academie, zone_emploi, formation, niveau, type_cfa (reçu : « commune »)',
      ),
    ],
    ['/api/v1/indicateurs?date=2024-02-30', bad('date', 'date inexistante (2024-02-30)')],
    [
      '/api/v1/indicateurs?date=1999-12-31',
      bad('date', 'date hors de la période 2000-01-01 … 2100-12-31 (reçu : 1999-12-31)'),
    ],
  ])('%s', async (path, expected) => {
    await expectError(path, expected);
  });

  it('keywords without a message of ours get ajv-i18n’s French', () => {
    expect(validationMessage({ keyword: 'multipleOf', params: { multipleOf: 5 } })).toEqual({
      code: 'PARAMETRE_INVALIDE',
      message: 'doit être un multiple de 5',
    });
    expect(validationMessage({ keyword: 'format', params: { format: 'date' } }).message).toBe(
      'doit correspondre au format "date"',
    );
    expect(validationMessage({ keyword: 'type', params: { type: ['string', 'null'] } }).message).toBe(
      'texte attendu ou valeur nulle attendue',
    );
  });
});

describe('each refusal of a hostile or malformed value says the real reason, and nothing reaches SQL', () => {
  const cases: [string, Expected][] = [
    [
      `/api/v1/indicateurs?region=${encodeURIComponent("'; DROP TABLE x--")}`,
      bad(
        'region',
        "code de région inconnu (reçu : « '; DROP TABLE x-- ») ; attendu : code INSEE de région (ex. 84)",
      ),
    ],
    [
      `/api/v1/indicateurs?zone_emploi=${encodeURIComponent("' OR 1=1")}`,
      bad(
        'zone_emploi',
        "format invalide (reçu : « ' OR 1=1 ») ; attendu : code INSEE de zone d'emploi, 4 chiffres",
      ),
    ],
    [
      '/api/v1/indicateurs?region=%ED%A0%80',
      bad(
        'region',
        "caractères invalides (encodage UTF-8 ou séquence %XX incorrecte dans l'URL)",
        'CARACTERES_INVALIDES',
      ),
    ],
    [
      '/api/v1/apprenants?uai=%C3%28',
      bad(
        'uai',
        "caractères invalides (encodage UTF-8 ou séquence %XX incorrecte dans l'URL)",
        'CARACTERES_INVALIDES',
      ),
    ],
    [
      '/api/v1/indicateurs?date=2024-01-01%00',
      bad(
        'date',
        'caractères invalides (caractère de contrôle U+0000) ; format AAAA-MM-JJ attendu',
        'CARACTERES_INVALIDES',
      ),
    ],
    [
      '/api/v1/indicateurs/par/region?departement=6%009',
      bad(
        'departement',
        'caractères invalides (caractère de contrôle U+0000) ; attendu : code de département (01…95, 2A, 2B, 971…976)',
        'CARACTERES_INVALIDES',
      ),
    ],
    [
      '/api/v1/indicateurs?cfd=%EF%BF%BD',
      bad(
        'cfd',
        'caractères invalides (caractère non décodable U+FFFD) ; attendu : 8 lettres majuscules ou chiffres',
        'CARACTERES_INVALIDES',
      ),
    ],
    [
      `/api/v1/indicateurs/series?from=${encodeURIComponent("2024-01-01' OR 1=1")}&to=2024-02-01`,
      bad('from', "format AAAA-MM-JJ attendu (reçu : « 2024-01-01' OR 1=1 »)"),
    ],
    [
      `/api/v1/indicateurs?region=${'9'.repeat(5_000)}`,
      bad('region', 'code de région inconnu ; attendu : code INSEE de région (ex. 84)'),
    ],
    [
      '/api/v1/indicateurs?siret=12345678901234',
      bad('siret', 'clé de contrôle (Luhn) incorrecte (reçu : « 12345678901234 »)'),
    ],
    ['/api/v1/indicateurs?uai=0693446X', bad('uai', 'lettre de contrôle incorrecte (reçu : « 0693446X »)')],
    [
      '/api/v1/indicateurs?tranche_age=26+',
      bad(
        'tranche_age',
        "tranche d'âge inconnue (reçu : « 26  ») ; attendu : <18, 18-20, 21-25, 26+ (encoder < et + dans l'URL : %3C18, 26%2B)",
      ),
    ],
    [
      '/api/v1/indicateurs?academie=',
      bad('academie', "valeur vide ; attendu : code d'académie (ex. 10 Lyon)"),
    ],
  ];

  it('the messages', async () => {
    const before = queries.length;
    for (const [path, expected] of cases) await expectError(path, expected);
    expect(queries.length).toBe(before);
  });
});

describe('the national route given a filter', () => {
  it('says it takes none and points to /api/v1/indicateurs with the same filters', async () => {
    const before = queries.length;
    await expectError(
      '/api/v1/indicateurs/national?region=84',
      bad(
        'region',
        'la route nationale ne prend aucun filtre, territorial ou autre ; pour filtrer, utilisez /api/v1/indicateurs?region=84',
        'FILTRE_NON_ACCEPTE',
      ),
    );
    await expectError(
      '/api/v1/indicateurs/national?date=2024-12-01&tranche_age=26%2B&departement=69',
      bad(
        'tranche_age',
        'la route nationale ne prend aucun filtre, territorial ou autre ; pour filtrer, utilisez /api/v1/indicateurs?departement=69&tranche_age=26%2B&date=2024-12-01',
        'FILTRE_NON_ACCEPTE',
      ),
    );
    // A refused value is not repeated in the pointer.
    await expectError(
      `/api/v1/indicateurs/national?region=${encodeURIComponent("84' OR 1=1")}`,
      bad(
        'region',
        'la route nationale ne prend aucun filtre, territorial ou autre ; pour filtrer, utilisez /api/v1/indicateurs?region=…',
        'FILTRE_NON_ACCEPTE',
      ),
    );
    await expectError(
      '/api/v1/indicateurs/national?commune=1',
      bad('commune', 'paramètre inconnu ; paramètres acceptés : date, format', 'PARAMETRE_INCONNU'),
    );
    expect(queries.length).toBe(before);
    // The route pointed to answers.
    const pointed = await fetch(`${fx.base}/api/v1/indicateurs?region=84`);
    expect(pointed.status).toBe(200);
  });
});

describe('errors raised before any handler', () => {
  it('unknown route under /api/v1: 404 in the API shape', async () => {
    await expectError('/api/v1/nope?x=1', {
      statusCode: 404,
      error: 'Not Found',
      code: 'ROUTE_INCONNUE',
      message: 'route inconnue : GET /api/v1/nope ; les routes et leurs paramètres sont décrits sur /docs',
    });
    await expectError(
      '/api/v1/indicateurs',
      {
        statusCode: 404,
        error: 'Not Found',
        code: 'ROUTE_INCONNUE',
        message:
          'route inconnue : POST /api/v1/indicateurs (les routes de lecture n’acceptent que GET) ; les routes et leurs paramètres sont décrits sur /docs',
      },
      { method: 'POST' },
    );
  });

  it('a path that is not valid UTF-8, a path parameter over 100 characters (Fastify’s router)', async () => {
    await expectError('/api/v1/organismes/%ED%A0%80/transmission', {
      statusCode: 400,
      error: 'Bad Request',
      code: 'CARACTERES_INVALIDES',
      message:
        'adresse invalide : caractères invalides dans le chemin (encodage UTF-8 ou séquence %XX incorrecte)',
    });
    await expectError(`/api/v1/organismes/${'A'.repeat(200)}/transmission`, {
      statusCode: 414,
      error: 'URI Too Long',
      code: 'ADRESSE_TROP_LONGUE',
      message: 'adresse invalide : un paramètre du chemin dépasse 100 caractères',
    });
  });

  it('a 20,000-character query value: 431 from Node’s HTTP parser, in the API shape', async () => {
    const r = await fetch(`${fx.base}/api/v1/indicateurs?departement=${'9'.repeat(20_000)}`);
    expect(r.status).toBe(431);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await r.json()).toEqual({
      statusCode: 431,
      error: 'Request Header Fields Too Large',
      code: 'REQUETE_TROP_LONGUE',
      message:
        'adresse ou en-têtes trop longs (plus de 16 Ko au total) : raccourcir les paramètres de la requête',
    });
    // The server is still there.
    expect((await fetch(`${fx.base}/healthz`)).status).toBe(200);
  });
});

describe('Mission Locale routes: same shape for bodies and parameters', () => {
  const alerte = '/api/v1/missions-locales/ML-75-PARIS/alertes/0123456789abcdef0123456789abcdef';
  const patch = (contentType: string, body: string): Sent => ({
    method: 'PATCH',
    headers: { 'content-type': contentType },
    body,
  });

  it('bodies: media type, malformed JSON, not an object, a value out of the list', async () => {
    await expectError(
      alerte,
      {
        statusCode: 415,
        error: 'Unsupported Media Type',
        code: 'TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE',
        message: 'type de contenu « application/xml » non pris en charge : application/json attendu',
      },
      patch('application/xml', '<situation/>'),
    );
    await expectError(
      alerte,
      {
        statusCode: 400,
        error: 'Bad Request',
        code: 'JSON_INVALIDE',
        message: "le corps de la requête n'est pas un JSON valide : un objet JSON est attendu",
      },
      patch('application/json', '{"situation":'),
    );
    await expectError(
      alerte,
      {
        statusCode: 415,
        error: 'Unsupported Media Type',
        code: 'TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE',
        message: 'type de contenu « text/plain » non pris en charge : application/json attendu',
      },
      patch('text/plain', 'contacte'),
    );
    await expectError(
      alerte,
      bad('situation', `valeur attendue parmi ${SITUATIONS.join(', ')} (reçu : « joint »)`),
      patch('application/json', '{"situation":"joint"}'),
    );
    await expectError(
      alerte,
      bad(
        'commentaires',
        'propriété inconnue ; propriétés acceptées : situation, commentaire',
        'PARAMETRE_INCONNU',
      ),
      patch('application/json', '{"situation":"contacte","commentaires":"x"}'),
    );
  });

  it('parameters: the real reason', async () => {
    await expectError(
      '/api/v1/missions-locales/ML-75-PARIS/alertes?depuis=2025-01-01%00',
      bad(
        'depuis',
        'caractères invalides (caractère de contrôle U+0000) ; format AAAA-MM-JJ attendu',
        'CARACTERES_INVALIDES',
      ),
    );
    await expectError(
      '/api/v1/missions-locales/ML%20X/alertes',
      bad(
        'id',
        'format invalide (reçu : « ML X ») ; attendu : identifiant de la Mission Locale, motif ^[A-Za-z0-9_-]{1,64}$',
      ),
    );
    await expectError(
      '/api/v1/missions-locales/ML-75-PARIS/alertes?par_page=600',
      bad('par_page', 'doit être inférieur ou égal à 500 (reçu : 600)'),
    );
  });
});

describe('500: never the cause, a French message with the request id', () => {
  it('a minimal app: ClickHouse, Kafka and library errors are logged with the request id, not shown', async () => {
    const lines: string[] = [];
    const app = Fastify({
      loggerInstance: pino(
        { level: 'info' },
        { write: (s: string) => void lines.push(s) },
      ) as FastifyBaseLogger,
    });
    useApiErrors(app, { notFound: true });
    app.get('/clickhouse', async () => {
      throw new ClickHouseError(
        "Code: 60, e.displayText() = DB::Exception: Table t_abc.effectifs_deltas doesn't exist",
        60,
        'SELECT sum(delta) FROM t_abc.effectifs_deltas',
      );
    });
    app.get('/kafka', async () => {
      throw Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), {
        name: 'KafkaJSConnectionError',
      });
    });
    app.get('/library-4xx', async () => {
      throw Object.assign(new Error('ERR wrong number of arguments for HSET (redis)'), { statusCode: 409 });
    });
    app.post('/small', { bodyLimit: 10 }, async () => 'ok');
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      for (const path of ['/clickhouse', '/kafka']) {
        const r = await fetch(base + path);
        const id = r.headers.get('x-request-id')!;
        expect(id).toMatch(/^req-/);
        const text = await r.text();
        expect([r.status, JSON.parse(text)]).toEqual([
          500,
          {
            statusCode: 500,
            error: 'Internal Server Error',
            code: 'ERREUR_INTERNE',
            message: `erreur interne du serveur ; réessayez plus tard, et si l’erreur persiste, communiquez la référence ${id} à l’équipe du tableau de bord`,
          },
        ]);
        expect(text).not.toMatch(/DB::|Code: 60|effectifs|t_abc|SELECT|ECONNREFUSED|9092|Kafka/);
        const logged = lines.map((l) => JSON.parse(l)).find((l) => l.level === 50 && l.reqId === id);
        expect(logged).toMatchObject({ msg: 'http: ERREUR_INTERNE' });
        expect(logged.err.message).toMatch(path === '/kafka' ? /ECONNREFUSED/ : /DB::Exception/);
      }
      const lib = await fetch(`${base}/library-4xx`);
      expect([lib.status, await lib.json()]).toEqual([
        409,
        {
          statusCode: 409,
          error: 'Conflict',
          code: 'REQUETE_REFUSEE',
          message: 'requête refusée (409) : vérifiez la méthode, les en-têtes et le corps',
        },
      ]);
      const big = await fetch(`${base}/small`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texte: 'x'.repeat(100) }),
      });
      expect([big.status, await big.json()]).toEqual([
        413,
        {
          statusCode: 413,
          error: 'Payload Too Large',
          code: 'CORPS_TROP_VOLUMINEUX',
          message: 'corps de la requête trop volumineux : 10 octets au plus',
        },
      ]);
    } finally {
      await app.close();
    }
  });

  // Last: breaks the fixture's namespace.
  it('a real ClickHouse failure (tables dropped) over HTTP', async () => {
    const ch = fx.platform.ctx.clickhouse;
    for (const t of ['effectifs_deltas', 'effectifs_territoire'])
      await ch.command(`DROP TABLE IF EXISTS ${ch.database}.${t}`);
    // The ClickHouse client library prints the failure on the console itself: not our log, kept quiet.
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const r = await call('/api/v1/indicateurs?departement=69').finally(() => quiet.mockRestore());
    const id = r.headers.get('x-request-id')!;
    expect([r.status, r.body]).toEqual([
      500,
      {
        statusCode: 500,
        error: 'Internal Server Error',
        code: 'ERREUR_INTERNE',
        message: `erreur interne du serveur ; réessayez plus tard, et si l’erreur persiste, communiquez la référence ${id} à l’équipe du tableau de bord`,
      },
    ]);
    expect(r.text).not.toMatch(new RegExp(`DB::|Code: |Exception|effectifs|SELECT|${ch.database}`));
  });
});
