/**
 * `tdb demo` (`npm run demo`): the platform's main job on the local defaults. Starts the services
 * and the platform (processor and API daemons), generates a realistic national sample of learners
 * attached to the training organisations of the referential (TDB_ORGANISMES_CSV; generated ones
 * without it), pushes it as the ERPs do (POST /api/v3/dossiers-apprenants, one API key per
 * organisation, through the real pipeline), waits until the processor has turned every change
 * into facts, and prints the indicators, the URL of the running API and the dashboard's URL
 * (/tableau-de-bord/; both keep running: `npm run services:stop` stops everything).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { config, type Config } from '../../infra/config';
import { createContext, type Context } from '../../infra/context';
import { apiUrl } from '../../infra/services/app';
import { startServices } from '../../infra/services/cli';
import { consoleProgress, type Progress } from '../../infra/services/progress';
import { isoFromDay } from '../../streams/status/calendar';
import { redisApiKeyStore } from '../http/api-keys';
import { generateDossiers, type DossierV3 } from './dossiers';

export interface DemoOptions {
  apprenants: number;
  seed: number;
  concurrency: number;
}

interface PushTotals {
  requests: number;
  items: number;
  invalid: number;
}

/** One API key per organisation, kept in the data dir so that a second demo run reuses them. */
async function demoKeys(
  ctx: Context,
  organisations: Map<string, { uai: string; siret: string }>,
): Promise<Map<string, string>> {
  const file = path.join(ctx.config.TDB_DATA_DIR, `demo-api-keys.${ctx.config.TDB_NAMESPACE}.json`);
  const known = new Map<string, string>(
    fs.existsSync(file)
      ? Object.entries(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>)
      : [],
  );
  const store = redisApiKeyStore(ctx.redis, ctx.keys.apiKeys);
  for (const [id, o] of organisations) {
    const key = known.get(id);
    if (key && (await store.lookup(key))?.revoked_at === null) continue;
    known.set(
      id,
      (await store.create({ uai: o.uai, siret: o.siret, erp: 'demo', now: ctx.clock.now() })).key,
    );
  }
  fs.mkdirSync(ctx.config.TDB_DATA_DIR, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(Object.fromEntries(known)), { mode: 0o600 });
  return known;
}

