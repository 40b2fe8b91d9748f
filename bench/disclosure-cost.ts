/**
 * Cost of the public disclosure control (docs/statistical-disclosure-control.md), side by side on
 * the API tests' generated dataset: ClickHouse queries per request and latency of the public
 * /indicateurs, /par and /series (one cell-facts scan of effectifs_deltas) against the same
 * requests by admin (the query the public answers used before: counts only, on the territory
 * pre-aggregate when the filters allow). Usage: tsx bench/disclosure-cost.ts [--learners 2000] [--rounds 40]
 */
import { apiFixture, bearer, recordQueries } from '../test/api/support/app';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

async function main() {
  const learners = arg('learners', 2000);
  const rounds = arg('rounds', 40);
  process.stderr.write(`loading ${learners} learners…\n`);
  const fx = await apiFixture(learners, { seed: 11 });
  const admin = bearer(fx.token({ role: 'admin', scope: [] }));
  const queries = recordQueries(fx);
  const urls = [
    '/api/v1/indicateurs?date=2025-03-14',
    '/api/v1/indicateurs?date=2025-03-14&departement=69',
    `/api/v1/indicateurs?date=2025-03-14&uai=${fx.ds.focus[0]!.uai}`,
    '/api/v1/indicateurs/par/departement?date=2025-03-14',
    '/api/v1/indicateurs/par/organisme?date=2025-03-14&region=84',
    '/api/v1/indicateurs/series?from=2024-09-01&to=2025-03-01&pas=mois&departement=69',
  ];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log('request\tqueries before\tqueries after\tp50 before ms\tp50 after ms\tratio');
  for (const url of urls) {
    const time = async (headers: Record<string, string>) => {
      const ms: number[] = [];
      queries.length = 0;
      await fx.get(url, headers);
      const perRequest = queries.length;
      for (let i = 0; i < rounds; i++) {
        const t0 = process.hrtime.bigint();
        const r = await fx.get(url, headers);
        if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode}`);
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return { perRequest, p50: median(ms) };
    };
    const before = await time(admin);
    const after = await time({});
    console.log(
      `${url}\t${before.perRequest}\t${after.perRequest}\t${before.p50.toFixed(1)}\t${after.p50.toFixed(1)}\t${(after.p50 / before.p50).toFixed(2)}`,
    );
  }
  await fx.close();
}

main().catch((err) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
