/**
 * The foundation's promise, end to end on the real services (Kafka, schema registry, ClickHouse,
 * Redis), in an isolated namespace: learner records pushed over HTTP by an ERP
 * (POST /api/v3/dossiers-apprenants, its organisation's API key) go through the connectors
 * pipeline, the change topic and `tdb processor run` (a child process) into ClickHouse facts, and
 * are counted by GET /api/v1/indicateurs within seconds, exactly as the status engine counts the
 * same records. In the same batch, an invalid item gets a per-item error naming its field while
 * the valid ones are accepted.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { signToken } from '../../api/auth/tokens';
import { redisApiKeyStore } from '../../connectors/http/api-keys';
import { generateDossiers, type DossierV3 } from '../../connectors/simulation/dossiers';
import { counterAt, dayFromIso, dossierDatesFromV3, parcoursFromV3 } from '../../streams/status';
import {
  createTestPlatform,
  eventually,
  ORGANISMES_CSV,
  ZONES_EMPLOI_CSV,
  type TestPlatform,
} from '../support/platform';
import { allJoined, spawnTdb, type TdbProcess } from '../support/tdb-process';

jest.setTimeout(120_000);

const TODAY = '2026-11-29';

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let processor: TdbProcess;

beforeAll(async () => {
  const env = {
    TDB_CLOCK: TODAY,
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
    TDB_ZONES_EMPLOI_CSV: ZONES_EMPLOI_CSV,
  };
  platform = await createTestPlatform(env);
  processor = spawnTdb('processor', ['processor', 'run'], {
    ...env,
    TDB_NAMESPACE: platform.config.TDB_NAMESPACE,
  });
  await allJoined([processor]);
  app = await buildApp(platform.ctx, { logger: false, queryCacheTtlMs: 0 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  processor?.child.kill('SIGTERM');
  await processor?.exited;
  await app?.close();
  await platform?.cleanup();
});

type Counts = {
  apprenants: number;
  apprentis: number;
  inscrits: number;
  rupturants: number;
  abandons: number;
};

/** What the status engine says of the same records at `day` (status-rules.md, "Counting"). */
function expected(records: DossierV3[], day: number): Counts {
  const c: Counts = { apprenants: 0, apprentis: 0, inscrits: 0, rupturants: 0, abandons: 0 };
  for (const r of records) {
    const k = counterAt(dossierDatesFromV3(r).dates, parcoursFromV3(r).parcours, day);
    if (!k) continue;
    c[k.counter]++;
    if (k.apprenants) c.apprenants++;
  }
  return c;
}

test('records pushed by an ERP are counted by the API within seconds, as the status engine counts them; an invalid item is refused alone', async () => {
  const { ctx } = platform;
  const today = dayFromIso(TODAY);
  // 300 learners of one real training organisation of the referential.
  const organisme = ctx.organismes.all.find((o) => o.uai === '0010070W')!;
  const records = [
    ...generateDossiers({
      count: 300,
      organismes: ctx.organismes,
      territoires: ctx.territoires,
      today,
      seed: 7,
      messyShare: 0.2,
    }),
  ].map((d, i) => ({
    ...d,
    id_erp_apprenant: `E2E-${i}`,
    etablissement_responsable_uai: organisme.uai,
    etablissement_responsable_siret: organisme.siret,
    etablissement_formateur_uai: organisme.uai,
    etablissement_formateur_siret: organisme.siret,
  }));
  const invalid = {
    ...records[0],
    id_erp_apprenant: 'E2E-INVALIDE',
    date_fin_formation: '2020-01-01',
    etablissement_formateur_uai: '0010070X',
  };
  const { key } = await redisApiKeyStore(ctx.redis, ctx.keys.apiKeys).create({
    uai: organisme.uai,
    siret: organisme.siret,
    erp: 'test',
    now: ctx.clock.now(),
  });

  const pushedAt = Date.now();
  const res = await fetch(`${base}/api/v3/dossiers-apprenants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify([...records.slice(0, 150), invalid, ...records.slice(150)]),
  });
  expect(res.status).toBe(200);
  const reply = (await res.json()) as {
    status: string;
    message: string;
    detail?: string;
    data: { validation_errors?: { path: string; message: string }[] }[];
  };
  expect(reply).toMatchObject({ status: 'OK', message: 'Queued', detail: 'Some data are invalid' });
  expect(reply.data).toHaveLength(301);
  const refused = reply.data
    .map((d, i) => ((d.validation_errors ?? []).length > 0 ? i : -1))
    .filter((i) => i >= 0);
  expect(refused).toEqual([150]);
  const fields = reply.data[150]!.validation_errors!.map((e) => e.path);
  expect(fields).toEqual(expect.arrayContaining(['etablissement_formateur_uai']));

  // Counted by the API (admin: exact counts, no statistical secrecy), at today and at a past date.
  const admin = signToken(
    ctx.secrets.tokenSecret,
    { role: 'admin', scope: [], sub: 'e2e' },
    ctx.territoires,
    ctx.clock.now(),
  );
  const indicateurs = async (date: string): Promise<Counts> => {
    const r = await fetch(`${base}/api/v1/indicateurs?date=${date}&uai=${organisme.uai}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const body = (await r.json()) as Counts;
    return {
      apprenants: body.apprenants,
      apprentis: body.apprentis,
      inscrits: body.inscrits,
      rupturants: body.rupturants,
      abandons: body.abandons,
    };
  };
  const want = expected(records, today);
  expect(want.apprenants).toBeGreaterThan(100);
  await eventually(
    () => indicateurs(TODAY),
    (v) => JSON.stringify(v) === JSON.stringify(want),
    30_000,
    200,
  );
  const seconds = (Date.now() - pushedAt) / 1000;
  process.stderr.write(
    `e2e foundation: 300 records pushed → counted by the API in ${seconds.toFixed(2)} s\n`,
  );
  expect(seconds).toBeLessThan(30);
  expect(await indicateurs('2026-01-15')).toEqual(expected(records, dayFromIso('2026-01-15')));
});
