/**
 * Errors of the read API and their HTTP body: `{ statusCode, error, code, champ?, message }`.
 * `champ` names the query field or parameter at fault (400) or the scope that refuses it (403);
 * `message` is French and says what to change.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly statusCode: 400 | 401 | 403 | 404 | 406,
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

const HTTP_ERRORS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

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

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { additionalProperty?: string; missingProperty?: string; allowedValues?: unknown[] };
}

/**
 * The field named by a Fastify/ajv validation error: the unknown property, the missing one, or the
 * last segment of the instance path (`/departement` → departement).
 */
export function fieldOfValidation(e: AjvError): string {
  if (e.params?.additionalProperty) return e.params.additionalProperty;
  if (e.params?.missingProperty) return e.params.missingProperty;
  const seg = (e.instancePath ?? '').split('/').filter(Boolean);
  return seg.length ? seg[seg.length - 1]! : '(requête)';
}

function validationMessage(e: AjvError): { code: string; message: string } {
  if (e.keyword === 'additionalProperties')
    return { code: 'PARAMETRE_INCONNU', message: 'paramètre inconnu' };
  if (e.keyword === 'required') return { code: 'PARAMETRE_REQUIS', message: 'paramètre requis' };
  if (e.keyword === 'enum')
    return {
      code: 'PARAMETRE_INVALIDE',
      message: `valeur attendue parmi ${(e.params?.allowedValues ?? []).join(', ')}`,
    };
  if (e.keyword === 'maxLength') return { code: 'PARAMETRE_INVALIDE', message: 'valeur trop longue' };
  if (e.keyword === 'pattern') return { code: 'PARAMETRE_INVALIDE', message: 'format invalide' };
  return { code: 'PARAMETRE_INVALIDE', message: e.message ?? 'valeur invalide' };
}

/** Sends an ApiError, a schema validation error or an unexpected error in the API's error shape. */
export function sendError(
  err: FastifyError | ApiError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (err instanceof ApiError) {
    if (err.statusCode === 401) void reply.header('www-authenticate', 'Bearer');
    return reply
      .code(err.statusCode)
      .type('application/json')
      .send({
        statusCode: err.statusCode,
        error: HTTP_ERRORS[err.statusCode],
        code: err.code,
        ...(err.champ !== undefined ? { champ: err.champ } : {}),
        message: err.message,
      });
  }
  const fe = err as FastifyError & { validation?: AjvError[] };
  if (fe.validation && fe.validation.length > 0) {
    const first = fe.validation[0]!;
    const champ = fieldOfValidation(first);
    const { code, message } = validationMessage(first);
    return reply
      .code(400)
      .type('application/json')
      .send({ statusCode: 400, error: 'Bad Request', code, champ, message: `${champ} : ${message}` });
  }
  const status =
    typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
  if (status === 500) request.log.error({ err }, 'read API error');
  return reply
    .code(status)
    .type('application/json')
    .send({
      statusCode: status,
      error: HTTP_ERRORS[status] ?? 'Error',
      code: status === 500 ? 'ERREUR_INTERNE' : (fe.code ?? 'ERREUR'),
      message: status === 500 ? 'erreur interne' : fe.message,
    });
}

/** Installs the API's error handler in an encapsulated plugin context (the read routes only). */
export function useApiErrors(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => sendError(err as FastifyError, request, reply));
}
