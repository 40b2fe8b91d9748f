/**
 * POST /api/v1/televersements: upload of one XLSX or CSV file (multipart/form-data, field `fichier`
 * or any file field), columns named with the v3 field names, Bearer API key of one organisation.
 * Each row goes through the shared pipeline; the reply is the per-row report (FileReport). A row of
 * another organisation than the key's is rejected with ORGANISME_NON_AUTORISE (the others are
 * accepted). Replies (errors: the ERP shape of api/errors.ts, `{status: "ERROR", code, message}`): 200 report;
 * 400 no file or a malformed form; 401 key (checked before the body is read); 413 file over
 * 20 MiB (FICHIER_TROP_VOLUMINEUX), or past a bound of files/limits.ts once read
 * (FICHIER_HORS_LIMITES: inflated size, rows, columns, parse time or memory; nothing is sent to
 * Kafka); 415 not multipart/form-data; 422 the file is not a table of dossiers (empty, binary, an
 * .xlsx that is not a workbook, no data row, no v3 column: nothing is sent to Kafka); 429 the key
 * already has UPLOADS_PER_KEY uploads in progress (TELEVERSEMENTS_EN_COURS, Retry-After); 503
 * Kafka cannot take the events now.
 *
 * The file is parsed on a worker thread (files/parse-pool.ts) and the report is the reply
 * (synchronous, as the contract has it): with the bounds above a file is parsed in seconds and the
 * main thread stays free meanwhile, so an asynchronous 202 with a report to fetch later would
 * only add a state to keep; very large transmissions go through the drop folder or the push API.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pipeline } from '../core/pipeline';
import { printable } from '../core/printable';
import { FileFormatError } from '../files/csv';
import { FileLimitError } from '../files/limits';
import { createParsePool, type ParsePool } from '../files/parse-pool';
import { checkTable } from '../files/table';
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

/** Uploads one API key may have in progress at once (parsing and ingesting). */
export const UPLOADS_PER_KEY = 2;
/** Seconds a client is told to wait when its key has UPLOADS_PER_KEY uploads in progress. */
const UPLOAD_RETRY_AFTER_S = 30;

declare module 'fastify' {
  interface FastifyRequest {
    /** Frees the upload slot of the request's API key (idempotent). */
    releaseUploadSlot?: () => void;
  }
}

/**
 * onRequest, after the key: at most UPLOADS_PER_KEY uploads in progress per key (this process:
 * one ingestion process per namespace, connectors/README.md), else 429 before the body is read.
 * The slot is freed when the answer is sent or the client goes away.
 */
function uploadSlots() {
  const inProgress = new Map<string, number>();
  const reserve = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const id = request.apiKey!.id;
    const n = inProgress.get(id) ?? 0;
    if (n >= UPLOADS_PER_KEY) {
      void reply.header('retry-after', String(UPLOAD_RETRY_AFTER_S));
      throw httpError('TELEVERSEMENTS_EN_COURS', [UPLOADS_PER_KEY, UPLOAD_RETRY_AFTER_S], {
        limite: UPLOADS_PER_KEY,
      });
    }
    inProgress.set(id, n + 1);
    let released = false;
    request.releaseUploadSlot = () => {
      if (released) return;
      released = true;
      const left = (inProgress.get(id) ?? 1) - 1;
      if (left > 0) inProgress.set(id, left);
      else inProgress.delete(id);
    };
  };
  const release = async (request: FastifyRequest): Promise<void> => request.releaseUploadSlot?.();
  return { reserve, release };
}

export async function televersementsRoute(
  app: FastifyInstance,
  deps: { pipeline: Pipeline; keys: ApiKeyStore; parser?: ParsePool },
): Promise<void> {
  // Files are parsed on worker threads (files/parse-pool.ts), never on the main thread.
  const parser = deps.parser ?? createParsePool();
  if (!deps.parser) app.addHook('onClose', async () => parser.close());
  const slots = uploadSlots();
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
          'Fichier XLSX (première feuille) ou CSV (UTF-8 avec ou sans BOM, Windows-1252 ; séparateur ; , tabulation ou |) de 20 Mio au plus, la première ligne nommant les colonnes avec les champs du contrat v3. Réponse : un rapport par ligne, dans la réponse (traitement synchrone : le fichier est analysé hors du fil principal, dans les limites ci-dessous). 422 quand le fichier n’est pas un tableau de dossiers (vide, binaire, sans ligne de données, sans colonne du contrat v3) : rien n’est enregistré. 413 FICHIER_HORS_LIMITES au-delà de 50 000 lignes de données, 1 000 colonnes, 256 Mio une fois décompressé (XLSX : vérifié sur le répertoire de l’archive avant décompression), 60 s d’analyse : rien n’est enregistré. 429 TELEVERSEMENTS_EN_COURS quand la clé a déjà 2 téléversements en cours (Retry-After).',
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
      onRequest: [requireApiKey(deps.keys), requireMultipart, slots.reserve],
      onResponse: slots.release,
      onRequestAbort: slots.release,
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
        table = await parser.parse(bytes, file.filename);
        checkTable(table, { v3Columns: true });
      } catch (err) {
        if (err instanceof FileLimitError)
          throw httpError('FICHIER_HORS_LIMITES', [err.message], { fichier, limite: err.limite });
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
