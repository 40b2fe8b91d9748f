/**
 * The application's plumbing: OpenAPI document and its page, Prometheus metrics, health and
 * readiness (the real Kafka, ClickHouse and Redis), JSON schemas on every read route.
 */
import { apiFixture, type ApiFixture } from './support/app';

let fx: ApiFixture;

beforeAll(async () => {
  fx = await apiFixture(50, { seed: 2 });
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

describe('OpenAPI', () => {
  it('documents every read route with its parameters, at /docs/json, with an interactive page at /docs', async () => {
    const doc = (await fx.get('/docs/json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/v1/indicateurs',
      '/api/v1/indicateurs/par/{dimension}',
      '/api/v1/indicateurs/series',
      '/api/v1/indicateurs/national',
      '/api/v1/apprenants',
      '/api/v1/organismes/{uai}/transmission',
      '/healthz',
      '/readyz',
    ]) {
      expect(doc.paths[path]?.get).toBeDefined();
    }
    const params = doc.paths['/api/v1/indicateurs'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(
      expect.arrayContaining([
        'date',
        'region',
        'departement',
        'academie',
        'zone_emploi',
        'uai',
        'siret',
        'cfd',
        'rncp',
        'niveau',
        'domaine',
        'tranche_age',
        'sexe',
        'rqth',
        'type_cfa',
        'format',
      ]),
    );
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const page = await fx.get('/docs/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger');
  });
});

describe('health and metrics', () => {
  it('/healthz and /readyz (Kafka, ClickHouse, Redis checked)', async () => {
    expect((await fx.get('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await fx.get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      kafka: { ok: true },
      clickhouse: { ok: true },
      redis: { ok: true },
    });
  });

  it('/metrics exposes request durations by route and ClickHouse query durations by kind', async () => {
    await fx.get('/api/v1/indicateurs/national');
    await fx.get('/api/v1/indicateurs?departement=zz');
    const text = (await fx.get('/metrics')).body;
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/indicateurs\/national",status_code="200"\} 1/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/indicateurs",status_code="400"\} 1/,
    );
    expect(text).toMatch(/clickhouse_query_duration_seconds_count\{kind="indicateur"\} [1-9]/);
    expect(text).toMatch(/process_cpu_user_seconds_total/);
  });
});
