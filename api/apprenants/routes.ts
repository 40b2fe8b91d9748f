/**
 * GET /api/v1/apprenants?date&statut&filters&page&par_page: the nominative list of learners with
 * their computed status at the date (issue 6 §4).
 *
 * - cfa: its own learners (organisme_uai in the token's scope), every status;
 * - dreets / ddets / academie: the inscrits, rupturants and abandons of their territory;
 * - admin: everything. public: 401; mission_locale: 403.
 *
 * Names come from opening `identite_chiffree` (base64 of the sealed IdentiteApprenant,
 * schemas/identite.ts, key ctx.secrets.dataKey) for these entitled roles only. Every response is
 * first written to the access log (acces_nominatifs). Lists are never cached, by the API or by
 * anyone else (`Cache-Control: no-store`).
 */
import type { FastifyPluginAsync } from 'fastify';
import { openIdentiteOrNull } from '../../schemas/identite';
import type { Statut } from '../../streams/status';
import { restrictToScope } from '../auth/perimetre';
import type { Role } from '../auth/tokens';
import { forbidden } from '../errors';
import { sendTable } from '../format/tables';
import { formatProperty } from '../format/tables';
import { dateOrToday } from '../params';
import { filterProperties, parseFilters } from '../sql/filters';
import type { QueryRunner } from '../sql/runner';
import { dateProperty, errorResponses } from '../indicateurs/schemas';
import { noStoreAnswers } from '../plugins/no-store';
import { logNominativeAccess } from './access-log';
import { listCountSql, listSql } from './queries';

export const LIST_ROLES: readonly Role[] = ['cfa', 'dreets', 'ddets', 'academie', 'admin'];

/** The list's `statut` values (the counters) → engine statuses. */
const STATUTS_OF: Record<string, Statut[]> = {
  apprentis: ['APPRENTI', 'FIN_DE_FORMATION'],
  inscrits: ['INSCRIT'],
  rupturants: ['RUPTURANT'],
  abandons: ['ABANDON'],
};
/** What the territorial services may list (issue 6 §4). */
const TERRITORIAL_STATUTS = ['inscrits', 'rupturants', 'abandons'];

const str = { type: ['string', 'null'] } as const;
const COLUMNS = [
  'record_key',
  'nom',
  'prenom',
  'date_de_naissance',
  'ine',
  'email',
  'telephone',
  'organisme_uai',
  'organisme_siret',
  'formation_cfd',
  'formation_rncp',
  'niveau',
  'departement',
  'zone_emploi',
  'code_commune_insee',
  'date_entree',
  'date_fin',
  'statut',
  'statut_depuis',
] as const;

const schema = {
  summary: 'Liste nominative des apprenants et de leur statut à une date',
  description:
    'cfa : ses apprenants (tous statuts) ; dreets/ddets/academie : inscrits, rupturants et abandons de leur territoire ; admin : tout. Chaque lecture est journalisée (acces_nominatifs). CSV/XLSX : format= ou Accept.',
  tags: ['apprenants'],
  security: [{ bearerAuth: [] }],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      date: dateProperty('AAAA-MM-JJ, défaut : aujourd’hui'),
      statut: {
        type: 'string',
        enum: Object.keys(STATUTS_OF),
        description: 'compteur (défaut : tous ceux permis au rôle)',
      },
      ...filterProperties,
      page: { type: 'integer', minimum: 1, maximum: 100000, default: 1 },
      par_page: { type: 'integer', minimum: 1, maximum: 5000, default: 500 },
      format: formatProperty,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        date: { type: 'string' },
        total: { type: 'integer' },
        page: { type: 'integer' },
        par_page: { type: 'integer' },
        apprenants: {
          type: 'array',
          items: {
            type: 'object',
            properties: Object.fromEntries(COLUMNS.map((c) => [c, str])),
            required: [...COLUMNS],
          },
        },
      },
      required: ['date', 'total', 'page', 'par_page', 'apprenants'],
    },
    ...errorResponses,
  },
} as const;

