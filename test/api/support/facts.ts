/**
 * Facts for the API's tests and benchmark, built without the stream processor (issue 5): learner
 * records from connectors/simulation, their parcours from the status engine, and the fact rows of
 * streams/facts (`dimensionsOf`, `deltaRows`, `intervalRows`), inserted into the namespace's
 * ClickHouse tables `effectifs_deltas`, `statut_intervalles` and `dossiers` (with the identity
 * sealed by infra/crypto.ts and stored in base64, as assumed of the processor).
 *
 * Intervals are clipped to the training period [date_entree_formation, date_fin_formation]: a
 * contract signed before the entry moves the parcours' first day (status-rules.md §1) but the
 * learner only counts while the training covers the day (status-rules.md, "Counting"; counterAt).
 */
import { createHash } from 'node:crypto';
import type { ClickHouse } from '../../../infra/clickhouse/client';
import type { FrApprentissageTdb } from '../../../schemas/generated/DossierApprenant';
import { dimensionsOf, type Dimensions } from '../../../streams/facts/dimensions';
import {
  deltaRows,
  intervalRows,
  countedIntervals,
  type Contribution,
  type DeltaRow,
  type IntervalRow,
} from '../../../streams/facts/rows';
import type { OrganismesReferential } from '../../../streams/referentiels/organismes';
import type { Territoires } from '../../../streams/referentiels/territoires';
import {
  computeParcours,
  dayFromIso,
  isoFromDay,
  parseCalendarDay,
  statusAt,
  type DossierDates,
  type ParcoursEntry,
  type Statut,
  type StatutInterval,
} from '../../../streams/status';
import { dossierDatesFromV3 } from '../../../streams/status/from-v3';
import type { DossierV3 } from '../../../connectors/simulation/dossiers';
import { identiteApprenant, sealIdentite, type IdentiteApprenant } from '../../../schemas/identite';

type DossierApprenant = FrApprentissageTdb.DossierApprenant;

export interface Refs {
  territoires: Territoires;
  organismes: OrganismesReferential;
}

/** One learner record as the processor would see it: its dates, parcours, dimensions and identity. */
export interface Learner {
  recordKey: string;
  v3: DossierV3;
  dates: DossierDates;
  parcours: ParcoursEntry[];
  /** The parcours as intervals, clipped to the training period. */
  intervals: StatutInterval[];
  dims: Dimensions;
  codeCommune: string;
  identite: IdentiteApprenant;
}

/** Whole years between two day numbers (birthday rule). */
function ageAt(naissance: number, day: number): number {
  const b = isoFromDay(naissance);
  const d = isoFromDay(day);
  let age = Number(d.slice(0, 4)) - Number(b.slice(0, 4));
  if (d.slice(5) < b.slice(5)) age--;
  return age;
}

const str = (v: unknown): string | null => (v === undefined || v === null || v === '' ? null : String(v));

/**
 * The normalised image fields that `dimensionsOf` reads, from a clean v3 record (generated with
 * messyShare 0; the connectors' normaliser is not needed for these).
 */
export function imageOf(v3: DossierV3, entree: number): DossierApprenant {
  const naissance = parseCalendarDay(v3.date_de_naissance_apprenant).day;
  const sexe = str(v3.sexe_apprenant);
  return {
    annee_scolaire: String(v3.annee_scolaire),
    id_erp_apprenant: String(v3.id_erp_apprenant),
    etablissement_responsable_uai: String(v3.etablissement_responsable_uai),
    etablissement_responsable_siret: String(v3.etablissement_responsable_siret),
    etablissement_formateur_uai: String(v3.etablissement_formateur_uai),
    etablissement_formateur_siret: String(v3.etablissement_formateur_siret),
    formation_cfd: str(v3.formation_cfd),
    formation_rncp: str(v3.formation_rncp),
    sexe_apprenant: sexe === 'F' || sexe === 'M' ? sexe : null,
    age_entree_formation: ageAt(naissance, entree),
    rqth_apprenant: v3.rqth_apprenant === true,
    apprentissage: v3.apprentissage !== false,
    type_cfa: str(v3.type_cfa),
  } as DossierApprenant;
}

