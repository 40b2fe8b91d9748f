/**
 * POST /api/v1/televersements: upload of one XLSX or CSV file (multipart/form-data, field `fichier`
 * or any file field), columns named with the v3 field names, Bearer API key of one organisation.
 * Each row goes through the shared pipeline; the reply is the per-row report (FileReport). A row of
 * another organisation than the key's is rejected with ORGANISME_NON_AUTORISE (the others are
 * accepted). Replies: 200 report; 400 no file or unreadable file; 401 key; 413 file over 20 MB.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { FileFormatError } from '../files/csv';
import { parseTable } from '../files/table';
import type { Pipeline } from '../core/pipeline';
import type { ApiKeyStore } from './api-keys';
import { requireApiKey } from './auth';
import { fileReport } from './report';
import { errorReplySchema, routeSchema, securityBearer, validationErrorSchema } from './schemas';

export const UPLOAD_MAX_BYTES = 20 * 1024 * 1024;

export async function televersementsRoute(
  app: FastifyInstance,
  deps: { pipeline: Pipeline; keys: ApiKeyStore },
): Promise<void> {
  await app.register(multipart, {
    limits: { fileSize: UPLOAD_MAX_BYTES, files: 1 },
    throwFileSizeLimit: true,
  });
  app.post(
    '/api/v1/televersements',
    {
      schema: routeSchema({
        summary: 'Téléverser un fichier de dossiers apprenants (XLSX ou CSV)',
        description:
          'Fichier XLSX (première feuille) ou CSV (UTF-8 avec ou sans BOM, Windows-1252 ; séparateur ; , tabulation ou |), la première ligne nommant les colonnes avec les champs du contrat v3. Réponse : un rapport par ligne.',
        tags: ['ingestion'],
        consumes: ['multipart/form-data'],
        security: securityBearer,
        response: {
          200: {
            type: 'object',
            additionalProperties: true,
            properties: {
              batch_id: { type: 'string' },
              fichier: { type: 'string' },
              format: { type: 'string', enum: ['csv', 'xlsx'] },
              encodage: { type: 'string' },
              separateur: { type: 'string' },
              lignes: { type: 'integer' },
              acceptes: { type: 'integer' },
              rejetes: { type: 'integer' },
              crees: { type: 'integer' },
              modifies: { type: 'integer' },
              inchanges: { type: 'integer' },
              non_transmis: { type: 'integer' },
              rapport: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    ligne: {
                      type: 'integer',
                      description: "numéro de ligne de l'enregistrement (l'en-tête est la ligne 1)",
                    },
                    statut: { type: 'string', enum: ['cree', 'modifie', 'inchange', 'rejete'] },
                    record_key: { type: ['string', 'null'] },
                    validation_errors: { type: 'array', items: validationErrorSchema },
                    avertissements: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
          },
          400: errorReplySchema,
          401: errorReplySchema,
        },
      }),
      preHandler: requireApiKey(deps.keys),
    },
    async (request, reply) => {
      const key = request.apiKey!;
      const file = await request.file();
      if (!file)
        return reply
          .code(400)
          .send({ status: 'ERROR', message: 'aucun fichier reçu (multipart/form-data, champ "fichier")' });
      const bytes = await file.toBuffer();
      let table;
      try {
        table = await parseTable(bytes);
      } catch (err) {
        if (err instanceof FileFormatError)
          return reply.code(400).send({ status: 'ERROR', message: err.message });
        throw err;
      }
      const result = await deps.pipeline.ingest({
        connector: 'televersement',
        erp: key.erp,
        organisme: { uai: key.uai, siret: key.siret },
        items: table.rows.map((input, i) => ({ input, location: `${file.filename} ligne ${i + 2}` })),
        authorised: { uai: key.uai, siret: key.siret },
      });
      return fileReport(file.filename, table, result);
    },
  );
}
