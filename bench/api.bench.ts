/**
 * Benchmark of the read API (not a test): `npm run bench:api [-- --learners 100000]`.
 *
 * 1. Facts for N learners (default 1,000,000) are generated with connectors/simulation, the status
 *    engine and the fact builders of streams/facts, and written in big blocks to ClickHouse (bench
 *    namespace `bench_api`: effectifs_deltas, and effectifs_territoire through its materialised
 *    view) and to PostgreSQL (a plain table with the same delta rows, indexed). Data already loaded
 *    with the same N is reused (--reload to rebuild).
 * 2. The in-process Fastify server is loaded with autocannon at 100 connections (the load tool runs
 *    in the same process, on the same 2 cores) for the main endpoints: single indicator, group-by
 *    département, monthly series over two years, each in two scenarios:
 *    - "dashboard": the same URL from every client (the API's request coalescing and 2 s result
 *      cache answer most requests: what a dashboard opened by many users costs);
 *    - "distinct, no cache": the result cache off and every request a different date (or period),
 *      so most requests reach ClickHouse: the raw capacity.
 *    Rounds of `--duration` seconds; medians of p50, p99 and requests/s over `--rounds` rounds.
 * 3. The same three aggregates answered directly, one query at a time (no HTTP, no cache), by
 *    ClickHouse through the API's own SQL (pre-aggregate where it applies), by ClickHouse on the
 *    plain delta table, and by PostgreSQL on its plain indexed table with equivalent SQL (and the
 *    same running sums in Node for the series): medians over `--rounds` × 3 runs, and the ratios.
 *    PostgreSQL is measured sequentially: 100 concurrent full scans on 2 cores would only measure
 *    queueing.
 *
 * Targets (issue 6): p99 < 50 ms for single indicators, < 150 ms for group-bys and series (at 100
 * clients); ClickHouse ≥ 10× faster than PostgreSQL on series.
 * Options: --learners N, --duration S (default 5), --rounds R (default 3), --connections C
 * (default 100), --reload, --no-pg. PostgreSQL: PGHOST/PGPORT/PGUSER/PGDATABASE (default
 * 127.0.0.1:5432, user postgres, database test); when it is not reachable, the benchmark says so
 * and skips the baseline.
 */
import autocannon from 'autocannon';
import { Command } from 'commander';
import { Client } from 'pg';
import { buildApp } from '../api/app';
import { countAtSql, countByAtSql, seriesSql } from '../api/indicateurs/queries';
import { countsOf, stepsOf, addStatus, zeroCounts } from '../api/indicateurs/service';
import { migrate } from '../infra/clickhouse/migrate';
import { loadConfig } from '../infra/config';
import { createContext, type Context } from '../infra/context';
import { consoleProgress } from '../infra/services/progress';
import { generateDossiers } from '../connectors/simulation/dossiers';
import { deltaRows, type DeltaRow } from '../streams/facts/rows';
import { dayFromIso, isoFromDay, type Statut } from '../streams/status';
import { contributionOf, learnerOf } from '../test/api/support/facts';
import { referentials } from '../test/support/platform';

const program = new Command('bench:api')
  .option('--learners <n>', 'learners to generate', '1000000')
  .option('--duration <s>', 'seconds per autocannon round', '5')
  .option('--rounds <n>', 'rounds per measure (medians)', '3')
  .option('--connections <n>', 'concurrent HTTP clients', '100')
  .option('--reload', 'regenerate the data even if already loaded')
  .option('--no-pg', 'skip the PostgreSQL baseline')
  .parse();
const opts = program.opts<{
  learners: string;
  duration: string;
  rounds: string;
  connections: string;
  reload?: boolean;
  pg: boolean;
}>();
const LEARNERS = Number(opts.learners);
const DURATION = Number(opts.duration);
const ROUNDS = Number(opts.rounds);
const CONNECTIONS = Number(opts.connections);
const TODAY = '2025-03-15';
const SERIES_FROM = '2023-03-15';
const PG_TABLE = 'tdb_bench_effectifs_deltas';
const progress = consoleProgress();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

// ---------------------------------------------------------------------------------------------
// Data

