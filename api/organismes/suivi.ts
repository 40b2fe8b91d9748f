/**
 * What a training organisation needs to follow its own transmissions (issue 14, CFA page), under
 * /api/v1:
 *
 *   GET /organismes/{uai}/lots?n        its name (organisations referential) and its last batches,
 *                                       newest first (one row per received batch of the
 *                                       `transmissions` table: connector, ERP, volumes)
 *   GET /organismes/{uai}/rejets?jours&limit
 *                                       its rejected items of the last `jours` days, read from the
 *                                       dead-letter topic (connectors/dlq/read.ts): when, where in
 *                                       the input, and per error the field, the reason and how to
 *                                       fix it; plus the number of rejected items per day
 *
 * Roles: cfa (its own UAIs), dreets/ddets/academie (organisations of their territory), admin —
 * the same as /organismes/{uai}/transmission. Rejected items hold no names: the sealed original
 * input is never opened here (operators read it with `tdb dlq list --dechiffrer`).
 *
 * Cost: reading the dead-letter topic takes a throw-away consumer group (about a second); answers
 * are kept 5 s per (uai, jours, limit) and identical requests in flight share one read.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { readDeadLetters } from '../../connectors/dlq/read';
import { isoFromDay } from '../../streams/status';
import { isValidUai } from '../../streams/referentiels/identifiants';
import { mayReadOrganisme } from '../auth/perimetre';
import { badField, forbidden } from '../errors';
import { formatProperty, sendTable } from '../format/tables';
import { errorResponses } from '../indicateurs/schemas';
import type { QueryRunner } from '../sql/runner';
import { lastTransmissionsSql, VOLUMES } from './queries';
import { TRANSMISSION_ROLES } from './routes';

const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;

const uaiParams = {
  type: 'object',
  additionalProperties: false,
  properties: {
    uai: { type: 'string', maxLength: 8, description: 'UAI (7 chiffres et la lettre de contrôle)' },
  },
  required: ['uai'],
} as const;

/**
 * How to fix a rejection, by error code (connectors/core/validate.ts, normalise.ts, identity.ts):
 * what the CFA changes in its ERP before the next transmission. Codes not listed get a general hint.
 */
export const CORRECTIONS: Record<string, string> = {
  CHAMP_REQUIS: 'renseignez ce champ dans votre logiciel de gestion, puis transmettez à nouveau le dossier',
  TYPE_INVALIDE: 'corrigez le format de la valeur (voir la raison) dans votre logiciel de gestion',
  TEXTE_TROP_LONG: 'raccourcissez la valeur de ce champ',
  VALEUR_NON_SCALAIRE: 'ce champ attend une seule valeur (texte, nombre ou date), pas une liste ni un objet',
  CARACTERES_INVALIDES: 'retirez les caractères de contrôle ou mal encodés (exportez le fichier en UTF-8)',
  DOSSIER_NON_OBJET: 'chaque dossier doit être un objet JSON : vérifiez le format de l’export',
  DOSSIER_TROP_VOLUMINEUX: 'le dossier dépasse la taille permise : retirez les champs inutiles',
  DATE_INVALIDE: 'saisissez une date qui existe, au format AAAA-MM-JJ',
  DATE_HORS_LIMITES: 'vérifiez l’année saisie : la date est hors des limites plausibles',
  FIN_AVANT_ENTREE: 'la date de fin de formation doit suivre la date d’entrée : corrigez l’une des deux',
  DATE_NAISSANCE_ABSENTE: 'renseignez la date de naissance de l’apprenant',
  DATE_NAISSANCE_INCOHERENTE: 'vérifiez la date de naissance (âge impossible pour une formation)',
  CONTRAT_SANS_DATE_DEBUT: 'renseignez la date de début du contrat, ou retirez le contrat incomplet',
  ORGANISME_NON_AUTORISE:
    'le dossier nomme un autre organisme que celui de la clé d’API : transmettez-le avec la clé de cet organisme',
  ORGANISME_HORS_REFERENTIEL:
    'le couple UAI–SIRET est inconnu du référentiel des organismes : vérifiez l’UAI et le SIRET de l’établissement',
  NON_APPRENTI: 'ce dossier ne relève pas de l’apprentissage : il n’a pas à être transmis',
};
const DEFAULT_CORRECTION =
  'corrigez ce champ dans votre logiciel de gestion, puis transmettez à nouveau le dossier';

