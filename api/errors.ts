/**
 * Errors of the API and their one HTTP body: `{ statusCode, error, code, champ?, message }`.
 * `champ` names the query field or parameter at fault (400) or the scope that refuses it (403);
 * `message` is French, names the field and says what to change. Every error answer carries the
 * request id in the `x-request-id` header.
 *
 * - ApiError: thrown by the routes (400 naming the field, 401, 403, 404…);
 * - schema validation errors (ajv): translated to French by keyword, with the constraint (limits,
 *   allowed values, accepted parameters); keywords without a message of ours get ajv-i18n's French;
 * - Fastify's own errors (unknown route, body too large, bad media type, malformed JSON, bad URL,
 *   path parameter too long): French messages by Fastify error code;
 * - anything else is a 500 whose body never shows the cause (ClickHouse, Kafka, Redis messages go
 *   to the log only): a generic French message with the request id to quote;
 * - `clientErrorHandler`: what Node's HTTP parser refuses before Fastify sees a request (431
 *   headers or URL over 16 KB, 400 malformed request, 408 timeout), in the same shape.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import localizeFr from 'ajv-i18n/localize/fr';
import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** HTTP statuses the API answers with an error body. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 406 | 408 | 413 | 414 | 415 | 429 | 431 | 500;

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly statusCode: ErrorStatus,
    /** Stable UPPER_SNAKE code. */
    readonly code: string,
    message: string,
    /** The field at fault, when there is one. */
    readonly champ?: string,
  ) {
    super(message);
  }
}

/** 400: a query field or path parameter is unknown or malformed. */
export const badField = (champ: string, message: string, code = 'PARAMETRE_INVALIDE') =>
  new ApiError(400, code, `${champ} : ${message}`, champ);
/** 401: no valid token where one is required. */
export const unauthorized = (message: string, code = 'AUTHENTIFICATION_REQUISE') =>
  new ApiError(401, code, message);
/** 403: the token's role or scope does not allow this. */
export const forbidden = (message: string, champ?: string, code = 'ACCES_REFUSE') =>
  new ApiError(403, code, message, champ);

/** The JSON schema of the error body (for OpenAPI). */
export const errorSchema = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    code: { type: 'string' },
    champ: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['statusCode', 'error', 'code', 'message'],
} as const;

/** The error body: `error` is the HTTP reason phrase (Node's STATUS_CODES). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  champ?: string;
  message: string;
}

export function errorBody(statusCode: number, code: string, message: string, champ?: string): ErrorBody {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    code,
    ...(champ !== undefined ? { champ } : {}),
    message,
  };
}

// ---------------------------------------------------------------------------------------------
// Schema validation errors (ajv, through Fastify)

type AjvError = Partial<ErrorObject> & { params?: Record<string, unknown> };
type ValidationContext = 'querystring' | 'params' | 'body' | 'headers';

/**
 * The field named by a Fastify/ajv validation error: the unknown property, the missing one, or the
 * last segment of the instance path (`/departement` → departement).
 */
export function fieldOfValidation(e: AjvError, context?: ValidationContext): string {
  if (typeof e.params?.additionalProperty === 'string') return e.params.additionalProperty;
  if (typeof e.params?.missingProperty === 'string') return e.params.missingProperty;
  const seg = (e.instancePath ?? '').split('/').filter(Boolean);
  return seg.length ? seg[seg.length - 1]! : context === 'body' ? BODY : '(requête)';
}

/** The `champ` of an error about the request body as a whole (not JSON, not an object). */
const BODY = 'corps';

const TYPE_NAMES: Record<string, string> = {
  string: 'texte attendu',
  integer: 'nombre entier attendu',
  number: 'nombre attendu',
  boolean: 'booléen attendu (true ou false)',
  array: 'liste attendue',
  object: 'objet attendu',
  null: 'valeur nulle attendue',
};

/** A value quoted in a message: short, printable, or not at all. */
export function shown(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return ` (reçu : ${String(v)})`;
  if (typeof v !== 'string' || v.length === 0 || v.length > 40) return '';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\uFFFD\uD800-\uDFFF]/.test(v)) return '';
  return ` (reçu : « ${v} »)`;
}

/** The schema properties a route declares for a validation context (for « paramètres acceptés »). */
function declaredProperties(
  request: FastifyRequest,
  context: ValidationContext | undefined,
): Record<string, { description?: string }> {
  const schema = request.routeOptions?.schema as Record<string, unknown> | undefined;
  const part = context
    ? (schema?.[context] as { properties?: Record<string, { description?: string }> } | undefined)
    : undefined;
  return part?.properties ?? {};
}

/** The value the validation error is about (query, params or body field), when it can be found. */
function valueOf(request: FastifyRequest, context: ValidationContext | undefined, champ: string): unknown {
  if (context === 'body' && champ === BODY) return request.body;
  const source =
    context === 'querystring'
      ? request.query
      : context === 'params'
        ? request.params
        : context === 'body'
          ? request.body
          : undefined;
  return source && typeof source === 'object' ? (source as Record<string, unknown>)[champ] : undefined;
}

