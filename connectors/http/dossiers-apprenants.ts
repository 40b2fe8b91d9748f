/**
 * POST /api/v3/dossiers-apprenants: the push API that CFA ERPs already speak
 * (shared/reference/dossier-apprenant-v3.md). A JSON array of at most 2,000 dossiers, Bearer API
 * key of one organisation. Valid items are accepted beside invalid ones; each item comes back
 * with its `validation_errors` ([{message, path, code}]). Replies:
 * - 200 {status: "OK", message: "Queued", detail?: "Some data are invalid", data: [...items]};
 * - 400 body not an array of objects, or more than 2,000 items; 401 no/unknown/revoked key;
 * - 403 an item names another organisation than the key's (nothing of the request is accepted);
 * - 413 body over 10 MB; 429 rate limit of the key (TDB_API_RATE_LIMIT per minute).
 */
import type { FastifyInstance } from 'fastify';
import { dossierApprenantV3Schema } from '../../schemas/dossier-apprenant-v3.schema';
import type { Pipeline } from '../core/pipeline';
import type { ApiKeyStore } from './api-keys';
import { namesOtherOrganisation, requireApiKey } from './auth';
import { errorReplySchema, routeSchema, securityBearer, validationErrorSchema } from './schemas';

export const MAX_ITEMS = 2000;
/** 2,000 items of up to ~5 KB. */
export const PUSH_BODY_LIMIT = 10 * 1024 * 1024;

export function dossiersApprenantsRoute(
  app: FastifyInstance,
  deps: { pipeline: Pipeline; keys: ApiKeyStore },
): void {
  app.post<{ Body: Record<string, unknown>[] }>(
    '/api/v3/dossiers-apprenants',
    {
      bodyLimit: PUSH_BODY_LIMIT,
      schema: routeSchema({
        summary: 'Transmettre des dossiers apprenants (contrat ERP v3)',
        description:
          "Jusqu'à 2 000 dossiers par appel. Chaque dossier est validé séparément : les valides sont acceptés même si d'autres sont invalides ; chaque dossier revient avec ses validation_errors. Un renvoi identique ne produit aucun événement.",
        tags: ['ingestion'],
        security: securityBearer,
        body: { type: 'array', maxItems: MAX_ITEMS, items: dossierApprenantV3Schema },
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['OK'] },
              message: { type: 'string', enum: ['Queued'] },
              detail: { type: 'string' },
              data: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: true,
                  properties: { validation_errors: { type: 'array', items: validationErrorSchema } },
                },
              },
            },
            required: ['status', 'message', 'data'],
          },
          401: errorReplySchema,
          403: errorReplySchema,
        },
      }),
      // The body schema documents the items (OpenAPI); validation is per item in the pipeline, so
      // that one invalid item never rejects the others.
      validatorCompiler: () => (data: unknown) =>
        Array.isArray(data) &&
        data.length <= MAX_ITEMS &&
        data.every((d) => typeof d === 'object' && d !== null && !Array.isArray(d))
          ? { value: data }
          : { error: new Error(`un tableau JSON d'au plus ${MAX_ITEMS} dossiers (objets) est attendu`) },
      preHandler: requireApiKey(deps.keys),
    },
    async (request, reply) => {
      const key = request.apiKey!;
      const items = request.body;
      const foreign = items.flatMap((item, i) => (namesOtherOrganisation(key, item) ? [i] : []));
      if (foreign.length > 0) {
        return reply.code(403).send({
          status: 'ERROR',
          message: `la clé d'API de l'organisme UAI ${key.uai} / SIRET ${key.siret} ne peut pas transmettre les dossiers d'un autre organisme (ni responsable ni formateur)`,
          elements: foreign,
        });
      }
      const result = await deps.pipeline.ingest({
        connector: 'api-v3',
        erp: key.erp,
        organisme: { uai: key.uai, siret: key.siret },
        items: items.map((input, i) => ({ input, location: `élément ${i}` })),
        authorised: { uai: key.uai, siret: key.siret },
      });
      const data = items.map((input, i) => {
        const echo = { ...input };
        delete echo.nir_apprenant; // never echoed, like never stored
        return { ...echo, validation_errors: result.items[i]!.errors };
      });
      const invalid = result.items.some((o) => o.status === 'rejete');
      return {
        status: 'OK',
        message: 'Queued',
        ...(invalid ? { detail: 'Some data are invalid' } : {}),
        data,
      };
    },
  );
}
