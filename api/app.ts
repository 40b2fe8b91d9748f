/**
 * The HTTP application: built by `buildApp(ctx)` without listening (tests call `app.inject()`),
 * served by api/server.ts. Every route family is a Fastify plugin registered here: the ingestion
 * routes of the connectors (data in) and the read routes of the API (data out).
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Context } from '../infra/context';
import { healthRoutes } from './routes/health';
import { authPlugin } from './auth/plugin';
import { authFailuresPlugin } from './plugins/auth-failures';
import { clientErrorHandler, frameworkErrors } from './errors';
import { registerDocs } from './plugins/docs';
import { installJsonBodyParser } from './plugins/json-body';
import { metricsPlugin } from './plugins/metrics';
import { readApi } from './read-api';
import { connectorRoutes } from '../connectors/http';
import { missionsLocalesRoutes } from './missions-locales/routes';
import { dashboardPlugin } from './dashboard/plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The process' clients and referentials (infra/context.ts). */
    ctx: Context;
  }
}

export interface BuildAppOptions {
  /** Fastify's logger: true (pino JSON on stderr, the default) or false (tests). */
  logger?: boolean;
  /** Result cache lifetime of the read API's aggregate queries in ms (default TDB_API_CACHE_MS; 0: coalescing only). */
  queryCacheTtlMs?: number;
}

export async function buildApp(ctx: Context, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger === false ? false : { level: ctx.config.LOG_LEVEL },
    // ERP batches are up to 2,000 records of ~2 KB: 16 MB leaves room, larger is refused (413).
    bodyLimit: 16 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
    // Errors raised before any route or request exists, in the API's error shape (api/errors.ts).
    frameworkErrors,
    clientErrorHandler,
    // Request ids unique across processes and restarts: they are quoted in 500 answers and written
    // to the access log of nominative reads.
    genReqId: () => randomUUID(),
  });
  app.decorate('ctx', ctx);
  // Every body of this API is JSON (or a multipart upload): Fastify's default text/plain parser
  // would hand a string to the routes, turning a wrong Content-Type into a misleading 400.
  app.removeContentTypeParser('text/plain');
  // JSON bodies are strict UTF-8 (an undecodable byte is refused, never stored as U+FFFD).
  installJsonBodyParser(app);
  // OpenAPI first (it documents the routes registered after it), then the shared auth and metrics.
  await registerDocs(app);
  await app.register(metricsPlugin);
  await app.register(authPlugin);
  // Before every route family: failed authentications are limited per address on all of them.
  await app.register(authFailuresPlugin);
  await app.register(healthRoutes);
  await app.register(readApi, { prefix: '/api/v1', queryCacheTtlMs: opts.queryCacheTtlMs });
  await app.register(connectorRoutes);
  await app.register(missionsLocalesRoutes, { prefix: '/api/v1' });
  // The web pages (api/dashboard), built from the same process' read API.
  await app.register(dashboardPlugin);
  return app;
}
