/**
 * GET /api/v1/organismes/{uai}/transmission?jours: how an organisation transmits (issue 6 §2):
 * its last batch, the totals (batches, records received, accepted, rejected, unchanged, created,
 * modified, not transmitted), days since the last batch (a whole organisation going silent shows
 * here, not as dropouts: real-world-faults.md kind 8), and the daily volumes of the last `jours`
 * days. From the `transmissions` table (one row per received batch).
 *
 * Roles: cfa (its own UAIs), dreets/ddets/academie (organisations of their territory, by the
 * organisation's département), admin. public: 401; mission_locale: 403.
 */
import type { FastifyPluginAsync } from 'fastify';
import { dayFromIso, isoFromDay } from '../../streams/status';
import { isValidUai } from '../../streams/referentiels/identifiants';
import { mayReadOrganisme } from '../auth/perimetre';
import type { Role } from '../auth/tokens';
import { badField, forbidden } from '../errors';
import { formatProperty, sendTable } from '../format/tables';
import { errorResponses } from '../indicateurs/schemas';
import type { QueryRunner } from '../sql/runner';
import { lastTransmissionsSql, transmissionsByDaySql, transmissionTotalsSql, VOLUMES } from './queries';

export const TRANSMISSION_ROLES: readonly Role[] = ['cfa', 'dreets', 'ddets', 'academie', 'admin'];

const int = { type: 'integer' } as const;
const volumesSchema = Object.fromEntries(VOLUMES.map((v) => [v, int]));

const schema = {
  summary: "Transmissions d'un organisme",
  description:
    'Dernier lot reçu, volumes et rejets, jours sans transmission, volumes par jour. Rôles : cfa (ses UAI), dreets/ddets/academie (leur territoire), admin.',
  tags: ['organismes'],
  security: [{ bearerAuth: [] }],
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      uai: { type: 'string', maxLength: 8, description: 'UAI (7 chiffres et la lettre de contrôle)' },
    },
    required: ['uai'],
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      jours: {
        type: 'integer',
        minimum: 1,
        maximum: 366,
        default: 30,
        description: 'période des volumes par jour',
      },
      format: formatProperty,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        uai: { type: 'string' },
        derniere_transmission: {
          type: ['object', 'null'],
          properties: {
            batch_id: { type: 'string' },
            received_at: { type: 'string' },
            connector: { type: 'string' },
            erp: { type: 'string' },
            ...volumesSchema,
          },
        },
        jours_sans_transmission: { type: ['integer', 'null'] },
        totaux: { type: 'object', properties: { lots: int, ...volumesSchema } },
        par_jour: {
          type: 'array',
          items: { type: 'object', properties: { jour: { type: 'string' }, lots: int, ...volumesSchema } },
        },
      },
      required: ['uai', 'derniere_transmission', 'jours_sans_transmission', 'totaux', 'par_jour'],
    },
    ...errorResponses,
  },
} as const;

type Row = Record<string, string | number>;
const numbers = (r: Row | undefined, keys: readonly string[]) =>
  Object.fromEntries(keys.map((k) => [k, Number(r?.[k] ?? 0)]));

export const organismesRoutes: FastifyPluginAsync<{ runner: QueryRunner }> = async (app, { runner }) => {
  const { ctx } = app;
  const db = ctx.clickhouse.database;

  app.get(
    '/organismes/:uai/transmission',
    { schema, onRequest: app.authorize({ roles: TRANSMISSION_ROLES }) },
    async (request, reply) => {
      const raw = (request.params as { uai: string }).uai.toUpperCase();
      if (!/^[0-9]{7}[A-Z]$/.test(raw))
        throw badField('uai', 'format invalide, attendu 7 chiffres et une lettre');
      if (!isValidUai(raw)) throw badField('uai', 'lettre de contrôle incorrecte');
      if (!mayReadOrganisme(request.principal, raw, app.territoryIndex, ctx.organismes)) {
        throw forbidden(`l'organisme ${raw} n'est pas dans le périmètre du jeton`, 'uai', 'HORS_PERIMETRE');
      }
      const jours = Number((request.query as { jours?: number }).jours ?? 30);
      const today = ctx.clock.today();
      const [last, [totals], days] = await Promise.all([
        runner.rows<Row>('transmission', lastTransmissionsSql(db, raw, 1)),
        runner.rows<Row>('transmission', transmissionTotalsSql(db, raw)),
        runner.rows<Row>('transmission', transmissionsByDaySql(db, raw, today - jours + 1)),
      ]);
      const l = last[0];
      const body = {
        uai: raw,
        derniere_transmission: l
          ? {
              batch_id: String(l.batch_id),
              received_at: String(l.recu_le),
              connector: String(l.connector),
              erp: String(l.erp),
              ...numbers(l, VOLUMES),
            }
          : null,
        jours_sans_transmission: l ? today - dayFromIso(String(l.recu_le).slice(0, 10)) : null,
        totaux: numbers(totals, ['lots', ...VOLUMES]),
        par_jour: days.map((d) => ({ jour: String(d.jour), ...numbers(d, ['lots', ...VOLUMES]) })),
      };
      return sendTable(request, reply, body, () => ({
        name: `transmissions-${raw}-${isoFromDay(today)}`,
        columns: ['jour', 'lots', ...VOLUMES],
        rows: body.par_jour,
      }));
    },
  );
};
