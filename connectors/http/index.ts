/**
 * The connectors' HTTP routes (data in), one Fastify plugin registered by api/app.ts:
 * POST /api/v3/dossiers-apprenants (ERP push) and POST /api/v1/televersements (file upload), both
 * authenticated by an organisation's API key and rate-limited per key (Redis counters, so that
 * several API processes share them). The key is checked in an onRequest hook, before the body is
 * read. Every error of these routes comes from the server's catalogue (api/errors.ts, one code per
 * fault across route families) in the ERP contract's shape `{status: "ERROR", code, message}`
 * (this plugin's error handler). The plugin owns its pipeline (idempotent producer), closed with
 * the app.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { createPipeline, type Pipeline } from '../core/pipeline';
import { hashKey, redisApiKeyStore } from './api-keys';
import { bearerToken } from './auth';
import { errorHandler, httpError } from '../../api/errors';
import { dossiersApprenantsRoute } from './dossiers-apprenants';
import { televersementsRoute } from './televersements';

export interface ConnectorRoutesOptions {
  /** A pipeline to use instead of creating one (tests). */
  pipeline?: Pipeline;
}

export async function connectorRoutes(
  app: FastifyInstance,
  opts: ConnectorRoutesOptions = {},
): Promise<void> {
  const ctx = app.ctx;
  const pipeline = opts.pipeline ?? createPipeline(ctx);
  const keys = redisApiKeyStore(ctx.redis, ctx.keys.apiKeys);
  if (!opts.pipeline) app.addHook('onClose', async () => pipeline.close());
  // The ERP shape for every error of these routes (api/errors.ts); this plugin's scope only.
  app.setErrorHandler(errorHandler('erp'));
  // Replies echo the items (names, contacts) or report on them: no cache may keep them (RFC 9111).
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('cache-control', 'no-store');
    return payload;
  });

  await app.register(rateLimit, {
    max: ctx.config.TDB_API_RATE_LIMIT,
    timeWindow: 60_000,
    redis: ctx.redis,
    nameSpace: ctx.keys.rateLimit,
    // Per API key (hashed: the key itself never reaches Redis); requests without one, per address.
    keyGenerator: (request) => {
      const token = bearerToken(request);
      return token ? `key:${hashKey(token)}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      httpError('TROP_DE_REQUETES', [context.max, Math.ceil(context.ttl / 1000)]),
  });
  dossiersApprenantsRoute(app, { pipeline, keys });
  await televersementsRoute(app, { pipeline, keys });
}
