/**
 * Indicators from the ClickHouse facts: status sums turned into the published counters
 * (status-rules.md, "Counting"; streams/status/indicators.ts counterOf):
 * apprentis = APPRENTI + FIN_DE_FORMATION, inscrits = INSCRIT, rupturants = RUPTURANT,
 * abandons = ABANDON, apprenants = apprentis + inscrits + rupturants.
 */
import {
  counterOf,
  dayFromIso,
  isoFromDay,
  ymdFromDay,
  dayFromYmd,
  daysInMonth,
  type Statut,
} from '../../streams/status';
import type { Counts } from '../secrecy';
import type { QueryRunner } from '../sql/runner';
import { countAtSql, countByAtSql, seriesSql, type GroupDimension, type Selection } from './queries';

interface StatusRow {
  statut: Statut;
  n: string | number;
}

export const zeroCounts = (): Counts => ({
  apprenants: 0,
  apprentis: 0,
  inscrits: 0,
  rupturants: 0,
  abandons: 0,
});

/** Adds `n` learners in status `statut` to counts. */
export function addStatus(c: Counts, statut: Statut, n: number): void {
  const k = counterOf(statut);
  c[k.counter] += n;
  if (k.apprenants) c.apprenants += n;
}

export function countsOf(rows: readonly StatusRow[]): Counts {
  const c = zeroCounts();
  for (const r of rows) addStatus(c, r.statut, Number(r.n));
  return c;
}

/** The counters at `day` (YYYY-MM-DD) for a selection. */
export async function indicatorAt(
  runner: QueryRunner,
  database: string,
  day: string,
  sel: Selection,
): Promise<Counts> {
  return countsOf(await runner.rows<StatusRow>('indicateur', countAtSql(database, day, sel)));
}

/** The counters at `day` per group code ('' for unknown), sorted by code; groups with only zeros are left out. */
export async function indicatorsByAt(
  runner: QueryRunner,
  database: string,
  day: string,
  dimension: GroupDimension,
  sel: Selection,
): Promise<{ code: string; counts: Counts }[]> {
  const rows = await runner.rows<StatusRow & { code: string }>(
    'par',
    countByAtSql(database, day, dimension, sel),
  );
  const byCode = new Map<string, Counts>();
  for (const r of rows) {
    let c = byCode.get(r.code);
    if (!c) byCode.set(r.code, (c = zeroCounts()));
    addStatus(c, r.statut, Number(r.n));
  }
  return [...byCode.entries()]
    .filter(([, c]) => c.apprenants !== 0 || c.abandons !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, counts]) => ({ code, counts }));
}

export type Pas = 'jour' | 'semaine' | 'mois';

/**
 * The step dates of a series: `from`, then every day, week (7 days) or month (same day of the
 * month, the month's last day when shorter) up to `to` inclusive. Day numbers.
 */
export function stepsOf(from: number, to: number, pas: Pas): number[] {
  const out: number[] = [];
  if (pas === 'mois') {
    const start = ymdFromDay(from);
    for (let k = 0; ; k++) {
      const m0 = start.month - 1 + k;
      const year = start.year + Math.floor(m0 / 12);
      const month = (m0 % 12) + 1;
      const day = dayFromYmd(year, month, Math.min(start.day, daysInMonth(year, month)));
      if (day > to) break;
      out.push(day);
    }
    return out;
  }
  const step = pas === 'jour' ? 1 : 7;
  for (let d = from; d <= to; d += step) out.push(d);
  return out;
}

/** The counters at each step date from `from` to `to` (YYYY-MM-DD): one query, running sums in Node. */
export async function series(
  runner: QueryRunner,
  database: string,
  from: string,
  to: string,
  pas: Pas,
  sel: Selection,
): Promise<{ date: string; counts: Counts }[]> {
  const rows = await runner.rows<StatusRow & { j: string }>('series', seriesSql(database, from, to, sel));
  const deltas = rows
    .map((r) => ({ day: dayFromIso(r.j), statut: r.statut, n: Number(r.n) }))
    .sort((a, b) => a.day - b.day);
  const running = zeroCounts();
  const out: { date: string; counts: Counts }[] = [];
  let i = 0;
  for (const step of stepsOf(dayFromIso(from), dayFromIso(to), pas)) {
    while (i < deltas.length && deltas[i]!.day <= step) {
      addStatus(running, deltas[i]!.statut, deltas[i]!.n);
      i++;
    }
    out.push({ date: isoFromDay(step), counts: { ...running } });
  }
  return out;
}