/** POSTs every organisation's records (≤ 2,000 per request) with `concurrency` requests in flight. */
async function pushAll(
  url: string,
  batches: { key: string; items: DossierV3[] }[],
  concurrency: number,
  progress: Progress,
  total: number,
): Promise<PushTotals> {
  const totals: PushTotals = { requests: 0, items: 0, invalid: 0 };
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const b = batches[next++] as { key: string; items: DossierV3[] };
      for (let i = 0; i < b.items.length; i += 2000) {
        const items = b.items.slice(i, i + 2000);
        for (let attempt = 1; ; attempt++) {
          const res = await fetch(`${url}/api/v3/dossiers-apprenants`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${b.key}` },
            body: JSON.stringify(items),
          });
          if (res.ok) {
            const body = (await res.json()) as { data: { validation_errors?: unknown[] }[] };
            totals.invalid += body.data.filter((d) => (d.validation_errors?.length ?? 0) > 0).length;
            break;
          }
          if ((res.status === 429 || res.status >= 500) && attempt < 5) {
            await new Promise((r) => setTimeout(r, 500 * attempt));
            continue;
          }
          throw new Error(`push refused: HTTP ${res.status} ${await res.text()}`);
        }
        totals.requests++;
        totals.items += items.length;
        progress.count('records pushed', totals.items, total);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return totals;
}

/** Messages of the change topic not yet committed by the processor's consumer group. */
async function processorLag(ctx: Context): Promise<number> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(ctx.topics.changes),
      admin.fetchOffsets({ groupId: `${ctx.config.TDB_NAMESPACE}.processor`, topics: [ctx.topics.changes] }),
    ]);
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends.reduce(
      (lag, p) => lag + Math.max(0, Number(p.high) - Math.max(0, done.get(p.partition) ?? 0)),
      0,
    );
  } finally {
    await admin.disconnect();
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const fmt = (n: number | null | undefined) =>
  n === null || n === undefined ? 'n.d.' : n.toLocaleString('fr-FR');

export async function runDemo(c: Config, opts: DemoOptions): Promise<void> {
  const progress = consoleProgress();
  await startServices(c, progress, { app: true });
  const ctx = createContext(c, 'demo');
  try {
    const url = apiUrl(c);
    const today = ctx.clock.today();
    progress.step(
      `generating ${opts.apprenants.toLocaleString('fr-FR')} learners on ${ctx.organismes.all.length.toLocaleString('fr-FR')} training organisations (${c.TDB_ORGANISMES_CSV ?? 'generated organisations: set TDB_ORGANISMES_CSV for the real referential'})`,
    );
    const byOrganisation = new Map<string, { uai: string; siret: string; items: DossierV3[] }>();
    for (const d of generateDossiers({
      count: opts.apprenants,
      organismes: ctx.organismes,
      territoires: ctx.territoires,
      today,
      seed: opts.seed,
    })) {
      const uai = String(d.etablissement_formateur_uai);
      const siret = String(d.etablissement_responsable_siret);
      // One organisation = one (UAI, SIRET) pair: a UAI may have several SIRETs in the referential.
      const id = `${uai}:${siret}`;
      const entry = byOrganisation.get(id) ?? { uai, siret, items: [] };
      entry.items.push(d);
      byOrganisation.set(id, entry);
    }
    const keys = await demoKeys(ctx, byOrganisation);
    progress.ok(`${byOrganisation.size.toLocaleString('fr-FR')} organisations, one API key each`);

    const lagBefore = await processorLag(ctx);
    const t0 = Date.now();
    progress.step(`pushing to ${url}/api/v3/dossiers-apprenants (${opts.concurrency} requests in flight)`);
    const batches = [...byOrganisation.entries()].map(([id, o]) => ({
      key: keys.get(id) as string,
      items: o.items,
    }));
    const pushed = await pushAll(url, batches, opts.concurrency, progress, opts.apprenants);
    const pushSeconds = (Date.now() - t0) / 1000;
    progress.ok(
      `pushed ${fmt(pushed.items)} records in ${pushed.requests.toLocaleString('fr-FR')} requests, ${pushSeconds.toFixed(1)} s (${fmt(Math.round(pushed.items / pushSeconds))} records/s), ${fmt(pushed.invalid)} rejected to the dead-letter topic`,
    );

    progress.step('waiting for the stream processor to turn every change into facts');
    let lag = await processorLag(ctx);
    const lagDeadline = Date.now() + 10 * 60_000;
    while (lag > 0) {
      if (Date.now() > lagDeadline)
        throw new Error(
          `the processor still has ${lag} changes to process after 10 minutes (see ${path.join(c.TDB_DATA_DIR, 'run', 'processor.log')})`,
        );
      progress.count('changes left to process', lag);
      await new Promise((r) => setTimeout(r, 250));
      lag = await processorLag(ctx);
    }
    const totalSeconds = (Date.now() - t0) / 1000;
    progress.ok(
      `end to end (push → facts queryable): ${totalSeconds.toFixed(1)} s, ${fmt(Math.round(pushed.items / totalSeconds))} records/s${lagBefore > 0 ? ` (${fmt(lagBefore)} older changes were pending)` : ''}`,
    );

    const date = isoFromDay(today);
    type Indicateurs = {
      date: string;
      apprenants: number | null;
      apprentis: number | null;
      inscrits: number | null;
      rupturants: number | null;
      abandons: number | null;
    };
    const national = await getJson<Indicateurs>(`${url}/api/v1/indicateurs?date=${date}`);
    const parRegion = await getJson<{ lignes?: (Indicateurs & { code: string | null; libelle?: string })[] }>(
      `${url}/api/v1/indicateurs/par/region?date=${date}`,
    );
    const out = process.stdout;
    out.write(`\nIndicateurs nationaux au ${date}\n`);
    out.write(`  apprenants          ${fmt(national.apprenants)}\n`);
    out.write(`  apprentis          ${fmt(national.apprentis)}\n`);
    out.write(`  inscrits sans contrat ${fmt(national.inscrits)}\n`);
    out.write(`  rupturants         ${fmt(national.rupturants)}\n`);
    out.write(`  abandons           ${fmt(national.abandons)}\n`);
    const rows = parRegion.lignes ?? [];
    if (rows.length > 0) {
      out.write(`\nPar région (apprenants / apprentis / inscrits / rupturants / abandons)\n`);
      for (const r of rows) {
        out.write(
          `  ${String(r.libelle ?? r.code ?? 'inconnue').padEnd(28)} ${[r.apprenants, r.apprentis, r.inscrits, r.rupturants, r.abandons].map((v) => fmt(v).padStart(7)).join(' ')}\n`,
        );
      }
    }
    out.write(`\nAPI running at ${url}  (interactive documentation: ${url}/docs)\n`);
    out.write(
      `  e.g. ${url}/api/v1/indicateurs/national   ${url}/api/v1/indicateurs/series?from=${isoFromDay(today - 365)}&to=${date}&pas=mois\n`,
    );
    out.write(`\nDashboard (web pages): ${url}/tableau-de-bord/\n`);
    out.write(
      `  public indicators need no sign-in; the Mission Locale, CFA and operator pages take a token: npx tdb tokens create --role mission_locale --scope <id> (or cfa --scope <UAI>, ddets --scope <département>)\n`,
    );
    out.write(`Stop everything with: npm run services:stop\n`);
  } finally {
    await ctx.close();
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'start everything, stream a realistic national sample through the real pipeline, print the indicators, the API URL and the dashboard URL',
    )
    .option('--apprenants <n>', 'number of learners to generate', (v) => Number.parseInt(v, 10), 20_000)
    .option(
      '--seed <n>',
      'seed of the generated sample (same seed, same learners: a second run sends nothing new)',
      (v) => Number.parseInt(v, 10),
      42,
    )
    .option('--concurrency <n>', 'HTTP requests in flight', (v) => Number.parseInt(v, 10), 8)
    .action(async (opts: DemoOptions) => {
      if (!Number.isInteger(opts.apprenants) || opts.apprenants < 1)
        throw new Error('--apprenants: a positive whole number is expected');
      await runDemo(config(), opts);
    });
}
