/**
 * The fact rows written to ClickHouse for one version of one learner record (pure; the stream
 * processor does the I/O). See infra/clickhouse/migrations/0001_fact_model.sql.
 *
 * Counts use signed deltas: an interval [debut, fin] in status S is +1 on debut and -1 on fin + 1,
 * so the count at D is the sum of deltas up to D. A new version cancels the previous version's
 * intervals and adds its own; intervals identical in both (same status, days and dimensions)
 * cancel out and are not written at all.
 */
import { isoFromDay } from '../status/calendar';
import { toIntervals } from '../status/engine';
import type { ParcoursEntry, Statut, StatutInterval } from '../status/types';
import { NO_DIMENSIONS, rowBuilder, sameDimensions, type Dimensions } from './dimensions';

/** Days whose text is kept (1970-01-01 … 2105-12-31, what a ClickHouse Date holds). */
const CACHED_DAYS = 49_675;
const isoDays = new Map<number, string>();

/**
 * isoFromDay, each day's text made once: the rows of a batch repeat a few thousand days, and the
 * processor writes hundreds of thousands of dates per second.
 */
export function isoDay(day: number): string {
  if (!(day >= 0 && day < CACHED_DAYS)) return isoFromDay(day);
  let iso = isoDays.get(day);
  if (iso === undefined) isoDays.set(day, (iso = isoFromDay(day)));
  return iso;
}

/**
 * The intervals a record is counted in: its parcours cut to the training period
 * [date_entree_formation, date_fin_formation] (status-rules.md, "Counting": only records whose
 * training period covers D count; a contract signed before the entry shows in the parcours but is
 * not counted before the entry).
 */
export function countedIntervals(
  parcours: readonly ParcoursEntry[],
  entree: number,
  fin: number,
): StatutInterval[] {
  const out: StatutInterval[] = [];
  for (const i of toIntervals(parcours, fin)) {
    const debut = Math.max(i.debut, entree);
    if (debut <= i.fin) out.push({ valeur: i.valeur, debut, fin: i.fin });
  }
  return out;
}

/** What a record contributed to the counts at its previous version (kept in the processor's state). */
export interface Contribution {
  intervals: StatutInterval[];
  dims: Dimensions;
}

export interface DeltaRow extends Dimensions {
  jour: string;
  statut: Statut;
  delta: 1 | -1;
  record_key: string;
  version: number;
  batch_id: string;
}

export interface IntervalRow extends Dimensions {
  record_key: string;
  idx: number;
  version: number;
  deleted: 0 | 1;
  statut: Statut;
  debut: string;
  fin: string;
}

// Rows are built as literals of one fixed shape (no object spread), compiled from the descriptor
// list (streams/facts/dimensions.ts rowBuilder): hundreds of thousands are made per second by the
// stream processor, and spread objects of 24 properties are slow to create and to serialise.
const deltaRow = rowBuilder<
  [jour: string, statut: Statut, delta: 1 | -1, record_key: string, version: number, batch_id: string],
  DeltaRow
>([], ['jour', 'statut', 'delta', 'record_key', 'version', 'batch_id']);

const intervalRow = rowBuilder<
  [
    record_key: string,
    idx: number,
    version: number,
    deleted: 0 | 1,
    statut: Statut,
    debut: string,
    fin: string,
  ],
  IntervalRow
>([], ['record_key', 'idx', 'version', 'deleted', 'statut', 'debut', 'fin']);

const sameInterval = (a: StatutInterval, b: StatutInterval) =>
  a.valeur === b.valeur && a.debut === b.debut && a.fin === b.fin;

/** The intervals of `xs` not in `ys` (a record has a handful: a nested scan beats keyed sets). */
const notIn = (xs: StatutInterval[], ys: StatutInterval[]) =>
  xs.filter((x) => !ys.some((y) => sameInterval(x, y)));

/**
 * Delta rows taking the counts from `before` (null: the record did not count yet) to `after`
 * (null: the record no longer counts, e.g. deleted).
 */
export function deltaRows(
  recordKey: string,
  version: number,
  batchId: string,
  before: Contribution | null,
  after: Contribution | null,
): DeltaRow[] {
  let removed = before?.intervals ?? [];
  let added = after?.intervals ?? [];
  if (before && after && sameDimensions(before.dims, after.dims)) {
    const was = removed;
    removed = notIn(was, added);
    added = notIn(added, was);
  }
  const rows: DeltaRow[] = [];
  if (before) pushDeltas(rows, before.dims, removed, -1, recordKey, version, batchId);
  if (after) pushDeltas(rows, after.dims, added, 1, recordKey, version, batchId);
  return rows;
}

/** `sign` on the first day of each interval, the opposite the day after its last. */
function pushDeltas(
  rows: DeltaRow[],
  dims: Dimensions,
  intervals: readonly StatutInterval[],
  sign: 1 | -1,
  recordKey: string,
  version: number,
  batchId: string,
): void {
  for (const i of intervals) {
    rows.push(deltaRow(dims, isoDay(i.debut), i.valeur, sign, recordKey, version, batchId));
    rows.push(deltaRow(dims, isoDay(i.fin + 1), i.valeur, sign === 1 ? -1 : 1, recordKey, version, batchId));
  }
}

/**
 * Interval rows of a version: one per interval at slots 0…n-1, plus deleted = 1 rows for the
 * slots the previous version used beyond n (ReplacingMergeTree keeps the newest row per slot).
 */
export function intervalRows(
  recordKey: string,
  version: number,
  after: Contribution | null,
  previousSlots: number,
): IntervalRow[] {
  const rows: IntervalRow[] = [];
  const intervals = after?.intervals ?? [];
  const dims = after?.dims;
  for (let idx = 0; idx < intervals.length; idx++) {
    const i = intervals[idx]!;
    rows.push(intervalRow(dims!, recordKey, idx, version, 0, i.valeur, isoDay(i.debut), isoDay(i.fin)));
  }
  for (let idx = intervals.length; idx < previousSlots; idx++) {
    rows.push(
      intervalRow(dims ?? NO_DIMENSIONS, recordKey, idx, version, 1, 'INSCRIT', '1970-01-01', '1970-01-01'),
    );
  }
  return rows;
}