const PG_COLUMNS = [
  ['jour', 'date'],
  ['statut', 'text'],
  ['delta', 'smallint'],
  ['region', 'text'],
  ['departement', 'text'],
  ['academie', 'text'],
  ['zone_emploi', 'text'],
  ['organisme_uai', 'text'],
  ['formation_cfd', 'text'],
  ['niveau', 'text'],
  ['tranche_age', 'text'],
  ['sexe', 'text'],
  ['fiable', 'smallint'],
  ['apprentissage', 'smallint'],
] as const;

async function connectPg(): Promise<Client | null> {
  if (!opts.pg) return null;
  const client = new Client({
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    database: process.env.PGDATABASE ?? 'test',
    password: process.env.PGPASSWORD,
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    return client;
  } catch (err) {
    progress.warn(
      `PostgreSQL is not reachable at ${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? 5432} (${err instanceof Error ? err.message : String(err)}): ` +
        'the PostgreSQL baseline is skipped (set PGHOST/PGPORT/PGUSER/PGDATABASE, or install and start PostgreSQL, to compare)',
    );
    return null;
  }
}

async function loadedCounts(
  ctx: Context,
  pg: Client | null,
): Promise<{ ch: number; pg: number | null; learners: number }> {
  const db = ctx.clickhouse.database;
  const exists = await ctx.clickhouse.query<{ n: string }>(
    `SELECT count() AS n FROM system.tables WHERE database = '${db}' AND name = 'effectifs_deltas'`,
  );
  if (Number(exists[0]!.n) === 0) return { ch: 0, pg: null, learners: 0 };
  const [row] = await ctx.clickhouse.query<{ n: string; l: string }>(
    `SELECT count() AS n, uniqExact(record_key) AS l FROM ${db}.effectifs_deltas`,
  );
  let pgRows: number | null = null;
  if (pg) {
    const t = await pg.query(`SELECT to_regclass('${PG_TABLE}') IS NOT NULL AS e`);
    if (t.rows[0].e) pgRows = Number((await pg.query(`SELECT count(*) AS n FROM ${PG_TABLE}`)).rows[0].n);
  }
  return { ch: Number(row!.n), pg: pgRows, learners: Number(row!.l) };
}

async function pgInsert(pg: Client, rows: DeltaRow[]): Promise<void> {
  const arrays = PG_COLUMNS.map(([c]) => rows.map((r) => (r as unknown as Record<string, unknown>)[c]));
  const unnest = PG_COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ');
  await pg.query(
    `INSERT INTO ${PG_TABLE} (${PG_COLUMNS.map(([c]) => c).join(', ')}) SELECT * FROM unnest(${unnest})`,
    arrays,
  );
}

async function load(ctx: Context, pg: Client | null, reload: boolean): Promise<void> {
  const ch = ctx.clickhouse;
  const have = await loadedCounts(ctx, pg);
  const chOk = !reload && have.learners === LEARNERS && have.ch > 0;
  const pgOk = !pg || (!reload && chOk && have.pg === have.ch);
  if (chOk && pgOk) {
    progress.ok(
      `data already loaded: ${LEARNERS.toLocaleString('fr-FR')} learners, ${have.ch.toLocaleString('fr-FR')} delta rows (--reload to rebuild)`,
    );
    return;
  }
  const loadCh = !chOk;
  if (loadCh) {
    await ch.command(`DROP DATABASE IF EXISTS ${ch.database}`);
    await migrate(ch, progress);
  }
  if (pg) {
    await pg.query(`DROP TABLE IF EXISTS ${PG_TABLE}`);
    await pg.query(
      `CREATE UNLOGGED TABLE ${PG_TABLE} (${PG_COLUMNS.map(([c, t]) => `${c} ${t} NOT NULL`).join(', ')})`,
    );
  }
  progress.step(
    `generating ${LEARNERS.toLocaleString('fr-FR')} learners → ${loadCh ? 'ClickHouse' : ''}${loadCh && pg ? ' + ' : ''}${pg ? 'PostgreSQL' : ''}`,
  );
  const refs = { territoires: ctx.territoires, organismes: ctx.organismes };
  let block: DeltaRow[] = [];
  let total = 0;
  let done = 0;
  const flush = async () => {
    if (block.length === 0) return;
    await Promise.all([
      loadCh ? ch.insert('effectifs_deltas', block) : undefined,
      pg ? pgInsert(pg, block) : undefined,
    ]);
    total += block.length;
    block = [];
  };
  for (const v3 of generateDossiers({
    count: LEARNERS,
    organismes: ctx.organismes,
    territoires: ctx.territoires,
    today: dayFromIso(TODAY),
    seed: 2025,
    messyShare: 0,
  })) {
    const l = learnerOf(v3, refs);
    for (const r of deltaRows(l.recordKey, 1, 'bench', null, contributionOf(l))) block.push(r);
    if (block.length >= 300_000) await flush();
    progress.count('learners', ++done, LEARNERS);
  }
  await flush();
  progress.ok(`${total.toLocaleString('fr-FR')} delta rows written`);
  if (pg) {
    progress.step('PostgreSQL: indexes and ANALYZE');
    await pg.query(`CREATE INDEX ON ${PG_TABLE} (jour)`);
    await pg.query(`CREATE INDEX ON ${PG_TABLE} (statut, jour)`);
    await pg.query(`CREATE INDEX ON ${PG_TABLE} (departement, jour)`);
    await pg.query(`CREATE INDEX ON ${PG_TABLE} (region, jour)`);
    await pg.query(`CREATE INDEX ON ${PG_TABLE} (organisme_uai, jour)`);
    await pg.query(`ANALYZE ${PG_TABLE}`);
    progress.ok('PostgreSQL ready');
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP load

interface LoadResult {
  p50: number;
  p99: number;
  rps: number;
  errors: number;
}

async function cannon(base: string, paths: string[]): Promise<LoadResult> {
  let i = 0;
  const r = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }) }],
  });
  return {
    p50: r.latency.p50,
    p99: r.latency.p99,
    rps: r.requests.average,
    errors: r.non2xx + r.errors + r.timeouts,
  };
}

