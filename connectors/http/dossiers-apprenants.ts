/**
 * POST /api/v3/dossiers-apprenants: the push API that CFA ERPs already speak
 * (shared/reference/dossier-apprenant-v3.md). A JSON array of at most 2,000 dossiers, Bearer API
 * key of one organisation. Valid items are accepted beside invalid ones; each item comes back
 * with its `validation_errors` ([{message, path, code}]) and `warnings` ([{code, path, message}],
 * accepted items whose values were corrected or dropped). Replies (errors: the ERP shape of the
 * server's catalogue, api/errors.ts, `{status: "ERROR", code, message, elements?, limite?}`):
 * - 200 {status: "OK", message: "Queued", detail?: "Some data are invalid", data: [...items]};
 * - 400 the body is not JSON, not an array, has more than 2,000 items, an item is not an object,
 *   or an item holds a value nested deeper than 2 levels (nothing of the request is ingested);
 * - 401 no/unknown/revoked key (checked before the body is read);
 * - 403 an item's formateur is neither the key's organisation nor attached to it as responsable
 *   (core/authorisation.ts; `elements` the items, `champ` the field of the first; nothing of the
 *   request is accepted);
 * - 413 body over 10 MiB; 415 not application/json; 429 rate limit of the key (TDB_API_RATE_LIMIT
 *   per minute); 503 Kafka cannot take the events now (retry; nothing was recorded).
 */
import type { FastifyInstance } from 'fastify';
import { dossierApprenantV3Schema } from '../../schemas/dossier-apprenant-v3.schema';
import { frenchNumber, inspectItem, MAX_NESTING } from '../core/limits';
import type { Pipeline } from '../core/pipeline';
import { printable } from '../core/printable';
import type { ApiKeyStore } from './api-keys';
import { refusedItem, requireApiKey } from './auth';
import { httpError, type CorpsAttendu } from '../../api/errors';
import { MAX_ITEMS, PUSH_BODY_LIMIT } from './limits';
import { errorResponses, routeSchema, securityBearer, validationErrorSchema, warningSchema } from './schemas';

export { MAX_ITEMS, PUSH_BODY_LIMIT } from './limits';

/** "un objet", "un nombre", … (what was received instead of what was expected). */
export function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'un tableau';
  switch (typeof v) {
    case 'object':
      return 'un objet';
    case 'string':
      return 'un texte';
    case 'number':
      return 'un nombre';
    case 'boolean':
      return 'un booléen';
    default:
      return typeof v;
  }
}

/** What the push API's body is (messages of the body errors, api/errors.ts). */
const PUSH_BODY: CorpsAttendu = {
  attendu: 'un tableau JSON de dossiers',
  type: 'application/json',
  conseil: ' ; envoyez les dossiers en plusieurs appels',
};

/** "élément 3 (data[2])": an item for humans (counted from 1) and its index in `data`. */
const itemName = (i: number) => `élément ${i + 1} (data[${i}])`;

/** Lists at most 5 items in a message. */
const some = (indexes: number[]) =>
  `${indexes.slice(0, 5).map(itemName).join(', ')}${indexes.length > 5 ? ` et ${indexes.length - 5} autre(s)` : ''}`;

/**
 * The whole-request checks, before anything is ingested: an array, at most MAX_ITEMS items, each an
 * object, none nested deeper than MAX_NESTING levels. Throws a 400 of the catalogue (api/errors.ts).
 */
export function checkPushBody(body: unknown): Record<string, unknown>[] {
  if (!Array.isArray(body)) {
    throw httpError('CORPS_NON_TABLEAU', [jsonKind(body)]);
  }
  if (body.length > MAX_ITEMS) {
    throw httpError('TROP_DE_DOSSIERS', [frenchNumber(body.length), frenchNumber(MAX_ITEMS)], {
      limite: MAX_ITEMS,
    });
  }
  const notObjects = body.flatMap((d, i) =>
    typeof d === 'object' && d !== null && !Array.isArray(d) ? [] : [i],
  );
  if (notObjects.length > 0) {
    const first = notObjects[0]!;
    throw httpError(
      'DOSSIER_NON_OBJET',
      [
        `${some(notObjects)} ${notObjects.length > 1 ? 'ne le sont pas' : "ne l'est pas"} (data[${first}] est ${jsonKind(body[first])})`,
      ],
      { elements: notObjects },
    );
  }
  const items = body as Record<string, unknown>[];
  const deep: { index: number; field: string }[] = [];
  items.forEach((item, index) => {
    const field = inspectItem(item, Number.POSITIVE_INFINITY).tooDeep;
    if (field !== null) deep.push({ index, field });
  });
  if (deep.length > 0) {
    const first = deep[0]!;
    throw httpError(
      'VALEUR_TROP_IMBRIQUEE',
      [
        `${itemName(first.index)}, champ ${printable(first.field)}`,
        MAX_NESTING,
        deep.length > 1 ? ` ; aussi : ${some(deep.slice(1).map((d) => d.index))}` : '',
      ],
      { elements: deep.map((d) => d.index) },
    );
  }
  return items;
}

export function dossiersApprenantsRoute(
  app: FastifyInstance,
  deps: { pipeline: Pipeline; keys: ApiKeyStore },
): void {
  app.post(
    '/api/v3/dossiers-apprenants',
    {
      bodyLimit: PUSH_BODY_LIMIT,
      schema: routeSchema({
        summary: 'Transmettre des dossiers apprenants (contrat ERP v3)',
        description:
          'Jusqu\'à 2 000 dossiers par appel (10 Mio au plus). Chaque dossier est validé séparément : les valides sont acceptés même si d\'autres sont invalides ; chaque dossier revient avec ses validation_errors (rejeté) et ses warnings (accepté, valeurs corrigées ou ignorées). Un renvoi identique ne produit aucun événement. Erreurs : { status: "ERROR", code, message } en français.',
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
                  properties: {
                    validation_errors: { type: 'array', items: validationErrorSchema },
                    warnings: { type: 'array', items: warningSchema },
                  },
                },
              },
            },
            required: ['status', 'message', 'data'],
          },
          ...errorResponses,
        },
      }),
      // The body schema documents the items (OpenAPI); the request is checked by checkPushBody (with
      // French messages) and each item by the pipeline, so that one invalid item never rejects the others.
      validatorCompiler: () => (data: unknown) => ({ value: data }),
      config: { corps: PUSH_BODY },
      onRequest: requireApiKey(deps.keys),
    },
    async (request) => {
      const key = request.apiKey!;
      const items = checkPushBody(request.body);
      const refused = items.flatMap((item, i) => {
        const issue = refusedItem(key, item, app.ctx.relations);
        return issue ? [{ index: i, issue }] : [];
      });
      if (refused.length > 0) {
        const first = refused[0]!;
        throw httpError(
          'ORGANISME_NON_AUTORISE',
          [
            key.uai,
            key.siret,
            some(refused.map((r) => r.index)),
            `${itemName(first.index)}, ${first.issue.message}`,
          ],
          { elements: refused.map((r) => r.index), champ: first.issue.path },
        );
      }
      const result = await deps.pipeline.ingest({
        connector: 'api-v3',
        erp: key.erp,
        organisme: { uai: key.uai, siret: key.siret },
        items: items.map((input, i) => ({ input, location: `élément ${i + 1}` })),
        authorised: { uai: key.uai, siret: key.siret },
      });
      const data = items.map((input, i) => {
        const echo = { ...input };
        delete echo.nir_apprenant; // never echoed, like never stored
        const outcome = result.items[i]!;
        return { ...echo, validation_errors: outcome.errors, warnings: outcome.warnings };
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
