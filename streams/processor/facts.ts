/**
 * The ClickHouse rows the processor writes besides the signed deltas and intervals of
 * streams/facts/rows.ts: the `dossiers` row of a record's state and the `transitions` rows
 * (infra/clickhouse/migrations/0001_fact_model.sql). Pure.
 */
import type { LearnerStatusTransition } from '../../schemas/generated/LearnerStatusTransition';
import { rowBuilder, type Dimensions } from '../facts/dimensions';
import { isoDay } from '../facts/rows';
import { statusAt } from '../status/engine';
import type { Statut } from '../status/types';
import type { LearnerState, Operation } from './state';

/** Latest day a ClickHouse Date holds (2105-12-31), and its first (1970-01-01). */
export const CH_MAX_DAY = 49_674;
export const CH_MIN_DAY = 0;

/** 'YYYY-MM-DD hh:mm:ss' in UTC: a ClickHouse DateTime whatever the input settings. */
export function chDateTime(ms: number): string {
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    lastMs = ms;
  }
  return lastText;
}
// The last instant converted: the rows of a batch mostly share one ingestion or detection instant.
let lastMs = NaN;
let lastText = '';

export interface DossierRow extends Dimensions {
  record_key: string;
  version: number;
  person_key: string;
  operation: Operation;
  deleted: 0 | 1;
  code_commune_insee: string;
  date_entree: string;
  date_fin: string;
  statut_en_cours: Statut;
  identite_chiffree: string;
  ingestion_time: string;
}

/**
 * The dossiers row of a state (null when the record never had a valid image). The status en cours
 * is the status on `today` (status-rules.md). A deleted record keeps its dimensions but no identity.
 */
export function dossierRow(
  key: string,
  s: LearnerState,
  today: number,
  ingestionMs: number,
): DossierRow | null {
  const rec = s.rec;
  if (!rec) return null;
  const deleted = s.op === 'DELETE';
  return dossier(
    rec.dims,
    key,
    s.v,
    s.person_key ?? '',
    s.op,
    deleted ? 1 : 0,
    rec.commune ?? '',
    isoDay(rec.entree),
    isoDay(rec.fin),
    s.parcours ? statusAt(s.parcours, today) : (s.statut ?? 'INSCRIT'),
    deleted ? '' : rec.identite,
    chDateTime(ingestionMs),
  );
}

// One literal of fixed shape with the dimensions one by one (an object spread in the middle of a
// literal is a slow path), compiled from the descriptor list.
const dossier = rowBuilder<
  [
    record_key: string,
    version: number,
    person_key: string,
    operation: Operation,
    deleted: 0 | 1,
    code_commune_insee: string,
    date_entree: string,
    date_fin: string,
    statut_en_cours: Statut,
    identite_chiffree: string,
    ingestion_time: string,
  ],
  DossierRow
>(
  ['record_key', 'version', 'person_key', 'operation', 'deleted'],
  ['code_commune_insee', 'date_entree', 'date_fin', 'statut_en_cours', 'identite_chiffree', 'ingestion_time'],
);

export function transitionRow(t: LearnerStatusTransition, departement: string) {
  return {
    event_id: t.event_id,
    record_key: t.record_key,
    person_key: t.person_key ?? '',
    version: t.version,
    statut_avant: t.from,
    statut_apres: t.to,
    date_effet: isoDay(t.effective_date),
    cause: t.cause,
    detected_at: chDateTime(t.detected_at),
    organisme_uai: t.organisme_uai,
    departement,
  };
}
