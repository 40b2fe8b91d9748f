/** Fastify JSON schemas of the ingestion routes' replies (validation, serialisation, OpenAPI). */
import type { FastifySchema } from 'fastify';
import { erpErrorSchema } from '../../api/errors';

export const validationErrorSchema = {
  type: 'object',
  description:
    'Une erreur sur un champ : le dossier est rejeté (envoyé à la file des rejets) tant qu’elle n’est pas corrigée.',
  properties: {
    message: {
      type: 'string',
      description:
        'Message en français : le champ, le format attendu, la valeur reçue (hors données personnelles).',
    },
    path: { type: 'string', description: 'Le champ v3 en cause.' },
    code: { type: 'string', description: 'Code stable (voir connectors/README.md), ex. SIRET_CLE_INVALIDE.' },
  },
  required: ['message', 'path', 'code'],
} as const;

export const warningSchema = {
  type: 'object',
  description:
    "Un avertissement : le dossier est accepté, mais une valeur a été corrigée ou ignorée (ex. TELEPHONE_INVALIDE) ; à corriger dans l'ERP.",
  properties: {
    code: { type: 'string', description: 'Code stable (voir connectors/README.md), ex. AGE_INHABITUEL.' },
    path: { type: 'string', description: 'Le champ v3 en cause.' },
    message: { type: 'string', description: 'Message en français.' },
  },
  required: ['code', 'path', 'message'],
} as const;

/** Every error of the ingestion routes: the ERP shape of the server's catalogue (api/errors.ts). */
export const errorReplySchema = erpErrorSchema;

/** The error replies of both ingestion routes, by status. */
export const errorResponses = Object.fromEntries(
  [400, 401, 403, 413, 415, 422, 429, 500, 503].map((s) => [s, errorReplySchema]),
);

export const securityBearer = [{ bearerAuth: [] }];

/**
 * A route schema with its OpenAPI keys (summary, description, tags, security, consumes), which
 * FastifySchema only types once @fastify/swagger is installed.
 */
export const routeSchema = (s: Record<string, unknown>): FastifySchema => s as FastifySchema;