async function measureHttp(base: string, paths: string[]): Promise<LoadResult> {
  await cannon(base, paths.slice(0, 20)); // warm-up (JIT, ClickHouse caches)
  const rounds: LoadResult[] = [];
  for (let k = 0; k < ROUNDS; k++) rounds.push(await cannon(base, paths));
  return {
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    rps: median(rounds.map((r) => r.rps)),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Direct queries

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const xs: number[] = [];
  for (let k = 0; k < ROUNDS * 3; k++) {
    const t0 = process.hrtime.bigint();
    await fn();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(xs);
}

const COUNTED = 'fiable = 1 AND apprentissage = 1';

/** Running sums at the monthly steps, the same as the API does (api/indicateurs/service.ts series). */
function cumulate(rows: { statut: Statut; j: string; n: number | string }[], from: string, to: string) {
  const deltas = rows
    .map((r) => ({ day: dayFromIso(String(r.j).slice(0, 10)), statut: r.statut, n: Number(r.n) }))
    .sort((a, b) => a.day - b.day);
  const running = zeroCounts();
  const out = [];
  let i = 0;
  for (const step of stepsOf(dayFromIso(from), dayFromIso(to), 'mois')) {
    while (i < deltas.length && deltas[i]!.day <= step) addStatus(running, deltas[i]!.statut, deltas[i++]!.n);
    out.push({ ...running });
  }
  return out;
}

async function main(): Promise<void> {
  const config = loadConfig({
    ...process.env,
    TDB_NAMESPACE: process.env.BENCH_NAMESPACE ?? 'bench_api',
    TDB_CLOCK: TODAY,
    LOG_LEVEL: 'warn',
    ...referentials(),
  });
  const ctx = createContext(config, 'bench');
  if (!(await ctx.clickhouse.ping().catch(() => false))) {
    throw new Error(
      `ClickHouse is not reachable at ${config.clickhouseUrl}: start the services (node bin/tdb.js services start)`,
    );
  }
  const pg = await connectPg();
  await load(ctx, pg, Boolean(opts.reload));
  const db = ctx.clickhouse.database;
  const [{ n: deltaRowsCount }] = (await ctx.clickhouse.query<{ n: string }>(
    `SELECT count() AS n FROM ${db}.effectifs_deltas`,
  )) as [{ n: string }];
  const [{ n: territoireRows }] = (await ctx.clickhouse.query<{ n: string }>(
    `SELECT count() AS n FROM ${db}.effectifs_territoire`,
  )) as [{ n: string }];

  // The three endpoints, identical and distinct.
  const days = Array.from({ length: 365 }, (_, k) => isoFromDay(dayFromIso(TODAY) - k));
  const endpoints = [
    {
      name: 'single indicator',
      target: 50,
      same: ['/api/v1/indicateurs'],
      distinct: days.map((d) => `/api/v1/indicateurs?date=${d}`),
    },
    {
      name: 'group-by département',
      target: 150,
      same: ['/api/v1/indicateurs/par/departement'],
      distinct: days.map((d) => `/api/v1/indicateurs/par/departement?date=${d}`),
    },
    {
      name: 'series monthly, 2 years',
      target: 150,
      same: [`/api/v1/indicateurs/series?from=${SERIES_FROM}&to=${TODAY}&pas=mois`],
      distinct: days.map(
        (d) => `/api/v1/indicateurs/series?from=${isoFromDay(dayFromIso(d) - 730)}&to=${d}&pas=mois`,
      ),
    },
  ];

  const results: Record<string, { same: LoadResult; distinct: LoadResult }> = {};
  const cached = await buildApp(ctx, { logger: false });
  const uncached = await buildApp(ctx, { logger: false, queryCacheTtlMs: 0 });
  const baseCached = await cached.listen({ host: '127.0.0.1', port: 0 });
  const baseUncached = await uncached.listen({ host: '127.0.0.1', port: 0 });
  try {
    for (const e of endpoints) {
      progress.step(
        `HTTP ${e.name}: ${CONNECTIONS} connections, ${ROUNDS} × ${DURATION} s, dashboard then distinct`,
      );
      const same = await measureHttp(baseCached, e.same);
      const distinct = await measureHttp(baseUncached, e.distinct);
      results[e.name] = { same, distinct };
    }
  } finally {
    await cached.close();
    await uncached.close();
  }

  // Direct queries, one at a time.
  progress.step('direct queries: ClickHouse (API SQL, plain table) and PostgreSQL');
  const sel = { filters: {}, scope: null };
  const chApi = {
    single: () =>
      ctx.clickhouse.query<{ statut: Statut; n: string }>(countAtSql(db, TODAY, sel).text).then(countsOf),
    groupBy: () => ctx.clickhouse.query(countByAtSql(db, TODAY, 'departement', sel).text),
    series: () =>
      ctx.clickhouse
        .query<{ statut: Statut; j: string; n: string }>(seriesSql(db, SERIES_FROM, TODAY, sel).text)
        .then((r) => cumulate(r, SERIES_FROM, TODAY)),
  };
  const chPlain = {
    single: () =>
      ctx.clickhouse.query(
        `SELECT statut, sum(delta) AS n FROM ${db}.effectifs_deltas WHERE jour <= toDate('${TODAY}') AND ${COUNTED} GROUP BY statut`,
      ),
    groupBy: () =>
      ctx.clickhouse.query(
        `SELECT departement AS code, statut, sum(delta) AS n FROM ${db}.effectifs_deltas WHERE jour <= toDate('${TODAY}') AND ${COUNTED} GROUP BY code, statut HAVING n != 0`,
      ),
    series: () =>
      ctx.clickhouse
        .query<{ statut: Statut; j: string; n: string }>(
          `SELECT statut, toString(greatest(jour, toDate('${SERIES_FROM}'))) AS j, sum(delta) AS n FROM ${db}.effectifs_deltas WHERE jour <= toDate('${TODAY}') AND ${COUNTED} GROUP BY statut, j HAVING n != 0`,
        )
        .then((r) => cumulate(r, SERIES_FROM, TODAY)),
  };
  const pgQ = pg
    ? {
        single: () =>
          pg.query(
            `SELECT statut, sum(delta) AS n FROM ${PG_TABLE} WHERE jour <= $1 AND ${COUNTED} GROUP BY statut`,
            [TODAY],
          ),
        groupBy: () =>
          pg.query(
            `SELECT departement AS code, statut, sum(delta) AS n FROM ${PG_TABLE} WHERE jour <= $1 AND ${COUNTED} GROUP BY 1, 2 HAVING sum(delta) <> 0`,
            [TODAY],
          ),
        series: () =>
          pg
            .query(
              `SELECT statut, greatest(jour, $1::date)::text AS j, sum(delta) AS n FROM ${PG_TABLE} WHERE jour <= $2 AND ${COUNTED} GROUP BY 1, 2 HAVING sum(delta) <> 0`,
              [SERIES_FROM, TODAY],
            )
            .then((r) => cumulate(r.rows, SERIES_FROM, TODAY)),
      }
    : null;
  // The same answers, or the comparison means nothing.
  const a = await chApi.series();
  const b = await chPlain.series();
  if (JSON.stringify(a) !== JSON.stringify(b))
    throw new Error('ClickHouse pre-aggregate and plain table disagree on the series');
  if (pgQ && JSON.stringify(await pgQ.series()) !== JSON.stringify(a))
    throw new Error('PostgreSQL and ClickHouse disagree on the series');
  const direct: Record<string, { chApi: number; chPlain: number; pg: number | null }> = {};
  for (const [k, label] of [
    ['single', 'single indicator'],
    ['groupBy', 'group-by département'],
    ['series', 'series monthly, 2 years'],
  ] as const) {
    direct[label] = {
      chApi: await timeIt(chApi[k]),
      chPlain: await timeIt(chPlain[k]),
      pg: pgQ ? await timeIt(pgQ[k]) : null,
    };
  }

  // Report.
  const out: string[] = [];
  out.push('');
  out.push(
    `Read API benchmark — ${LEARNERS.toLocaleString('en-US')} learners, ${Number(deltaRowsCount).toLocaleString('en-US')} delta rows (effectifs_territoire: ${Number(territoireRows).toLocaleString('en-US')} rows), date ${TODAY}`,
  );
  out.push(
    `HTTP: autocannon in process, ${CONNECTIONS} connections, medians of ${ROUNDS} rounds of ${DURATION} s`,
  );
  out.push('');
  out.push('endpoint                  scenario              p50 ms   p99 ms    req/s  errors  target p99');
  for (const e of endpoints) {
    for (const [scenario, r] of [
      ['dashboard (same URL)', results[e.name]!.same],
      ['distinct, no cache', results[e.name]!.distinct],
    ] as const) {
      const ok = r.p99 < e.target ? 'met' : 'NOT met';
      out.push(
        `${e.name.padEnd(26)}${scenario.padEnd(21)}${ms(r.p50).padStart(7)}${ms(r.p99).padStart(9)}${r.rps.toFixed(0).padStart(9)}${String(r.errors).padStart(8)}  < ${e.target} ms: ${ok}`,
      );
    }
  }
  out.push('');
  out.push(
    `Direct queries, one at a time (median of ${ROUNDS * 3} runs, ms; series includes the running sums in Node):`,
  );
  out.push(
    'aggregate                 CH (API SQL)  CH plain table  PostgreSQL  PG / CH(API)  PG / CH(plain)',
  );
  for (const [label, d] of Object.entries(direct)) {
    const r1 = d.pg !== null ? `${(d.pg / d.chApi).toFixed(1)}×` : 'n/a';
    const r2 = d.pg !== null ? `${(d.pg / d.chPlain).toFixed(1)}×` : 'n/a';
    out.push(
      `${label.padEnd(26)}${ms(d.chApi).padStart(12)}${ms(d.chPlain).padStart(16)}${(d.pg !== null ? ms(d.pg) : 'skipped').padStart(12)}${r1.padStart(14)}${r2.padStart(16)}`,
    );
  }
  const s = direct['series monthly, 2 years']!;
  if (s.pg !== null) {
    out.push('');
    out.push(
      `Series: ClickHouse ${(s.pg / s.chApi).toFixed(1)}× faster than PostgreSQL (API SQL), ${(s.pg / s.chPlain).toFixed(1)}× on the same plain table: target ≥ 10×: ${s.pg / s.chApi >= 10 ? 'met' : 'NOT met'}`,
    );
  } else {
    out.push('');
    out.push('PostgreSQL baseline skipped (not reachable or --no-pg): no ratios.');
  }
  process.stdout.write(out.join('\n') + '\n');
  await pg?.end();
  await ctx.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:api: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
