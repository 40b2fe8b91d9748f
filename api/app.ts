/**
 * The HTTP application: built by `buildApp(ctx)` without listening (tests call `app.inject()`),
 * served by api/server.ts. Every route family is a Fastify plugin registered here: the ingestion
 * routes of the connectors (data in) and the read routes of the API (data out).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Context } from '../infra/context';
import { healthRoutes } from './routes/health';

declare module 'fastify' {
  interface FastifyInstance {
    /** The process' clients and referentials (infra/context.ts). */
    ctx: Context;
  }
}

export interface BuildAppOptions {
  /** Fastify's logger: true (pino JSON on stderr, the default) or false (tests). */
  logger?: boolean;
}

export async function buildApp(ctx: Context, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger === false ? false : { level: ctx.config.LOG_LEVEL },
    // ERP batches are up to 2,000 records of ~2 KB: 16 MB leaves room, larger is refused (413).
    bodyLimit: 16 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
    disableRequestLogging: false,
  });
  app.decorate('ctx', ctx);
  await app.register(healthRoutes);
  return app;
}