const lotsSchema = {
  summary: 'Derniers lots transmis par un organisme',
  description:
    'Les n derniers lots reçus (le plus récent d’abord), avec le connecteur, le logiciel et les volumes. Rôles : cfa (ses UAI), dreets/ddets/academie (leur territoire), admin.',
  tags: ['organismes'],
  security: [{ bearerAuth: [] }],
  params: uaiParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      n: { type: 'integer', minimum: 1, maximum: 500, default: 20, description: 'nombre de lots' },
      format: formatProperty,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        uai: str,
        nom: {
          type: ['string', 'null'],
          description: "nom de l'organisme (référentiel : enseigne, sinon raison sociale)",
        },
        lots: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              batch_id: str,
              received_at: { type: 'string', description: 'instant de réception (UTC, AAAA-MM-JJ hh:mm:ss)' },
              connector: str,
              erp: str,
              ...Object.fromEntries(VOLUMES.map((v) => [v, int])),
            },
          },
        },
      },
      required: ['uai', 'nom', 'lots'],
    },
    ...errorResponses,
  },
} as const;

const rejetsSchema = {
  summary: "Éléments refusés d'un organisme (file des rejets)",
  description:
    "Les éléments refusés des `jours` derniers jours (file des rejets, dead-letter topic), du plus récent au plus ancien : instant, connecteur, emplacement dans l'envoi, et pour chaque erreur le champ, la raison et comment corriger ; le nombre d'éléments refusés par jour. Aucune donnée nominative (l'entrée d'origine, chiffrée, n'est pas ouverte). Rôles : cfa (ses UAI), dreets/ddets/academie (leur territoire), admin.",
  tags: ['organismes'],
  security: [{ bearerAuth: [] }],
  params: uaiParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      jours: { type: 'integer', minimum: 1, maximum: 366, default: 30, description: 'période (jours)' },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 1000,
        default: 100,
        description: 'éléments listés au plus',
      },
      format: formatProperty,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        uai: str,
        depuis: { type: 'string', description: 'premier jour de la période (AAAA-MM-JJ)' },
        total: { type: 'integer', description: 'éléments refusés sur la période' },
        par_jour: {
          type: 'array',
          items: { type: 'object', properties: { jour: str, rejets: int }, required: ['jour', 'rejets'] },
        },
        rejets: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              recu_le: { type: 'string', description: 'instant ISO de réception' },
              connecteur: str,
              emplacement: {
                type: ['string', 'null'],
                description: "où dans l'envoi : élément N, fichier et ligne",
              },
              erreurs: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    code: str,
                    champ: { type: 'string', description: 'le champ du dossier v3' },
                    raison: str,
                    correction: { type: 'string', description: 'comment corriger' },
                  },
                  required: ['code', 'champ', 'raison', 'correction'],
                },
              },
            },
            required: ['recu_le', 'connecteur', 'emplacement', 'erreurs'],
          },
        },
      },
      required: ['uai', 'depuis', 'total', 'par_jour', 'rejets'],
    },
    ...errorResponses,
  },
} as const;

export interface Rejet {
  recu_le: string;
  connecteur: string;
  emplacement: string | null;
  erreurs: { code: string; champ: string; raison: string; correction: string }[];
}

