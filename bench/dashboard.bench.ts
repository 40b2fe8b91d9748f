/**
 * Benchmark of the dashboard's pages (not a test): `npm run bench:dashboard [-- --learners 100000]`.
 *
 * 1. Data (bench namespace `bench_dash`, bootstrapped: topics, schemas, migrations): facts of N
 *    learners (default 1,000,000) generated as bench/api.bench.ts does (connectors/simulation
 *    records, seed 2025 → status engine → streams/facts delta rows, written to effectifs_deltas and
 *    its pre-aggregate), the nominative facts (dossiers, statut_intervalles) of one training
 *    organisation (the CFA page's), a month of daily batches for every organisation in
 *    `transmissions` (one in ten stopped three weeks ago), 200 items refused through the real
 *    ingestion route (dead-letter topic), 2,000 alerts of one Mission Locale in Redis. Data already
 *    loaded with the same N is reused (--reload to rebuild).
 * 2. Each page (public; public with a région filter; Mission Locale; CFA; operator with an admin
 *    token: every organisation) is opened `--rounds` times in Debian's Chromium (playwright-core,
 *    a new context each time: empty browser cache, as a first visit; signed-in pages get their
 *    token in sessionStorage before loading, so that typing it is not measured), and we read:
 *    - first contentful paint (the browser's `paint` entry);
 *    - numbers shown: when the page first has every main section's answer (`tdb-pret` mark, set
 *      by api/dashboard/src/common/page.ts): the first meaningful paint;
 *    - API calls: requests to /api/ made until the page is complete (late sections included).
 *    Twice: with the read API's result cache off (every query reaches ClickHouse) and with its
 *    default (TDB_API_CACHE_MS). Medians over the rounds; target: numbers shown < 1 s.
 * The uncached query p99 at 100 clients is bench:api's.
 *
 * Options: --learners N, --rounds R (default 5), --reload.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { Page } from 'playwright-core';
import { buildApp } from '../api/app';
import { signToken } from '../api/auth/tokens';
import { buildDashboard } from '../api/dashboard/build';
import { redisApiKeyStore } from '../connectors/http/api-keys';
import { generateDossiers, type DossierV3 } from '../connectors/simulation/dossiers';
import { bootstrapNamespace } from '../infra/bootstrap';
import { loadConfig } from '../infra/config';
import { createContext, type Context } from '../infra/context';
import { deleteNamespaceKeys } from '../infra/redis/client';
import { consoleProgress } from '../infra/services/progress';
import { createAlertStore } from '../streams/alert-inbox/store';
import { deltaRows, type DeltaRow } from '../streams/facts/rows';
import { dayFromIso, isoFromDay } from '../streams/status';
import {
  contributionOf,
  emptyFacts,
  factsOf,
  insertFacts,
  learnerOf,
  appendFacts,
} from '../test/api/support/facts';
import { launchBrowser } from '../test/dashboard/support';
import { makeAlert, PARIS } from '../test/missions-locales/support';

const program = new Command('bench:dashboard')
  .option('--learners <n>', 'learners to generate', '1000000')
  .option('--rounds <n>', 'page loads per measure (medians)', '5')
  .option('--reload', 'regenerate the data even if already loaded')
  .parse();
const opts = program.opts<{ learners: string; rounds: string; reload?: boolean }>();
const LEARNERS = Number(opts.learners);
const ROUNDS = Number(opts.rounds);
const TODAY = '2025-03-15';
const ALERTS = 2000;
const REFUSED = 200;
const progress = consoleProgress();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const records = () =>
  generateDossiers({
    count: LEARNERS,
    organismes: ctxRef!.organismes,
    territoires: ctxRef!.territoires,
    today: dayFromIso(TODAY),
    seed: 2025,
    messyShare: 0,
  });
let ctxRef: Context | undefined;

/** The organisation of the CFA page: the one of the first generated learner. */
function cfaOf(): { uai: string; siret: string } {
  const first = records().next().value as DossierV3;
  return {
    uai: String(first.etablissement_formateur_uai),
    siret: String(first.etablissement_formateur_siret),
  };
}

async function loaded(ctx: Context): Promise<number> {
  const db = ctx.clickhouse.database;
  const [t] = await ctx.clickhouse.query<{ n: string }>(
    `SELECT count() AS n FROM system.tables WHERE database = '${db}' AND name = 'effectifs_deltas'`,
  );
  if (Number(t!.n) === 0) return 0;
  const [row] = await ctx.clickhouse.query<{ l: string }>(
    `SELECT uniqExact(record_key) AS l FROM ${db}.effectifs_deltas`,
  );
  return Number(row!.l);
}

