/**
 * Prometheus metrics (prom-client), one registry per application instance (tests build several):
 * the Node.js process metrics, `http_request_duration_seconds` by method, route pattern and
 * status code, and `clickhouse_query_duration_seconds` by query kind (api/sql/runner.ts).
 * Served at GET /metrics in the Prometheus text format.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry; clickhouseQuery: Histogram<'kind'> };
  }
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const metricsPlugin = fp(
  async (app: FastifyInstance) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const http = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: BUCKETS,
      registers: [registry],
    });
    const clickhouseQuery = new Histogram({
      name: 'clickhouse_query_duration_seconds',
      help: 'ClickHouse query duration of the read API in seconds (cache misses), by query kind',
      labelNames: ['kind'] as const,
      buckets: BUCKETS,
      registers: [registry],
    });
    app.decorate('metrics', { registry, clickhouseQuery });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url;
      if (route === undefined || route === '/metrics') return;
      http.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
    app.get(
      '/metrics',
      { schema: { summary: 'Métriques Prometheus', tags: ['santé'], produces: ['text/plain'] } },
      async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
  },
  { name: 'tdb-metrics' },
);
