/**
 * The HTTP server's error catalogue (api/errors.ts), without a server: codes built by
 * @fastify/error (status, template), the two body shapes, the route families, the retriable flag,
 * and docs/errors.md listing every code with its status.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  CATALOGUE,
  familyOf,
  httpError,
  isHttpError,
  messageOf,
  renderError,
  type ErrorCode,
} from '../../api/errors';
import { isRetriable, PermanentError, RetriableError } from '../../infra/errors';

describe('the catalogue', () => {
  it('builds Fastify-style errors: code, status, message from the template, and the details', () => {
    const err = httpError('TROP_DE_DOSSIERS', ['2 001', '2 000'], { limite: 2000 });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({
      name: 'FastifyError',
      code: 'TROP_DE_DOSSIERS',
      statusCode: 400,
      message: '2 001 dossiers reçus : 2 000 au plus par appel ; envoyez-les en plusieurs appels',
      details: { limite: 2000 },
    });
    expect(isHttpError(err)).toBe(true);
    expect(isHttpError(new Error('x'))).toBe(false);
    expect(isHttpError(Object.assign(new Error('x'), { code: 'FST_ERR_NOT_FOUND' }))).toBe(false);
  });

  it('429, 500 and 503 are retriable, every other code is permanent', () => {
    const retriable = new Set([
      'TROP_DE_REQUETES',
      'TROP_D_ECHECS_D_AUTHENTIFICATION',
      'TELEVERSEMENTS_EN_COURS',
      'TRANSMISSION_INDISPONIBLE',
      'SERVICE_INDISPONIBLE',
      'ERREUR_INTERNE',
    ]);
    for (const code of Object.keys(CATALOGUE) as ErrorCode[]) {
      const e = CATALOGUE[code];
      expect([code, e.retriable]).toEqual([code, retriable.has(code)]);
      expect([code, e.retriable]).toEqual([code, e.status === 429 || e.status >= 500]);
    }
    const down = httpError('TRANSMISSION_INDISPONIBLE', [10]);
    expect([down instanceof RetriableError, down.retriable, isRetriable(down)]).toEqual([true, true, true]);
    expect(isRetriable(httpError('CLE_API_INCONNUE', []))).toBe(false);
  });

  it('renders the ERP shape and the read shape from the same error', () => {
    const err = httpError(
      'CORPS_TROP_VOLUMINEUX',
      ['10 Mio', ' ; envoyez les dossiers en plusieurs appels'],
      {
        limite: 10 * 1024 * 1024,
      },
    );
    expect(renderError(err, 'erp')).toEqual({
      status: 'ERROR',
      code: 'CORPS_TROP_VOLUMINEUX',
      message:
        'corps de la requête trop volumineux : 10 Mio au plus ; envoyez les dossiers en plusieurs appels',
      limite: 10 * 1024 * 1024,
    });
    expect(renderError(err, 'lecture')).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'CORPS_TROP_VOLUMINEUX',
      message:
        'corps de la requête trop volumineux : 10 Mio au plus ; envoyez les dossiers en plusieurs appels',
    });
    const field = httpError('PARAMETRE_INVALIDE', ['region', 'code de région inconnu'], { champ: 'region' });
    expect(renderError(field, 'lecture')).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'PARAMETRE_INVALIDE',
      champ: 'region',
      message: 'region : code de région inconnu',
    });
    expect(renderError(field, 'erp')).toEqual({
      status: 'ERROR',
      code: 'PARAMETRE_INVALIDE',
      message: 'region : code de région inconnu',
      champ: 'region',
    });
  });

  it('route families: the ERP contract for /api/v3 and the uploads, the read shape elsewhere', () => {
    expect(familyOf('/api/v3/dossiers-apprenants')).toBe('erp');
    expect(familyOf('/api/v3/dossiers-apprenants?x=1')).toBe('erp');
    expect(familyOf('/api/v1/televersements')).toBe('erp');
    expect(familyOf('/api/v1/televersements?x')).toBe('erp');
    expect(familyOf('/api/v1/televersementsX')).toBe('lecture');
    expect(familyOf('/api/v1/indicateurs')).toBe('lecture');
    expect(familyOf('/api/v1/missions-locales/ML/alertes')).toBe('lecture');
    expect(familyOf('/metrics')).toBe('lecture');
  });
});

describe('docs/errors.md', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
  /** code → status of the catalogue table of the document. */
  const documented = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const m = /^\| ((?:`[A-Z_]+`(?:, )?)+) \| ([^|]+) \|/.exec(line);
    if (!m) continue;
    for (const code of m[1]!.match(/[A-Z_]+/g)!) documented.set(code, m[2]!.trim());
  }

  it('lists every code of the catalogue with its status, and no other', () => {
    const codes = Object.keys(CATALOGUE).sort();
    expect([...documented.keys()].filter((c) => codes.includes(c)).sort()).toEqual(codes);
    for (const code of codes) {
      const status = documented.get(code)!;
      expect([code, code === 'REQUETE_REFUSEE' ? status.includes('4xx') : status]).toEqual([
        code,
        code === 'REQUETE_REFUSEE' ? true : String(CATALOGUE[code as ErrorCode].status),
      ]);
    }
  });

  it('quotes the templates it shows', () => {
    expect(doc).toContain(messageOf('UN_SEUL_FICHIER', []));
    expect(doc).toContain(messageOf('ADRESSE_TROP_LONGUE', [100]));
    expect(doc).toContain(messageOf('TRANSMISSION_INDISPONIBLE', [10]));
  });
});