async function load(ctx: Context, cfa: { uai: string; siret: string }): Promise<void> {
  const ch = ctx.clickhouse;
  const db = ch.database;
  if (!opts.reload && (await loaded(ctx)) === LEARNERS) {
    progress.ok(`data already loaded: ${LEARNERS.toLocaleString('fr-FR')} learners (--reload to rebuild)`);
    return;
  }
  await ch.command(`DROP DATABASE IF EXISTS ${db}`);
  await bootstrapNamespace(ctx.config, progress);
  await deleteNamespaceKeys(ctx.redis, ctx.config.TDB_NAMESPACE);
  progress.step(`generating ${LEARNERS.toLocaleString('fr-FR')} learners → ClickHouse`);
  const refs = { territoires: ctx.territoires, organismes: ctx.organismes };
  const today = dayFromIso(TODAY);
  let block: DeltaRow[] = [];
  const full = emptyFacts();
  const organisations = new Map<string, string>();
  let done = 0;
  for (const v3 of records()) {
    const l = learnerOf(v3, refs);
    organisations.set(l.dims.organisme_uai, l.dims.organisme_siret);
    if (l.dims.organisme_uai === cfa.uai) appendFacts(full, factsOf(null, l, 1, today, ctx.secrets.dataKey));
    else for (const r of deltaRows(l.recordKey, 1, 'bench', null, contributionOf(l))) block.push(r);
    if (block.length >= 300_000) {
      await ch.insert('effectifs_deltas', block);
      block = [];
    }
    progress.count('learners', ++done, LEARNERS);
  }
  await ch.insert('effectifs_deltas', block);
  await insertFacts(ch, full);
  progress.ok(`facts written; the CFA page's organisation ${cfa.uai} has ${full.dossiers.length} learners`);

  // A month of daily batches per organisation; one in ten stopped 21 days ago.
  const rows: Record<string, string | number>[] = [];
  let k = 0;
  for (const [uai, siret] of organisations) {
    const last = k++ % 10 === 0 ? 21 : 0;
    for (let d = last; d < 30; d++)
      rows.push({
        batch_id: `bench-${uai}-${d}`,
        received_at: `${isoFromDay(today - d)} 09:00:00`,
        organisme_uai: uai,
        organisme_siret: siret,
        connector: 'api-v3',
        erp: 'bench',
        recus: 40,
        acceptes: 39,
        rejetes: 1,
        inchanges: 30,
        crees: 2,
        modifies: 7,
        non_transmis: 0,
      });
  }
  await ch.insert('transmissions', rows);
  progress.ok(
    `${rows.length.toLocaleString('fr-FR')} batches of ${organisations.size.toLocaleString('fr-FR')} organisations`,
  );

  const store = createAlertStore(ctx.redis, ctx.keys.ml);
  const t0 = Date.parse(`${TODAY}T11:00:00Z`);
  const alerts = Array.from({ length: ALERTS }, (_, i) =>
    makeAlert(ctx.secrets.dataKey, {
      rqth: i % 17 === 0,
      mineur: i % 5 === 0,
      motif: i % 3 === 0 ? 'ABANDON' : 'RUPTURE',
      depuis: today - 10 - (i % 120),
      created_at: t0 - i * 60_000,
    }),
  );
  for (let i = 0; i < alerts.length; i += 200)
    await Promise.all(alerts.slice(i, i + 200).map((a) => store.ingest(a)));
  progress.ok(`${ALERTS} alerts for ${PARIS.id}`);
}

