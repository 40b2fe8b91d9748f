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
import type { Statut, StatutInterval } from '../status/types';
import type { Dimensions } from './dimensions';

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

const sameDims = (a: Dimensions, b: Dimensions) => {
  for (const k of Object.keys(a) as (keyof Dimensions)[]) if (a[k] !== b[k]) return false;
  return true;
};

const intervalKey = (i: StatutInterval) => `${i.valeur}|${i.debut}|${i.fin}`;

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
  if (before && after && sameDims(before.dims, after.dims)) {
    const kept = new Set(removed.map(intervalKey));
    const common = new Set(added.map(intervalKey).filter((k) => kept.has(k)));
    removed = removed.filter((i) => !common.has(intervalKey(i)));
    added = added.filter((i) => !common.has(intervalKey(i)));
  }
  const rows: DeltaRow[] = [];
  const emit = (c: Contribution, intervals: StatutInterval[], sign: 1 | -1) => {
    for (const i of intervals) {
      const base = { ...c.dims, statut: i.valeur, record_key: recordKey, version, batch_id: batchId };
      rows.push({ ...base, jour: isoFromDay(i.debut), delta: sign });
      rows.push({ ...base, jour: isoFromDay(i.fin + 1), delta: sign === 1 ? -1 : 1 });
    }
  };
  if (before) emit(before, removed, -1);
  if (after) emit(after, added, 1);
  return rows;
}

/**
 * Interval rows of a version: one per interval at slots 0…n-1, plus deleted = 1 rows for the
 * slots the previous version used beyond n (ReplacingMergeTree keeps the newest row per slot).
 */
export function intervalRows(recordKey: string, version: number, after: Contribution | null, previousSlots: number): IntervalRow[] {
  const rows: IntervalRow[] = [];
  const intervals = after?.intervals ?? [];
  intervals.forEach((i, idx) => {
    rows.push({ ...(after as Contribution).dims, record_key: recordKey, idx, version, deleted: 0, statut: i.valeur, debut: isoFromDay(i.debut), fin: isoFromDay(i.fin) });
  });
  const dims = after?.dims;
  for (let idx = intervals.length; idx < previousSlots; idx++) {
    rows.push({
      ...(dims ?? EMPTY_DIMS),
      record_key: recordKey,
      idx,
      version,
      deleted: 1,
      statut: 'INSCRIT',
      debut: '1970-01-01',
      fin: '1970-01-01',
    });
  }
  return rows;
}

const EMPTY_DIMS: Dimensions = {
  annee_scolaire: '',
  organisme_uai: '',
  organisme_siret: '',
  organisme_responsable_uai: '',
  departement: '',
  region: '',
  academie: '',
  zone_emploi: '',
  formation_cfd: '',
  formation_rncp: '',
  niveau: '',
  domaine: '',
  tranche_age: '',
  sexe: '',
  rqth: 0,
  fiable: 0,
  apprentissage: 0,
};
