/** Fastify JSON schemas of the ingestion routes' replies (validation, serialisation, OpenAPI). */
import type { FastifySchema } from 'fastify';

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

export const errorReplySchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ERROR'] },
    message: { type: 'string' },
    elements: { type: 'array', items: { type: 'integer' }, description: 'Indices des éléments en cause.' },
  },
  required: ['status', 'message'],
} as const;

export const securityBearer = [{ bearerAuth: [] }];

/**
 * A route schema with its OpenAPI keys (summary, description, tags, security, consumes), which
 * FastifySchema only types once @fastify/swagger is installed.
 */
export const routeSchema = (s: Record<string, unknown>): FastifySchema => s as FastifySchema;
