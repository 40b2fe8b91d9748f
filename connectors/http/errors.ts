/**
 * One error shape for the ingestion routes, in French: `{status: "ERROR", code, message, ...}`
 * (`elements`: 0-based indexes of the items at fault, like `data[i]` of the reply; `limite`: a
 * limit in bytes or items). The plugin's error handler translates the framework's errors (Fastify
 * content-type parser, @fastify/multipart, @fastify/rate-limit) keyed on their codes, answers 503
 * when Kafka cannot take the events (TransmissionError: the ERP retries) and never shows an
 * internal error's text (logged, answered "erreur interne").
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TransmissionError } from '../core/pipeline';
import { frenchBytes } from '../core/limits';
import { UPLOAD_MAX_BYTES } from './limits';

/** An error the ingestion routes answer as is (status, stable code, French message, extra fields). */
export class IngestionHttpError extends Error {
  override name = 'IngestionHttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The body of every error of the ingestion routes. */
export interface ErrorBody {
  status: 'ERROR';
  code: string;
  message: string;
  [extra: string]: unknown;
}

/** Seconds an ERP should wait before retrying after a 503. */
export const RETRY_AFTER_S = 10;

/** What each route expects as content type (for 415 messages). */
const EXPECTED_TYPE: Record<string, string> = {
  '/api/v3/dossiers-apprenants': 'application/json',
  '/api/v1/televersements': 'multipart/form-data',
};

/** Errors of busboy (multipart parsing) carry no code: recognised by their text. */
const MULTIPART_SYNTAX = /multipart|boundary|part header|end of form|unexpected end/i;

/** The HTTP status, code and message of an error thrown on an ingestion route. */
export function describeError(
  err: unknown,
  request: FastifyRequest,
): { statusCode: number; body: ErrorBody; internal: boolean } {
  const body = (statusCode: number, code: string, message: string, extra: Record<string, unknown> = {}) => ({
    statusCode,
    body: { status: 'ERROR' as const, code, message, ...extra },
    internal: false,
  });
  if (err instanceof IngestionHttpError) return body(err.statusCode, err.code, err.message, err.extra);
  if (err instanceof TransmissionError) {
    return {
      ...body(
        503,
        'TRANSMISSION_INDISPONIBLE',
        `transmission momentanément impossible, réessayez dans ${RETRY_AFTER_S} secondes : rien de cet envoi n'a été enregistré`,
      ),
      internal: true,
    };
  }
  const e = (err ?? {}) as Partial<FastifyError> & { statusCode?: number; message?: string };
  const expected = EXPECTED_TYPE[request.routeOptions.url ?? ''] ?? 'application/json';
  const limit = request.routeOptions.bodyLimit;
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return body(
        400,
        'JSON_INVALIDE',
        "le corps de la requête n'est pas un JSON valide : un tableau JSON de dossiers est attendu",
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return body(
        400,
        'CORPS_VIDE',
        'le corps de la requête est vide : un tableau JSON de dossiers est attendu',
      );
    case 'TDB_ERR_ECHECS_AUTHENTIFICATION':
      // api/plugins/auth-failures.ts (Retry-After already set).
      return body(429, 'TROP_D_ECHECS_D_AUTHENTIFICATION', String(e.message));
    case 'TDB_ERR_CORPS_ENCODAGE':
      // api/plugins/json-body.ts: the body is not UTF-8 (its message says where and what to do).
      return body(400, 'ENCODAGE_INVALIDE', String(e.message));
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return body(
        413,
        'CORPS_TROP_VOLUMINEUX',
        `corps de la requête trop volumineux : ${limit ? frenchBytes(limit) : 'limite'} au plus ; envoyez les dossiers en plusieurs appels`,
        limit ? { limite: limit } : {},
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return body(
        415,
        'TYPE_DE_CONTENU_INVALIDE',
        `type de contenu ${request.headers['content-type'] ? `« ${String(request.headers['content-type']).slice(0, 80)} » ` : ''}non pris en charge : ${expected} attendu`,
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return body(
        400,
        'CORPS_INCOMPLET',
        "la longueur du corps ne correspond pas à l'en-tête Content-Length",
      );
    case 'FST_REQ_FILE_TOO_LARGE':
      return body(
        413,
        'FICHIER_TROP_VOLUMINEUX',
        `fichier trop volumineux : ${frenchBytes(UPLOAD_MAX_BYTES)} au plus`,
        {
          limite: UPLOAD_MAX_BYTES,
        },
      );
    case 'FST_FILES_LIMIT':
      return body(400, 'UN_SEUL_FICHIER', 'un seul fichier par envoi');
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return body(400, 'MULTIPART_INVALIDE', 'trop de champs dans le formulaire multipart/form-data');
    case 'FST_PROTO_VIOLATION':
      return body(400, 'MULTIPART_INVALIDE', 'nom de champ interdit dans le formulaire multipart/form-data');
    case 'FST_MP_PREMATURE_CLOSE':
      return body(400, 'CORPS_INCOMPLET', 'la requête a été interrompue avant la fin du fichier');
    case 'FST_NO_FORM_DATA':
      return body(400, 'FICHIER_ABSENT', 'aucun fichier reçu (multipart/form-data, champ "fichier")');
    default:
      break;
  }
  if (e.statusCode === 429) {
    // @fastify/rate-limit throws what its errorResponseBuilder returned (French already).
    return body(429, 'TROP_DE_REQUETES', String(e.message ?? 'trop de requêtes'));
  }
  if (
    !e.code &&
    typeof e.message === 'string' &&
    MULTIPART_SYNTAX.test(e.message) &&
    expected !== 'application/json'
  ) {
    return body(
      400,
      'MULTIPART_INVALIDE',
      'corps multipart/form-data illisible : envoyez le fichier dans un formulaire multipart/form-data',
    );
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return body(
      e.statusCode,
      'REQUETE_INVALIDE',
      `requête refusée (${e.statusCode}) : vérifiez la méthode, les en-têtes et le corps`,
    );
  }
  return {
    ...body(500, 'ERREUR_INTERNE', "erreur interne : l'envoi n'a pas été traité ; réessayez plus tard"),
    internal: true,
  };
}

/** The plugin's error handler (connectors/http/index.ts). */
export function ingestionErrorHandler(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { statusCode, body, internal } = describeError(err, request);
  if (internal) request.log.error({ err }, `ingestion: ${body.code}`);
  if (statusCode === 503) void reply.header('retry-after', String(RETRY_AFTER_S));
  if (statusCode === 401) void reply.header('www-authenticate', 'Bearer');
  return reply.code(statusCode).type('application/json').send(body);
}
