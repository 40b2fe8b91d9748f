/**
 * Which indicator a status counts in (status-rules.md, "Counting (indicators at date D)"):
 *
 * | status at D       | counter     | counts in apprenants |
 * |-------------------|-------------|----------------------|
 * | APPRENTI          | apprentis   | yes                  |
 * | FIN_DE_FORMATION  | apprentis   | yes                  |
 * | INSCRIT           | inscrits    | yes                  |
 * | RUPTURANT         | rupturants  | yes                  |
 * | ABANDON           | abandons    | no                   |
 *
 * apprenants = apprentis + inscrits + rupturants. Only records whose training period
 * [date_entree_formation, date_fin_formation] covers D count at all (`counterAt`); the organisation
 * reliability filter (valid UAI/SIRET pair) belongs to the callers.
 */
import { statusAt } from './engine';
import type { DossierDates, ParcoursEntry, Statut } from './types';

/** The exclusive counters: every counted learner is in exactly one. */
export type Counter = 'apprentis' | 'inscrits' | 'rupturants' | 'abandons';

/** The counters in display order. */
export const COUNTERS: readonly Counter[] = Object.freeze([
  'apprentis',
  'inscrits',
  'rupturants',
  'abandons',
] as const);

/** Where a status counts: its counter, and whether it also counts in `apprenants`. */
export interface Classification {
  counter: Counter;
  apprenants: boolean;
}

const TABLE: Readonly<Record<Statut, Readonly<Classification>>> = Object.freeze({
  APPRENTI: Object.freeze({ counter: 'apprentis', apprenants: true }),
  FIN_DE_FORMATION: Object.freeze({ counter: 'apprentis', apprenants: true }),
  INSCRIT: Object.freeze({ counter: 'inscrits', apprenants: true }),
  RUPTURANT: Object.freeze({ counter: 'rupturants', apprenants: true }),
  ABANDON: Object.freeze({ counter: 'abandons', apprenants: false }),
});

/**
 * The counter of a status, and whether it counts in apprenants (table above; status-rules.md,
 * "Counting"). Returns a shared frozen object (no allocation). Throws TypeError on an unknown status.
 */
export function counterOf(statut: Statut): Readonly<Classification> {
  const c = TABLE[statut];
  if (c === undefined) throw new TypeError(`unknown status: ${String(statut)}`);
  return c;
}

/**
 * The classification of a learner on day `day` (a day number), or null when the training period
 * [d.entree, d.fin] does not cover that day (such a record does not count; status-rules.md,
 * "Only records whose training period covers D").
 */
export function counterAt(
  d: Pick<DossierDates, 'entree' | 'fin'>,
  parcours: readonly ParcoursEntry[],
  day: number,
): Readonly<Classification> | null {
  if (day < d.entree || day > d.fin) return null;
  return counterOf(statusAt(parcours, day));
}