export function recordKeyOf(v3: DossierV3): string {
  return createHash('sha256')
    .update(
      `${String(v3.etablissement_formateur_uai)}|${String(v3.annee_scolaire)}|${String(v3.id_erp_apprenant)}`,
    )
    .digest('hex')
    .slice(0, 32);
}

export function learnerOf(v3: DossierV3, refs: Refs): Learner {
  const { dates } = dossierDatesFromV3(v3);
  const { parcours } = computeParcours(dates);
  const dims = dimensionsOf(imageOf(v3, dates.entree), refs);
  return {
    recordKey: recordKeyOf(v3),
    v3,
    dates,
    parcours,
    intervals: countedIntervals(parcours, dates.entree, dates.fin),
    dims,
    codeCommune: str(v3.code_commune_insee_apprenant) ?? '',
    identite: identiteApprenant({
      nom: String(v3.nom_apprenant).trim(),
      prenom: String(v3.prenom_apprenant).trim(),
      date_de_naissance: isoFromDay(parseCalendarDay(v3.date_de_naissance_apprenant).day),
      ine: str(v3.ine_apprenant),
      email_contact: str(v3.email_contact),
      tel_apprenant: str(v3.tel_apprenant),
    }),
  };
}

export const contributionOf = (l: Learner): Contribution => ({ intervals: l.intervals, dims: l.dims });

/** The `dossiers` row of one version of a learner (identity sealed, base64). */
export function dossierRow(l: Learner, version: number, today: number, dataKey: Buffer, deleted = false) {
  const day = Math.min(Math.max(today, l.dates.entree), l.dates.fin);
  return {
    record_key: l.recordKey,
    version,
    person_key: createHash('sha256')
      .update(`${l.identite.nom}|${l.identite.prenom}|${l.identite.date_de_naissance ?? ''}`)
      .digest('hex')
      .slice(0, 32),
    operation: deleted ? 'DELETE' : version === 1 ? 'CREATE' : 'UPDATE',
    deleted: deleted ? 1 : 0,
    ...l.dims,
    code_commune_insee: l.codeCommune,
    date_entree: isoFromDay(l.dates.entree),
    date_fin: isoFromDay(l.dates.fin),
    statut_en_cours: statusAt(l.parcours, day) as Statut,
    identite_chiffree: sealIdentite(dataKey, l.identite).toString('base64'),
    ingestion_time: '2025-01-01 00:00:00',
  };
}

/** The rows written for one learner version (what the processor writes for it). */
export interface FactRows {
  deltas: DeltaRow[];
  intervals: IntervalRow[];
  dossiers: ReturnType<typeof dossierRow>[];
}

/**
 * Facts of a learner going from `before` (null: new) to `after` (null: deleted), at `version`.
 * `previousSlots` is the number of interval slots the previous version used.
 */
export function factsOf(
  before: Learner | null,
  after: Learner,
  version: number,
  today: number,
  dataKey: Buffer,
  deleted = false,
): FactRows {
  const batch = `batch-${version}`;
  const target = deleted ? null : contributionOf(after);
  return {
    deltas: deltaRows(after.recordKey, version, batch, before ? contributionOf(before) : null, target),
    intervals: intervalRows(after.recordKey, version, target, before ? before.intervals.length : 0),
    dossiers: [dossierRow(after, version, today, dataKey, deleted)],
  };
}

/** Inserts fact rows in blocks of `blockSize` (one INSERT per table and block). */
export async function insertFacts(ch: ClickHouse, rows: FactRows, blockSize = 200_000): Promise<void> {
  for (const [table, list] of [
    ['effectifs_deltas', rows.deltas],
    ['statut_intervalles', rows.intervals],
    ['dossiers', rows.dossiers],
  ] as const) {
    for (let i = 0; i < list.length; i += blockSize) await ch.insert(table, list.slice(i, i + blockSize));
  }
}

export const emptyFacts = (): FactRows => ({ deltas: [], intervals: [], dossiers: [] });

export function appendFacts(into: FactRows, more: FactRows): void {
  for (const r of more.deltas) into.deltas.push(r);
  for (const r of more.intervals) into.intervals.push(r);
  for (const r of more.dossiers) into.dossiers.push(r);
}

export { dayFromIso };