/** Items refused by the real ingestion route (they go to the dead-letter topic). */
async function refuse(ctx: Context, base: string, cfa: { uai: string; siret: string }): Promise<void> {
  const { key } = await redisApiKeyStore(ctx.redis, ctx.keys.apiKeys).create({
    ...cfa,
    erp: 'bench',
    now: ctx.clock.now(),
  });
  const items = Array.from({ length: REFUSED }, (_, i) => ({
    nom_apprenant: '',
    prenom_apprenant: 'Refus',
    date_de_naissance_apprenant: '2005-01-01',
    annee_scolaire: '2024-2025',
    id_erp_apprenant: `BENCH-REFUS-${i}`,
    date_entree_formation: '2024-09-02',
    date_fin_formation: '2026-06-30',
    etablissement_responsable_uai: cfa.uai,
    etablissement_responsable_siret: cfa.siret,
    etablissement_formateur_uai: cfa.uai,
    etablissement_formateur_siret: cfa.siret,
    formation_cfd: '50022106',
  }));
  const res = await fetch(`${base}/api/v3/dossiers-apprenants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(items),
  });
  if (res.status !== 200) throw new Error(`refused items: HTTP ${res.status} ${await res.text()}`);
}

interface Sample {
  fcp: number;
  shown: number;
  complete: number;
  calls: number;
}

/** One page load in a new context: FCP, numbers shown, complete, API calls. */
async function visit(
  browser: Awaited<ReturnType<typeof launchBrowser>>,
  url: string,
  session: { page: string; token: string } | null,
  complete: string,
): Promise<Sample> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
  if (session)
    await context.addInitScript(
      `sessionStorage.setItem(${JSON.stringify(`tdb.jeton.${session.page}`)}, ${JSON.stringify(session.token)})`,
    );
  const page: Page = await context.newPage();
  let calls = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) calls++;
  });
  await page.goto(url);
  await page.waitForSelector('#app[data-etat="pret"]', { timeout: 120_000 });
  await page.waitForSelector(complete, { timeout: 120_000 });
  const t = await page.evaluate<{ fcp: number; shown: number; now: number }>(`({
    fcp: (performance.getEntriesByName('first-contentful-paint')[0] || { startTime: NaN }).startTime,
    shown: performance.getEntriesByName('tdb-pret')[0].startTime,
    now: performance.now(),
  })`);
  await context.close();
  return { fcp: t.fcp, shown: t.shown, complete: t.now, calls };
}

async function main(): Promise<void> {
  // The shared referential beside the clone (README), unless given.
  const organismesCsv =
    process.env.TDB_ORGANISMES_CSV ??
    [path.resolve(__dirname, '..', '..', 'shared'), path.resolve(__dirname, '..', '..', '..', 'shared')]
      .map((d) => path.join(d, 'data', 'organismes.csv'))
      .find((f) => fs.existsSync(f));
  const config = loadConfig({
    ...process.env,
    TDB_NAMESPACE: process.env.BENCH_NAMESPACE ?? 'bench_dash',
    TDB_CLOCK: TODAY,
    LOG_LEVEL: 'warn',
    TDB_API_RATE_LIMIT: '100000',
    ...(organismesCsv ? { TDB_ORGANISMES_CSV: organismesCsv } : {}),
  });
  const ctx = createContext(config, 'bench');
  ctxRef = ctx;
  try {
    if (!(await ctx.clickhouse.ping().catch(() => false)))
      throw new Error(
        `ClickHouse is not reachable at ${config.clickhouseUrl}: start the services (node bin/tdb.js services start)`,
      );
    progress.step('building the pages');
    await buildDashboard({ quiet: true });
    const cfa = cfaOf();
    await load(ctx, cfa);
    await bootstrapNamespace(config, progress);
    const token = (role: 'cfa' | 'mission_locale' | 'admin', scope: string[]) =>
      signToken(ctx.secrets.tokenSecret, { role, scope, sub: 'bench' }, ctx.territoires, ctx.clock.now());
    const pages = [
      { name: 'public', path: '', session: null, complete: '#tableau-indicateurs' },
      { name: 'public, région 84', path: '?region=84', session: null, complete: '#tableau-indicateurs' },
      {
        name: 'Mission Locale (2,000 alerts)',
        path: 'mission-locale',
        session: { page: 'mission-locale', token: token('mission_locale', [PARIS.id]) },
        complete: '#alertes',
      },
      {
        name: 'CFA',
        path: 'cfa',
        session: { page: 'cfa', token: token('cfa', [cfa.uai]) },
        complete: '#rejets-section[data-etat="pret"]',
      },
      {
        name: 'operator (admin: every organisation)',
        path: 'operateur',
        session: { page: 'operateur', token: token('admin', []) },
        complete: '#organismes',
      },
    ];
    const results: Record<string, Record<string, Sample>> = {};
    const browser = await launchBrowser();
    try {
      for (const [label, ttl] of [
        ['API cache off', 0],
        [`API cache ${config.TDB_API_CACHE_MS} ms`, undefined],
      ] as const) {
        const app = await buildApp(ctx, { logger: false, queryCacheTtlMs: ttl });
        const base = await app.listen({ host: '127.0.0.1', port: 0 });
        try {
          if (label === 'API cache off') await refuse(ctx, base, cfa);
          for (const p of pages) {
            progress.step(`${label}: ${p.name}, ${ROUNDS} loads`);
            const url = `${base}/tableau-de-bord/${p.path}`;
            await visit(browser, url, p.session, p.complete); // warm-up (JIT, ClickHouse caches)
            const samples: Sample[] = [];
            for (let r = 0; r < ROUNDS; r++) samples.push(await visit(browser, url, p.session, p.complete));
            (results[p.name] ??= {})[label] = {
              fcp: median(samples.map((s) => s.fcp)),
              shown: median(samples.map((s) => s.shown)),
              complete: median(samples.map((s) => s.complete)),
              calls: median(samples.map((s) => s.calls)),
            };
          }
        } finally {
          await app.close();
        }
      }
    } finally {
      await browser.close();
    }

    const out = process.stdout;
    out.write(
      `\nDashboard pages in Chromium, ${LEARNERS.toLocaleString('fr-FR')} learners, medians of ${ROUNDS} loads (new browser context each: empty cache)\n`,
    );
    out.write(
      'FCP = first contentful paint; shown = every main section has its numbers (first meaningful paint; target < 1000 ms); complete = late sections too\n\n',
    );
    const head = ['page', 'API cache', 'FCP ms', 'shown ms', 'complete ms', 'API calls', '< 1 s'];
    const lines: string[][] = [];
    for (const [name, byCache] of Object.entries(results))
      for (const [cache, s] of Object.entries(byCache))
        lines.push([
          name,
          cache,
          s.fcp.toFixed(0),
          s.shown.toFixed(0),
          s.complete.toFixed(0),
          String(s.calls),
          s.shown < 1000 ? 'yes' : 'NO',
        ]);
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    for (const l of [head, ...lines]) out.write(`${l.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
  } finally {
    await ctx.close();
  }
}

main().catch((err) => {
  process.stderr.write(
    `bench:dashboard failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