/**
 * The French message of one validation error (without the field prefix) and its code: our wording
 * for the keywords the API's schemas use, ajv-i18n's French for any other.
 */
export function validationMessage(
  e: AjvError,
  ctx: {
    value?: unknown;
    accepted?: readonly string[];
    context?: ValidationContext;
    /** The property's schema description (what is expected, in words). */
    description?: string;
  } = {},
): { code: string; message: string } {
  const p = e.params ?? {};
  const body = ctx.context === 'body';
  const invalid = (message: string) => ({ code: 'PARAMETRE_INVALIDE', message });
  switch (e.keyword) {
    case 'additionalProperties':
      return {
        code: 'PARAMETRE_INCONNU',
        message:
          (body ? 'propriété inconnue' : 'paramètre inconnu') +
          (ctx.accepted && ctx.accepted.length > 0
            ? ` ; ${body ? 'propriétés acceptées' : 'paramètres acceptés'} : ${ctx.accepted.join(', ')}`
            : ` (${body ? 'aucune propriété acceptée' : 'aucun paramètre accepté'} ici)`),
      };
    case 'required':
      return { code: 'PARAMETRE_REQUIS', message: body ? 'propriété requise' : 'paramètre requis' };
    case 'enum':
      return invalid(
        `valeur attendue parmi ${((p.allowedValues as unknown[]) ?? []).join(', ')}${shown(ctx.value)}`,
      );
    case 'type':
      if (Array.isArray(ctx.value) && p.type !== 'array')
        return invalid('une seule valeur attendue (paramètre répété)');
      return invalid(
        `${[p.type]
          .flat()
          .map((t) => TYPE_NAMES[String(t)] ?? `type ${String(t)} attendu`)
          .join(' ou ')}${shown(ctx.value)}`,
      );
    case 'minimum':
      return invalid(`doit être supérieur ou égal à ${String(p.limit)}${shown(ctx.value)}`);
    case 'maximum':
      return invalid(`doit être inférieur ou égal à ${String(p.limit)}${shown(ctx.value)}`);
    case 'exclusiveMinimum':
      return invalid(`doit être strictement supérieur à ${String(p.limit)}${shown(ctx.value)}`);
    case 'exclusiveMaximum':
      return invalid(`doit être strictement inférieur à ${String(p.limit)}${shown(ctx.value)}`);
    case 'maxLength':
      return invalid(`au plus ${String(p.limit)} caractères`);
    case 'minLength':
      return invalid(`au moins ${String(p.limit)} caractère${Number(p.limit) > 1 ? 's' : ''}`);
    case 'pattern':
      return invalid(
        `format invalide${shown(ctx.value)} ; attendu : ${ctx.description ? `${ctx.description}, ` : ''}motif ${String(p.pattern)}`,
      );
    default: {
      const copy = { ...e, params: { ...p } } as ErrorObject;
      localizeFr([copy]);
      return invalid(copy.message ?? 'valeur invalide');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fastify's own errors

/** French message of a Fastify error raised before the handler, by its code (others: null). */
function frameworkError(fe: FastifyError, request: FastifyRequest): ApiError | null {
  switch (fe.code) {
    case 'FST_ERR_NOT_FOUND':
      return notFoundRoute(request);
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = request.routeOptions?.bodyLimit;
      return new ApiError(
        413,
        'CORPS_TROP_VOLUMINEUX',
        `corps de la requête trop volumineux${limit ? ` : au plus ${limit} octets` : ''}`,
      );
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(
        415,
        'TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE',
        `type de contenu non pris en charge${request.headers['content-type'] ? ` (${String(request.headers['content-type']).slice(0, 60)})` : ''} : envoyer application/json`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(
        400,
        'CORPS_INVALIDE',
        'corps JSON vide (Content-Type: application/json sans contenu)',
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError(400, 'CORPS_INVALIDE', 'corps JSON mal formé');
    case 'TDB_ERR_ECHECS_AUTHENTIFICATION':
      // api/plugins/auth-failures.ts (Retry-After already set).
      return new ApiError(429, 'TROP_D_ECHECS_D_AUTHENTIFICATION', fe.message);
    case 'TDB_ERR_CORPS_ENCODAGE':
      // api/plugins/json-body.ts: the body is not UTF-8 (its message says where and what to do).
      return new ApiError(400, 'ENCODAGE_INVALIDE', fe.message, 'corps');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'CORPS_INVALIDE', 'longueur du corps différente de l’en-tête Content-Length');
    case 'FST_ERR_BAD_URL':
      return new ApiError(
        400,
        'CARACTERES_INVALIDES',
        'adresse invalide : caractères invalides dans le chemin (encodage UTF-8 ou séquence %XX incorrecte)',
      );
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError(
        414,
        'ADRESSE_TROP_LONGUE',
        'adresse invalide : un paramètre du chemin dépasse 100 caractères',
      );
    default:
      // JSON.parse errors of the default JSON body parser carry statusCode 400 and no code.
      if (fe instanceof SyntaxError && fe.statusCode === 400)
        return new ApiError(400, 'CORPS_INVALIDE', 'corps JSON mal formé');
      return null;
  }
}

/** 404 of an unknown route (method and path, without the query string). */
export function notFoundRoute(request: FastifyRequest): ApiError {
  const path = request.url.split('?')[0]!;
  const shownPath = path.length > 100 ? `${path.slice(0, 100)}…` : path;
  const readOnly =
    request.method !== 'GET' && request.method !== 'HEAD'
      ? ' (les routes de lecture n’acceptent que GET)'
      : '';
  return new ApiError(
    404,
    'ROUTE_INCONNUE',
    `route inconnue : ${request.method} ${shownPath}${readOnly} ; les routes et leurs paramètres sont décrits sur /docs`,
  );
}

// ---------------------------------------------------------------------------------------------
// Sending

function send(reply: FastifyReply, request: FastifyRequest, body: ErrorBody): FastifyReply {
  if (body.statusCode === 401) void reply.header('www-authenticate', 'Bearer');
  return reply.code(body.statusCode).header('x-request-id', request.id).type('application/json').send(body);
}

/**
 * Sends an ApiError, a schema validation error, a Fastify error or an unexpected error in the
 * API's error shape. Unexpected errors (and 4xx errors of unknown origin) are logged with the
 * request id and answered without their message.
 */
export function sendError(
  err: FastifyError | ApiError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (err instanceof ApiError)
    return send(reply, request, errorBody(err.statusCode, err.code, err.message, err.champ));
  const fe = err as FastifyError & { validation?: AjvError[]; validationContext?: ValidationContext };
  if (fe.validation && fe.validation.length > 0) {
    const first = fe.validation[0]!;
    const context = fe.validationContext;
    const champ = fieldOfValidation(first, context);
    const declared = declaredProperties(request, context);
    const { code, message } = validationMessage(first, {
      context,
      value: valueOf(request, context, champ),
      accepted: Object.keys(declared),
      description: Object.hasOwn(declared, champ) ? declared[champ]?.description : undefined,
    });
    return send(reply, request, errorBody(400, code, `${champ} : ${message}`, champ));
  }
  const known = frameworkError(fe, request);
  if (known) return send(reply, request, errorBody(known.statusCode, known.code, known.message, known.champ));
  const status =
    typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
  if (status !== 500) {
    // A client error raised by a library: its status is kept, its (English, maybe internal) text is not.
    request.log.info({ err }, 'read API: client error of unknown origin');
    return send(reply, request, errorBody(status, 'REQUETE_REFUSEE', `requête refusée (${status})`));
  }
  request.log.error({ err }, 'read API: internal error'); // the request logger carries reqId
  return send(
    reply,
    request,
    errorBody(
      500,
      'ERREUR_INTERNE',
      `erreur interne du serveur ; réessayez plus tard, et si l’erreur persiste, communiquez la référence ${request.id} à l’équipe du tableau de bord`,
    ),
  );
}

/**
 * Installs the API's error and not-found handlers in an encapsulated plugin context (the read
 * routes, the Mission Locale routes). With `notFound`, unknown routes under the context's prefix
 * get the API's 404 (one not-found handler per prefix: the read API installs it for /api/v1).
 */
export function useApiErrors(app: FastifyInstance, opts: { notFound?: boolean } = {}): void {
  app.setErrorHandler((err, request, reply) => sendError(err as FastifyError, request, reply));
  if (opts.notFound)
    app.setNotFoundHandler((request, reply) => sendError(notFoundRoute(request), request, reply));
}

/**
 * Fastify's `frameworkErrors` option: errors raised while routing (a path that is not valid
 * UTF-8 or %XX, a path parameter over 100 characters), in the API's shape.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendError(err, request, reply);
}

/**
 * Fastify's `clientErrorHandler` option: what Node's HTTP parser refuses before any request
 * exists (no route, no request id, no hooks): headers or URL over Node's 16 KB limit (431), a
 * malformed request (400), a request too slow to arrive (408). Written on the socket in the API's
 * shape, then the connection is closed (as Node does).
 */
export function clientErrorHandler(
  this: FastifyInstance,
  err: Error & { code?: string },
  socket: Duplex,
): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let body: ErrorBody;
  if (err.code === 'HPE_HEADER_OVERFLOW')
    body = errorBody(
      431,
      'REQUETE_TROP_LONGUE',
      'adresse ou en-têtes trop longs (plus de 16 Ko au total) : raccourcir les paramètres de la requête',
    );
  else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    body = errorBody(408, 'DELAI_DEPASSE', 'requête reçue trop lentement : délai dépassé');
  else body = errorBody(400, 'REQUETE_MAL_FORMEE', 'requête HTTP mal formée');
  this.log.debug({ err }, 'HTTP client error');
  if (socket.writable) {
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}
