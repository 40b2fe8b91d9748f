/**
 * `npm run bench:alertes [-- --alertes 2000,20000 --rounds 7]`: the alert store and routes at the
 * size of one Mission Locale, on the real Redis and ClickHouse (an isolated namespace, removed after):
 * ingest rate (Lua script), Redis memory per alert, then medians of HTTP reads (list page without and
 * with filters, synthesis, CSV and XLSX exports of every alert), each size side by side.
 * Reads include the access-log insert (ClickHouse), as in production.
 */
import { parseArgs } from 'node:util';
import { buildApp } from '../api/app';
import { bearer, makeAlert, PARIS, token } from '../test/missions-locales/support';
import { createTestPlatform, referentials } from '../test/support/platform';
import { createAlertStore } from '../streams/alert-inbox/store';

const { values } = parseArgs({
  options: { alertes: { type: 'string', default: '2000,20000' }, rounds: { type: 'string', default: '7' } },
});
const sizes = values.alertes.split(',').map(Number);
const rounds = Number(values.rounds);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const READS = [
  ['list page 1 (50), no filter', '/alertes'],
  ['list page 20 (50), no filter', '/alertes?page=20'],
  ['list, priorite=rqth', '/alertes?priorite=rqth'],
  ['list, depuis + motif', '/alertes?depuis=2025-03-15&motif=RUPTURE'],
  ['synthese', '/synthese'],
  ['export CSV (every alert)', '/alertes?format=csv'],
  ['export XLSX (every alert)', '/alertes?format=xlsx'],
] as const;

async function measure(n: number): Promise<Record<string, string>> {
  const p = await createTestPlatform({
    TDB_CLOCK: '2025-03-15',
    TDB_ORGANISMES_CSV: referentials().TDB_ORGANISMES_CSV,
    LOG_LEVEL: 'error',
  });
  const out: Record<string, string> = {};
  try {
    const { ctx } = p;
    const store = createAlertStore(ctx.redis, ctx.keys.ml);
    const t0 = Date.parse('2025-03-15T11:00:00Z');
    const alerts = Array.from({ length: n }, (_, i) =>
      makeAlert(ctx.secrets.dataKey, {
        rqth: i % 17 === 0,
        mineur: i % 5 === 0,
        motif: i % 3 === 0 ? 'ABANDON' : 'RUPTURE',
        depuis: 20_000 + (i % 120),
        created_at: t0 - i * 60_000,
      }),
    );
    const used = async () => Number(/used_memory:(\d+)/.exec(await ctx.redis.info('memory'))![1]);
    const mem0 = await used();
    let t = performance.now();
    for (let i = 0; i < n; i += 200) await Promise.all(alerts.slice(i, i + 200).map((a) => store.ingest(a)));
    out['ingest (alerts/s)'] = ((n * 1000) / (performance.now() - t)).toFixed(0);
    out['Redis bytes per alert'] = (((await used()) - mem0) / n).toFixed(0);
    const app = await buildApp(ctx, { logger: false });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const h = bearer(token(ctx, { role: 'mission_locale', scope: [PARIS.id] }));
    for (const [label, path] of READS) {
      const times: number[] = [];
      const r = path.includes('format') ? Math.max(1, Math.ceil(rounds / 2)) : rounds;
      for (let i = 0; i < r; i++) {
        t = performance.now();
        const res = await fetch(`${base}/api/v1/missions-locales/${PARIS.id}${path}`, { headers: h });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${label}: HTTP ${res.status}`);
        times.push(performance.now() - t);
      }
      out[`${label} (ms, median of ${r})`] = median(times).toFixed(0);
    }
    await app.close();
  } finally {
    await p.cleanup();
  }
  return out;
}

void (async () => {
  const results: Record<string, string>[] = [];
  for (const n of sizes) {
    process.stderr.write(`measuring ${n} alerts in one Mission Locale…\n`);
    results.push(await measure(n));
  }
  const rows = Object.keys(results[0] ?? {});
  const width = Math.max(...rows.map((r) => r.length));
  process.stdout.write(
    `${'alerts in the Mission Locale'.padEnd(width)}  ${sizes.map((s) => String(s).padStart(8)).join('  ')}\n`,
  );
  for (const r of rows)
    process.stdout.write(`${r.padEnd(width)}  ${results.map((x) => (x[r] ?? '').padStart(8)).join('  ')}\n`);
})().catch((err: Error) => {
  process.stderr.write(`bench:alertes: ${err.message}\n`);
  process.exit(1);
});
