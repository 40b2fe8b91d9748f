/**
 * POST /api/v1/televersements: upload of one XLSX or CSV file (multipart/form-data, field `fichier`
 * or any file field), columns named with the v3 field names, Bearer API key of one organisation.
 * Each row goes through the shared pipeline; the reply is the per-row report (FileReport). A row of
 * another organisation than the key's is rejected with ORGANISME_NON_AUTORISE (the others are
 * accepted). Replies (errors: the ERP shape of api/errors.ts, `{status: "ERROR", code, message}`): 200 report;
 * 400 no file or a malformed form; 401 key (checked before the body is read); 413 file over
 * 20 MiB; 415 not multipart/form-data; 422 the file is not a table of dossiers (empty, binary, an
 * .xlsx that is not a workbook, no data row, no v3 column: nothing is sent to Kafka); 503 Kafka
 * cannot take the events now.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Pipeline } from '../core/pipeline';
import { printable } from '../core/printable';
import { FileFormatError } from '../files/csv';
import { checkTable, parseTable } from '../files/table';
import type { ApiKeyStore } from './api-keys';
import { requireApiKey } from './auth';
import { httpError, type CorpsAttendu } from '../../api/errors';
import { UPLOAD_MAX_BYTES } from './limits';
import { fileReport } from './report';
import { errorResponses, routeSchema, securityBearer, validationErrorSchema } from './schemas';

export { UPLOAD_MAX_BYTES } from './limits';

/** What the upload's body is (messages of the body errors, api/errors.ts). */
const UPLOAD_BODY: CorpsAttendu = {
  attendu: 'un formulaire multipart/form-data',
  type: 'multipart/form-data (le fichier dans un champ "fichier")',
  fichierMax: UPLOAD_MAX_BYTES,
};

/** onRequest: 415 before the body is read when it is not a multipart form (a JSON body, a raw file). */
async function requireMultipart(request: FastifyRequest): Promise<void> {
  const type = String(request.headers['content-type'] ?? '');
  if (!/^multipart\/form-data\b/i.test(type)) {
    throw httpError('TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE', [
      type ? `« ${printable(type, 80)} » ` : 'absent ',
      UPLOAD_BODY.type,
    ]);
  }
}

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
          'Fichier XLSX (première feuille) ou CSV (UTF-8 avec ou sans BOM, Windows-1252 ; séparateur ; , tabulation ou |) de 20 Mio au plus, la première ligne nommant les colonnes avec les champs du contrat v3. Réponse : un rapport par ligne. 422 quand le fichier n’est pas un tableau de dossiers (vide, binaire, sans ligne de données, sans colonne du contrat v3) : rien n’est enregistré.',
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
                      description:
                        "rang de l'enregistrement compté comme une ligne de tableur (l'en-tête est la ligne 1) : la ligne du fichier tant qu'aucun champ ne contient de retour à la ligne et qu'aucune ligne n'est vide",
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
          ...errorResponses,
        },
      }),
      config: { corps: UPLOAD_BODY },
      onRequest: [requireApiKey(deps.keys), requireMultipart],
    },
    async (request) => {
      const key = request.apiKey!;
      // Every part is read, so that a second file reaches the plugin's files limit (1) and is
      // refused (FST_FILES_LIMIT → 400 UN_SEUL_FICHIER) instead of being left unread and ignored.
      let file: { bytes: Buffer; filename: string } | undefined;
      for await (const part of request.files())
        file = { bytes: await part.toBuffer(), filename: part.filename };
      if (!file) throw httpError('FICHIER_ABSENT', []);
      const bytes = file.bytes;
      const fichier = printable(file.filename || 'fichier', 200);
      let table;
      try {
        table = await parseTable(bytes, { filename: file.filename });
        checkTable(table, { v3Columns: true });
      } catch (err) {
        if (err instanceof FileFormatError) throw httpError('FICHIER_ILLISIBLE', [err.message], { fichier });
        throw err;
      }
      const result = await deps.pipeline.ingest({
        connector: 'televersement',
        erp: key.erp,
        organisme: { uai: key.uai, siret: key.siret },
        items: table.rows.map((input, i) => ({ input, location: `${fichier} ligne ${i + 2}` })),
        authorised: { uai: key.uai, siret: key.siret },
      });
      return fileReport(fichier, table, result);
    },
  );
}
