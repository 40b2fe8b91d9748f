/**
 * The `type_cfa` dimension end to end (SIFA "type de CFA", v3 field type_cfa, "01"–"10"): learner
 * records with different types, sent by an ERP over POST /api/v3/dossiers-apprenants, go through
 * the connectors pipeline, the change topic and the stream processor into ClickHouse, and the
 * read API counts them by type (group-by /indicateurs/par/type_cfa, with the SIFA labels; filter
 * of /indicateurs and /indicateurs/series) exactly as the status engine counts the same records.
 * A value outside the nomenclature is a 400 naming type_cfa.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { signToken } from '../../api/auth/tokens';
import { redisApiKeyStore } from '../../connectors/http/api-keys';
import { generateDossiers, type DossierV3 } from '../../connectors/simulation/dossiers';
import { startProcessor, type ProcessorHandle } from '../../streams/processor/run';
import { counterAt, dayFromIso, dossierDatesFromV3, parcoursFromV3 } from '../../streams/status';
import { createTestPlatform, eventually, type TestPlatform } from '../support/platform';

jest.setTimeout(120_000);

const TODAY = '2025-03-15';

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let processor: ProcessorHandle;
let admin: string;

type Counts = {
  apprenants: number;
  apprentis: number;
  inscrits: number;
  rupturants: number;
  abandons: number;
};
const FIELDS = ['apprenants', 'apprentis', 'inscrits', 'rupturants', 'abandons'] as const;
const countsOf = (b: Record<string, unknown>) => Object.fromEntries(FIELDS.map((f) => [f, b[f]])) as Counts;

/** The type sent for record i: none for one in eleven, else "01"…"10", as text or as a number. */
function typeSent(i: number): string | number | undefined {
  const n = i % 11;
  if (n === 0) return undefined;
  return i % 2 === 0 ? n : String(n).padStart(2, '0');
}
/** The code the platform must count it under ('' when none was sent). */
const codeOf = (i: number) => (typeSent(i) === undefined ? '' : String(i % 11).padStart(2, '0'));

let records: DossierV3[];

