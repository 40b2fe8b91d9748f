/**
 * GET /healthz: the process is up (no dependency checked).
 * GET /readyz: Kafka, ClickHouse and Redis answer; 503 with the failing ones otherwise.
 */
import type { FastifyPluginAsync } from 'fastify';

const check = async (fn: () => Promise<unknown>) => {
  const t0 = Date.now();
  try {
    await fn();
    return { ok: true, ms: Date.now() - t0 };
  } catch (err) {
    return { ok: false, ms: Date.now() - t0, error: err instanceof Error ? err.message : String(err) };
  }
};

const checkSchema = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, ms: { type: 'number' }, error: { type: 'string' } },
  required: ['ok', 'ms'],
} as const;

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['santé'],
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string', enum: ['ok'] } },
            required: ['status'],
          },
        },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Kafka, ClickHouse and Redis answer',
        tags: ['santé'],
        response: {
          200: {
            type: 'object',
            properties: { kafka: checkSchema, clickhouse: checkSchema, redis: checkSchema },
            required: ['kafka', 'clickhouse', 'redis'],
          },
          503: {
            type: 'object',
            properties: { kafka: checkSchema, clickhouse: checkSchema, redis: checkSchema },
            required: ['kafka', 'clickhouse', 'redis'],
          },
        },
      },
    },
    async (_req, reply) => {
      const { ctx } = app;
      const admin = ctx.kafka.admin();
      const [kafka, clickhouse, redis] = await Promise.all([
        check(async () => {
          await admin.connect();
          try {
            await admin.describeCluster();
          } finally {
            await admin.disconnect();
          }
        }),
        check(async () => {
          if (!(await ctx.clickhouse.ping())) throw new Error('ping failed');
        }),
        check(() => ctx.redis.ping()),
      ]);
      const body = { kafka, clickhouse, redis };
      return reply.code(kafka.ok && clickhouse.ok && redis.ok ? 200 : 503).send(body);
    },
  );
};