interface ListRow {
  record_key: string;
  organisme_uai: string;
  organisme_siret: string;
  formation_cfd: string;
  formation_rncp: string;
  niveau: string;
  departement: string;
  zone_emploi: string;
  code_commune_insee: string;
  date_entree: string;
  date_fin: string;
  statut: Statut;
  statut_depuis: string;
  identite_chiffree: string;
}

const orNull = (v: unknown) => (v === undefined || v === null || v === '' ? null : String(v));

export const apprenantsRoutes: FastifyPluginAsync<{ runner: QueryRunner }> = async (app, { runner }) => {
  const { ctx } = app;
  noStoreAnswers(app); // names: never kept by a cache (JSON, CSV, XLSX)
  const db = ctx.clickhouse.database;

  app.get(
    '/apprenants',
    { schema, onRequest: app.authorize({ roles: LIST_ROLES }) },
    async (request, reply) => {
      const q = request.query as Record<string, string | number | undefined>;
      const p = request.principal;
      const date = dateOrToday('date', q.date as string | undefined, ctx.clock.today());
      const filters = parseFilters(q, ctx.territoires);
      const scope = restrictToScope(p, filters, app.territoryIndex);
      const territorial = p.role === 'dreets' || p.role === 'ddets' || p.role === 'academie';
      const statut = q.statut as string | undefined;
      if (territorial && statut !== undefined && !TERRITORIAL_STATUTS.includes(statut)) {
        throw forbidden(`le rôle ${p.role} ne liste que les inscrits, rupturants et abandons`, 'statut');
      }
      const counters =
        statut !== undefined ? [statut] : territorial ? TERRITORIAL_STATUTS : Object.keys(STATUTS_OF);
      const selection = { day: date, filters, scope, statuts: counters.flatMap((c) => STATUTS_OF[c]!) };
      const page = Number(q.page ?? 1);
      const parPage = Number(q.par_page ?? 500);

      const [rows, [countRow]] = await Promise.all([
        runner.rows<ListRow>('liste', listSql(db, selection, (page - 1) * parPage, parPage)),
        runner.rows<{ n: string }>('liste_total', listCountSql(db, selection)),
      ]);
      const dataKey = ctx.secrets.dataKey;
      let unreadable = 0;
      const apprenants = rows.map((r) => {
        const id = openIdentiteOrNull(dataKey, Buffer.from(r.identite_chiffree, 'base64'));
        if (id === null) unreadable++;
        return {
          record_key: r.record_key,
          nom: orNull(id?.nom),
          prenom: orNull(id?.prenom),
          date_de_naissance: orNull(id?.date_de_naissance),
          ine: orNull(id?.ine),
          email: orNull(id?.email_contact),
          telephone: orNull(id?.tel_apprenant),
          organisme_uai: r.organisme_uai,
          organisme_siret: r.organisme_siret,
          formation_cfd: orNull(r.formation_cfd),
          formation_rncp: orNull(r.formation_rncp),
          niveau: orNull(r.niveau),
          departement: orNull(r.departement),
          zone_emploi: orNull(r.zone_emploi),
          code_commune_insee: orNull(r.code_commune_insee),
          date_entree: r.date_entree,
          date_fin: r.date_fin,
          statut: r.statut,
          statut_depuis: r.statut_depuis,
        };
      });
      if (unreadable > 0)
        request.log.warn(
          { unreadable },
          'nominative list: identities that cannot be opened with the data key (or not identities)',
        );

      await logNominativeAccess(ctx.clickhouse, {
        principal: p,
        requestId: request.id,
        route: request.routeOptions.url ?? '/api/v1/apprenants',
        parametres: {
          date,
          statut: counters,
          ...filters,
          page,
          par_page: parPage,
          format: q.format ?? 'json',
        },
        dateReference: date,
        lignes: apprenants.length,
        at: ctx.clock.now(),
      });

      const body = { date, total: Number(countRow?.n ?? 0), page, par_page: parPage, apprenants };
      return sendTable(request, reply, body, () => ({
        name: `apprenants-${date}`,
        columns: COLUMNS,
        rows: apprenants,
      }));
    },
  );
};
