/**
 * The public disclosure control of the indicators (docs/statistical-disclosure-control.md): what
 * an anonymous caller may ask, and how one cell is published. Pure: facts in, published values
 * out; the facts come from api/indicateurs/disclosure-service.ts.
 *
 * A **cell** is one population (the learners counted at a date under a combination of filters,
 * a table row's group being one more filter) at one date. Everything here is decided from that
 * cell's own facts, never from the other cells of the answer, so a cell is published the same way
 * in the single indicator, in every table that contains it and in the series:
 *
 * 1. a population below SEUIL_POPULATION (apprenants + abandons) is not broken down at all;
 * 2. complement rule: for each filter of the combination, the population without that filter
 *    (the parent) minus the cell's population must be 0 or at least SEUIL_POPULATION;
 * 3. every count of a published cell is randomly rounded to base 5 with the population's cell key
 *    (api/secrecy/cell-key.ts), which also makes a zero or "everyone in one status" unprovable;
 * 4. the date of a cell whose population is below SEUIL_QUOTIDIEN is the first day of its month
 *    (effectiveDay): a small population never has a daily figure;
 * 5. the demographic filters are crossed with an organisation or a formation only by authenticated
 *    roles (refusePublicCrossing).
 */
import { dayFromYmd, ymdFromDay } from '../../streams/status';
import { forbidden } from '../errors';
import type { Filters, FilterName } from '../sql/filters';
import { randomRound, uniformOf } from './cell-key';
import { COUNT_FIELDS, type Counts, type Published } from './index';

/** Below this many learners (apprenants + abandons), a cell is not broken down (rule 1), and a complement is too small (rule 2). */
export const SEUIL_POPULATION = 11;
/** Below this many learners, a cell's figures are those of the first day of its month (rule 4). */
export const SEUIL_QUOTIDIEN = 100;

/** The learners a cell counts: apprenants + abandons (status-rules.md, "Counting"). */
export const populationOf = (c: Counts): number => c.apprenants + c.abandons;

/** What one cell is published from. */
export interface CellFacts {
  /** Exact counts at the cell's effective date. */
  counts: Counts;
  /** The population's cell key (cell-key.ts populationKey). */
  key: number;
  /** For each parent named by the request (one filter removed): its population minus the cell's. */
  complements: readonly number[];
}

/** Why a cell is not broken down (null: it is published, rounded). */
export function withheld(f: CellFacts): 'population' | 'complement' | null {
  if (populationOf(f.counts) < SEUIL_POPULATION) return 'population';
  if (f.complements.some((c) => c > 0 && c < SEUIL_POPULATION)) return 'complement';
  return null;
}

/** Every counter hidden. */
export function hiddenCell(): Published {
  const out = { masque: [...COUNT_FIELDS] } as Published;
  for (const f of COUNT_FIELDS) out[f] = null;
  return out;
}

/** One cell as the public sees it: withheld entirely (rules 1, 2), or every count rounded (rule 3). */
export function publishCell(f: CellFacts, secret: Buffer): Published {
  if (withheld(f) !== null) return hiddenCell();
  const n = populationOf(f.counts);
  const out = { masque: [] } as unknown as Published;
  for (const field of COUNT_FIELDS) {
    out[field] = randomRound(f.counts[field], n, uniformOf(secret, f.key, field));
  }
  return out;
}

/** The first day of the month of `day` (day numbers). */
export function monthStart(day: number): number {
  const { year, month } = ymdFromDay(day);
  return dayFromYmd(year, month, 1);
}

/** The date a cell is published at (rule 4): `day` for a population of SEUIL_QUOTIDIEN or more at `day`, else its month's first day. */
export const effectiveDay = (day: number, populationAtDay: number): number =>
  populationAtDay >= SEUIL_QUOTIDIEN ? day : monthStart(day);

/** Filters describing the learner (quasi-identifiers). */
export const DEMOGRAPHIC_FILTERS: readonly FilterName[] = ['sexe', 'tranche_age', 'rqth'];
/** Filters naming one organisation or one formation. */
export const UNIT_FILTERS: readonly FilterName[] = ['uai', 'siret', 'cfd', 'rncp'];
/** Group-bys with one row per organisation or formation. */
export const UNIT_DIMENSIONS: readonly string[] = ['organisme', 'formation'];

/**
 * Rule 5: throws a 403 `CROISEMENT_NON_PUBLIC` naming the demographic filter when a public request
 * crosses it with an organisation or a formation (a filter, or a group-by per organisation or
 * formation): inside one organisation, "the women" or "the RQTH learners" are a handful of
 * identifiable people, and their complement is the rest of the organisation.
 */
export function refusePublicCrossing(filters: Filters, dimension?: string): void {
  const demographic = DEMOGRAPHIC_FILTERS.find((f) => filters[f] !== undefined);
  if (demographic === undefined) return;
  const unit = UNIT_FILTERS.find((f) => filters[f] !== undefined);
  const by = dimension !== undefined && UNIT_DIMENSIONS.includes(dimension) ? dimension : undefined;
  if (unit === undefined && by === undefined) return;
  const what = unit !== undefined ? `le filtre ${unit}` : `le regroupement par ${by}`;
  throw forbidden(
    `${demographic} : croisement non diffusé au public (secret statistique) : les filtres sexe, tranche_age et rqth ne se croisent avec un organisme ou une formation (ici ${what}) que pour un rôle authentifié, dans son périmètre ; sans jeton, retirez ${unit ?? demographic} ou filtrez sur un territoire`,
    demographic,
    'CROISEMENT_NON_PUBLIC',
  );
}