export const suiviRoutes: FastifyPluginAsync<{ runner: QueryRunner }> = async (app, { runner }) => {
  const { ctx } = app;
  const guard = app.authorize({ roles: TRANSMISSION_ROLES });

  /** The UAI of the path, checked (format, check letter, scope). */
  const uaiOf = (request: FastifyRequest): string => {
    const raw = (request.params as { uai: string }).uai.toUpperCase();
    if (!/^[0-9]{7}[A-Z]$/.test(raw))
      throw badField('uai', 'format invalide, attendu 7 chiffres et une lettre');
    if (!isValidUai(raw)) throw badField('uai', 'lettre de contrôle incorrecte');
    if (!mayReadOrganisme(request.principal, raw, app.territoryIndex, ctx.organismes))
      throw forbidden(`l'organisme ${raw} n'est pas dans le périmètre du jeton`, 'uai', 'HORS_PERIMETRE');
    return raw;
  };

  app.get('/organismes/:uai/lots', { schema: lotsSchema, onRequest: guard }, async (request, reply) => {
    const uai = uaiOf(request);
    const n = Number((request.query as { n?: number }).n ?? 20);
    const rows = await runner.rows<Record<string, string | number>>(
      'transmission',
      lastTransmissionsSql(ctx.clickhouse.database, uai, n),
    );
    const lots = rows.map((r) => ({
      batch_id: String(r.batch_id),
      received_at: String(r.recu_le),
      connector: String(r.connector),
      erp: String(r.erp),
      ...Object.fromEntries(VOLUMES.map((v) => [v, Number(r[v] ?? 0)])),
    }));
    const o = ctx.organismes.byUai(uai)[0];
    const nom = o ? o.enseigne || o.raison_sociale || null : null;
    return sendTable(request, reply, { uai, nom, lots }, () => ({
      name: `lots-${uai}-${isoFromDay(ctx.clock.today())}`,
      columns: ['received_at', 'connector', 'erp', ...VOLUMES, 'batch_id'],
      rows: lots,
    }));
  });

  const inFlight = new Map<
    string,
    {
      at: number;
      value: Promise<{ total: number; par_jour: { jour: string; rejets: number }[]; rejets: Rejet[] }>;
    }
  >();
  /** The rejected items of `uai` since `depuis` (ms), the `limit` most recent listed; coalesced and kept 5 s. */
  const rejectsOf = (uai: string, depuis: number, limit: number) => {
    const key = `${uai}|${depuis}|${limit}`;
    const now = Date.now();
    const hit = inFlight.get(key);
    if (hit && now - hit.at < 5_000) return hit.value;
    const value = (async () => {
      // Every item of the period is read to count per day; only the `limit` most recent are listed.
      const { entries, matching } = await readDeadLetters(ctx, { organisme: uai, depuis, limit: 100_000 });
      const perDay = new Map<string, number>();
      for (const e of entries) {
        const jour = new Date(e.record.ingestion_time).toISOString().slice(0, 10);
        perDay.set(jour, (perDay.get(jour) ?? 0) + 1);
      }
      const rejets = entries
        .slice(-limit)
        .reverse()
        .map((e): Rejet => ({
          recu_le: new Date(e.record.ingestion_time).toISOString(),
          connecteur: e.record.connector,
          emplacement: e.record.location ?? null,
          erreurs: e.record.errors.map((x) => ({
            code: x.code,
            champ: x.path,
            raison: x.message,
            correction: CORRECTIONS[x.code] ?? DEFAULT_CORRECTION,
          })),
        }));
      return {
        total: matching,
        par_jour: [...perDay.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([jour, rejets]) => ({ jour, rejets })),
        rejets,
      };
    })();
    inFlight.set(key, { at: now, value });
    value.catch(() => inFlight.delete(key));
    for (const [k, v] of inFlight) if (now - v.at >= 5_000) inFlight.delete(k);
    return value;
  };

  app.get('/organismes/:uai/rejets', { schema: rejetsSchema, onRequest: guard }, async (request, reply) => {
    const uai = uaiOf(request);
    const q = request.query as { jours?: number; limit?: number };
    const jours = Number(q.jours ?? 30);
    const limit = Number(q.limit ?? 100);
    const firstDay = ctx.clock.today() - jours + 1;
    const depuis = Date.parse(`${isoFromDay(firstDay)}T00:00:00Z`);
    const found = await rejectsOf(uai, depuis, limit);
    const body = { uai, depuis: isoFromDay(firstDay), ...found };
    return sendTable(request, reply, body, () => ({
      name: `rejets-${uai}-${isoFromDay(ctx.clock.today())}`,
      columns: ['recu_le', 'connecteur', 'emplacement', 'code', 'champ', 'raison', 'correction'],
      rows: body.rejets.flatMap((r) =>
        r.erreurs.map((e) => ({
          recu_le: r.recu_le,
          connecteur: r.connecteur,
          emplacement: r.emplacement,
          ...e,
        })),
      ),
    }));
  });
};