/** The status engine's counters at `day` over the records whose type is `code` (all when undefined). */
function expected(day: number, code?: string): Counts {
  const c: Counts = { apprenants: 0, apprentis: 0, inscrits: 0, rupturants: 0, abandons: 0 };
  records.forEach((r, i) => {
    if (code !== undefined && codeOf(i) !== code) return;
    const k = counterAt(dossierDatesFromV3(r).dates, parcoursFromV3(r).parcours, day);
    if (!k) return;
    c[k.counter]++;
    if (k.apprenants) c.apprenants++;
  });
  return c;
}

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(base + path, { headers: { authorization: `Bearer ${admin}` } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  // Generated organisations (valid UAI and SIRET: reliable); no referential file needed.
  platform = await createTestPlatform({ TDB_CLOCK: TODAY, TDB_PROCESSOR_TICK_MS: '500' });
  const { ctx } = platform;
  processor = await startProcessor(ctx);
  app = await buildApp(ctx, { logger: false, queryCacheTtlMs: 0 });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  admin = signToken(
    ctx.secrets.tokenSecret,
    { role: 'admin', scope: [], sub: 'type-cfa' },
    ctx.territoires,
    ctx.clock.now(),
  );
  const organisme = ctx.organismes.all.find((o) => o.nature !== 'responsable')!;
  records = [
    ...generateDossiers({
      count: 330,
      organismes: ctx.organismes,
      territoires: ctx.territoires,
      today: dayFromIso(TODAY),
      seed: 23,
      messyShare: 0,
    }),
  ].map((d, i) => {
    const r: DossierV3 = {
      ...d,
      id_erp_apprenant: `TCFA-${i}`,
      etablissement_responsable_uai: organisme.uai,
      etablissement_responsable_siret: organisme.siret,
      etablissement_formateur_uai: organisme.uai,
      etablissement_formateur_siret: organisme.siret,
    };
    delete r.type_cfa;
    const t = typeSent(i);
    if (t !== undefined) r.type_cfa = t;
    return r;
  });
  const { key } = await redisApiKeyStore(ctx.redis, ctx.keys.apiKeys).create({
    uai: organisme.uai,
    siret: organisme.siret,
    erp: 'test',
    now: ctx.clock.now(),
  });
  const res = await fetch(`${base}/api/v3/dossiers-apprenants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(records),
  });
  expect(res.status).toBe(200);
  const reply = (await res.json()) as { data: { validation_errors?: unknown[] }[] };
  expect(reply.data.filter((d) => (d.validation_errors ?? []).length > 0)).toEqual([]);
  const want = expected(dayFromIso(TODAY));
  expect(want.apprenants).toBeGreaterThan(100);
  await eventually(
    async () => countsOf((await get(`/api/v1/indicateurs?date=${TODAY}`)).body),
    (v) => JSON.stringify(v) === JSON.stringify(want),
    60_000,
    250,
  );
});

afterAll(async () => {
  await processor?.stop();
  await app?.close();
  await platform?.cleanup();
});

test('GET /indicateurs/par/type_cfa: one line per type with its SIFA label, counts as the status engine', async () => {
  for (const date of ['2024-11-01', TODAY]) {
    const { status, body } = await get(`/api/v1/indicateurs/par/type_cfa?date=${date}`);
    expect(status).toBe(200);
    const lignes = body.lignes as (Counts & { code: string | null; libelle: string | null })[];
    const want = new Map<string, Counts>();
    for (let n = 0; n <= 10; n++) {
      const code = n === 0 ? '' : String(n).padStart(2, '0');
      const c = expected(dayFromIso(date), code);
      if (c.apprenants !== 0 || c.abandons !== 0) want.set(code, c);
    }
    expect(want.size).toBeGreaterThan(8);
    expect(new Map(lignes.map((l) => [l.code ?? '', countsOf(l)]))).toEqual(want);
    expect(countsOf(body.total as Record<string, unknown>)).toEqual(expected(dayFromIso(date)));
    const libelles = new Map(lignes.map((l) => [l.code, l.libelle]));
    expect(libelles.get('01')).toBe('CFA public (éducation nationale)');
    expect(libelles.get('03')).toBe('CFA public agricole');
    expect(libelles.get('08')).toBe('CFA d’entreprise');
    expect(libelles.get('10')).toBe('Autre CFA privé');
    expect(libelles.get(null)).toBeNull();
  }
});

test('filter type_cfa of /indicateurs and /indicateurs/series', async () => {
  for (const code of ['03', '08']) {
    const { body } = await get(`/api/v1/indicateurs?date=${TODAY}&type_cfa=${code}`);
    const want = expected(dayFromIso(TODAY), code);
    expect(want.apprenants).toBeGreaterThan(0);
    expect(countsOf(body)).toEqual(want);
  }
  const { body } = await get('/api/v1/indicateurs/series?from=2024-09-15&to=2025-03-15&pas=mois&type_cfa=05');
  const points = body.points as (Counts & { date: string })[];
  expect(points).toHaveLength(7);
  for (const p of points) expect(countsOf(p)).toEqual(expected(dayFromIso(p.date), '05'));
});

test('a type outside the SIFA nomenclature is a 400 naming type_cfa', async () => {
  for (const bad of ['11', '00', '3', 'CFA']) {
    const { status, body } = await get(`/api/v1/indicateurs?type_cfa=${bad}`);
    expect([status, body.champ]).toEqual([400, 'type_cfa']);
    expect(body.message).toBe(
      `type_cfa : type de CFA inconnu (reçu : « ${bad} ») ; attendu : 01, 02, 03, 04, 05, 06, 07, 08, 09, 10 (nomenclature SIFA)`,
    );
  }
  const national = await get('/api/v1/indicateurs/national?type_cfa=03');
  expect([national.status, national.body.champ, national.body.code]).toEqual([
    400,
    'type_cfa',
    'FILTRE_NON_ACCEPTE',
  ]);
});
