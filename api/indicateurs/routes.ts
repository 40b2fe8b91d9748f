/**
 * Indicator routes (issue 6 §2), under /api/v1:
 *
 * - GET /indicateurs?date&filters → the counters at the date;
 * - GET /indicateurs/par/{dimension} → one row per group (the descriptors' group-bys,
 *   streams/facts/descriptors.ts), with its label, and the total;
 * - GET /indicateurs/series?from&to&pas&filters → the counters at each step;
 * - GET /indicateurs/national?date → national counters (public route); a filter there is a 400
 *   `FILTRE_NON_ACCEPTE` pointing to /indicateurs with the same filters.
 *
 * Roles: public (the disclosure control of docs/statistical-disclosure-control.md, through
 * disclosure-service.ts: cells withheld below 11 learners or with a complement below 11, counts
 * randomly rounded to base 5 with a cell key, small populations at the first day of the month, no
 * demographic filter crossed with an organisation or a formation), cfa (its organisations),
 * dreets/ddets/academie (their territory), admin; these keep exact counts within their scope.
 * mission_locale gets 403 except on /national, which every role but admin reads as the public
 * does. Any table downloads as CSV/XLSX.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Territoires } from '../../streams/referentiels/territoires';
import { isoFromDay } from '../../streams/status';
import { restrictToScope } from '../auth/perimetre';
import type { Principal, Role } from '../auth/tokens';
import { badField } from '../errors';
import { libelleOf } from '../format/libelles';
import { sendTable, type Table } from '../format/tables';
import { dateOrToday, parseDay } from '../params';
import { COUNT_FIELDS, totalOf, unprotected, type Counts, type Published } from '../secrecy';
import { cellKeySecret } from '../secrecy/cell-key';
import { refusePublicCrossing } from '../secrecy/disclosure';
import { FILTER_NAMES, isFilterName, parseFilter, parseFilters, type Filters } from '../sql/filters';
import type { QueryRunner } from '../sql/runner';
import type { GroupDimension, Selection } from './queries';
import { publicIndicator, publicSeries, publicTable } from './disclosure-service';
import { indicatorAt, indicatorsByAt, series, stepsOf, type Pas } from './service';
import { indicateursSchema, nationalSchema, parSchema, seriesSchema } from './schemas';

/** Roles that read aggregates (mission_locale reads only its alerts). */
export const AGGREGATE_ROLES: readonly Role[] = ['public', 'cfa', 'dreets', 'ddets', 'academie', 'admin'];
/** Every role: the national figures are public. */
export const EVERY_ROLE: readonly Role[] = [
  'public',
  'cfa',
  'mission_locale',
  'dreets',
  'ddets',
  'academie',
  'admin',
];

/** At most this many points in a series (e.g. 5 years of days). */
export const MAX_POINTS = 1830;

type Query = Record<string, string | undefined>;

/**
 * 400 `FILTRE_NON_ACCEPTE` when /indicateurs/national is given a filter: it answers for the whole
 * country only; the message points to /api/v1/indicateurs with the same filters (a value that
 * does not pass its filter's check is not repeated).
 */
export function refuseFiltersOnNational(query: Record<string, unknown>, territoires: Territoires): void {
  const given = Object.keys(query).filter(isFilterName);
  if (given.length === 0) return;
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    if (!given.includes(name)) continue;
    let value = '…';
    try {
      value = parseFilter(name, query[name], territoires);
    } catch {
      // a refused value is not echoed: the caller gets the parameter's place only
    }
    params.append(name, value);
  }
  if (typeof query.date === 'string' && /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(query.date))
    params.append('date', query.date);
  const champ = given[0]!;
  throw badField(
    champ,
    `la route nationale ne prend aucun filtre, territorial ou autre ; pour filtrer, utilisez /api/v1/indicateurs?${params.toString().replace(/%E2%80%A6/g, '…')}`,
    'FILTRE_NON_ACCEPTE',
  );
}

const countColumns = [...COUNT_FIELDS, 'masque'] as const;

