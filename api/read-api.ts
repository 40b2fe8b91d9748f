/**
 * The read API (issue 6): indicator, nominative-list and transmission routes under /api/v1 (and the
 * routes the dashboard's pages need, issue 14: an organisation's batches and refused items,
 * api/organismes/suivi.ts; the organisations of a territory, api/organismes/territoire.ts), in
 * one encapsulated plugin context with the API's error shape (400 naming the field, 401, 403, 404
 * of an unknown /api/v1 route, 500 without internals; api/errors.ts), query values checked by
 * their own parsers before the schema (api/query-check.ts) and one query runner (coalescing +
 * short result cache, api/sql/runner.ts). Authentication comes from api/auth/plugin.ts
 * (registered on the root, shared with other route families).
 */
import type { FastifyPluginAsync } from 'fastify';
import { apprenantsRoutes } from './apprenants/routes';
import { useApiErrors } from './errors';
import { indicateursRoutes } from './indicateurs/routes';
import { organismesRoutes } from './organismes/routes';
import { suiviRoutes } from './organismes/suivi';
import { territoireRoutes } from './organismes/territoire';
import { parseDay } from './params';
import { checkQuery, type QueryValueCheck } from './query-check';
import { FILTER_NAMES, parseFilter } from './sql/filters';
import { createQueryRunner } from './sql/runner';

export interface ReadApiOptions {
  /** Result cache lifetime of aggregate queries in ms (default TDB_API_CACHE_MS, 500; 0: coalescing only). */
  queryCacheTtlMs?: number;
}

export const readApi: FastifyPluginAsync<ReadApiOptions> = async (app, opts) => {
  useApiErrors(app, { notFound: true });
  const date =
    (field: string): QueryValueCheck =>
    (raw) =>
      parseDay(field, String(raw));
  app.addHook(
    'preValidation',
    checkQuery({
      ...Object.fromEntries(
        FILTER_NAMES.map((n): [string, QueryValueCheck] => [
          n,
          (raw) => parseFilter(n, raw, app.ctx.territoires),
        ]),
      ),
      date: date('date'),
      from: date('from'),
      to: date('to'),
    }),
  );
  const runner = createQueryRunner(app.ctx.clickhouse, {
    ttlMs: opts.queryCacheTtlMs ?? app.ctx.config.TDB_API_CACHE_MS,
    observe: (kind, seconds) => app.metrics?.clickhouseQuery.observe({ kind }, seconds),
  });
  await app.register(indicateursRoutes, { runner });
  await app.register(apprenantsRoutes, { runner });
  await app.register(organismesRoutes, { runner });
  await app.register(suiviRoutes, { runner });
  await app.register(territoireRoutes, { runner });
};