export const indicateursRoutes: FastifyPluginAsync<{ runner: QueryRunner }> = async (app, { runner }) => {
  const { ctx } = app;
  const db = ctx.clickhouse.database;
  const cellSecret = cellKeySecret(ctx.secrets.dataKey);

  /**
   * The filters and the caller's scope restriction; whether figures are published under the public
   * disclosure control (then a demographic filter crossed with an organisation or a formation is a
   * 403 naming it).
   */
  const selectionOf = (
    request: FastifyRequest,
    dimension?: GroupDimension,
  ): { sel: Selection; filters: Filters; secret: boolean } => {
    const filters = parseFilters(request.query as Query, ctx.territoires);
    const p: Principal = request.principal;
    if (p.role === 'public') refusePublicCrossing(filters, dimension);
    return {
      sel: { filters, scope: restrictToScope(p, filters, app.territoryIndex) },
      filters,
      secret: p.role === 'public',
    };
  };

  app.get(
    '/indicateurs',
    { schema: indicateursSchema, onRequest: app.authorize({ roles: AGGREGATE_ROLES }) },
    async (request, reply) => {
      const q = request.query as Query;
      const date = dateOrToday('date', q.date, ctx.clock.today());
      const { sel, filters, secret } = selectionOf(request);
      const body = await runner.memo(JSON.stringify(['indicateurs', date, sel, secret]), async () => {
        if (secret) return publicIndicator(runner, db, cellSecret, date, filters);
        return { date, ...unprotected(await indicatorAt(runner, db, date, sel)) };
      });
      return sendTable(request, reply, body, () => ({
        name: `indicateurs-${body.date}`,
        columns: ['date', ...countColumns],
        rows: [body],
      }));
    },
  );

  app.get(
    '/indicateurs/national',
    {
      schema: nationalSchema,
      preValidation: async (request) => refuseFiltersOnNational(request.query as Query, ctx.territoires),
      onRequest: app.authorize({ roles: EVERY_ROLE }),
    },
    async (request, reply) => {
      const q = request.query as Query;
      const date = dateOrToday('date', q.date, ctx.clock.today());
      const exact = request.principal.role === 'admin';
      const body = await runner.memo(JSON.stringify(['national', date, exact]), async () => {
        if (!exact) return publicIndicator(runner, db, cellSecret, date, {});
        return { date, ...unprotected(await indicatorAt(runner, db, date, { filters: {}, scope: null })) };
      });
      return sendTable(request, reply, body, () => ({
        name: `indicateurs-national-${body.date}`,
        columns: ['date', ...countColumns],
        rows: [body],
      }));
    },
  );

  app.get(
    '/indicateurs/par/:dimension',
    { schema: parSchema, onRequest: app.authorize({ roles: AGGREGATE_ROLES }) },
    async (request, reply) => {
      const { dimension } = request.params as { dimension: GroupDimension };
      const q = request.query as Query;
      const date = dateOrToday('date', q.date, ctx.clock.today());
      const { sel, filters, secret } = selectionOf(request, dimension);
      const body = await runner.memo(JSON.stringify(['par', date, dimension, sel, secret]), async () => {
        let published: { date: string; rows: { code: string; published: Published }[]; total: Published };
        if (secret) {
          published = await publicTable(runner, db, cellSecret, date, dimension, filters);
        } else {
          const groups = await indicatorsByAt(runner, db, date, dimension, sel);
          const counts: Counts[] = groups.map((g) => g.counts);
          published = {
            date,
            rows: groups.map((g) => ({ code: g.code, published: unprotected(g.counts) })),
            total: unprotected(totalOf(counts)),
          };
        }
        const lignes = published.rows.map((g) => ({
          code: g.code === '' ? null : g.code,
          libelle: libelleOf(dimension, g.code, ctx.organismes),
          ...g.published,
        }));
        return { date: published.date, dimension, lignes, total: published.total };
      });
      return sendTable(request, reply, body, (): Table => ({
        name: `indicateurs-par-${dimension}-${body.date}`,
        columns: ['code', 'libelle', ...countColumns],
        rows: [...body.lignes, { code: 'total', libelle: null, ...body.total }],
      }));
    },
  );

  app.get(
    '/indicateurs/series',
    { schema: seriesSchema, onRequest: app.authorize({ roles: AGGREGATE_ROLES }) },
    async (request, reply) => {
      const q = request.query as Query;
      const from = parseDay('from', q.from!);
      const to = parseDay('to', q.to!);
      if (to < from) throw badField('to', 'doit être postérieure ou égale à from');
      const pas = (q.pas ?? 'mois') as Pas;
      if (stepsOf(from, to, pas).length > MAX_POINTS)
        throw badField(
          'pas',
          `plus de ${MAX_POINTS} points : choisissez un pas plus long ou une période plus courte`,
        );
      const { sel, filters, secret } = selectionOf(request);
      const body = await runner.memo(JSON.stringify(['series', from, to, pas, sel, secret]), async () => {
        const points = secret
          ? await publicSeries(runner, db, cellSecret, from, to, pas, filters)
          : (await series(runner, db, isoFromDay(from), isoFromDay(to), pas, sel)).map((p) => ({
              date: p.date,
              ...unprotected(p.counts),
            }));
        return { from: isoFromDay(from), to: isoFromDay(to), pas, points };
      });
      return sendTable(request, reply, body, () => ({
        name: `indicateurs-series-${pas}-${body.from}-${body.to}`,
        columns: ['date', ...countColumns],
        rows: body.points,
      }));
    },
  );
};
