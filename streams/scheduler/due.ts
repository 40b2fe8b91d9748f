/**
 * When a learner's status will next change by the passing of time alone (pure): the next entry of
 * the projected parcours after today, or the day the INSCRIT early warning becomes due, whichever
 * comes first (status-rules.md: ABANDON after 90 or 180 days, FIN_DE_FORMATION, a rupture date
 * reached). The processor keeps this day as the learner's score in the partition's schedule set.
 */
import { inscritWarningDay } from '../alerts/rules';
import type { LearnerState } from '../processor/state';
import { nextChangeAfter } from '../status/engine';

/** The next due day (day number) after `today`, or null when nothing will change any more. */
export function nextDueDay(s: LearnerState, today: number, inscritJours: number): number | null {
  if (!s.parcours || !s.rec) return null;
  const next = nextChangeAfter(s.parcours, today)?.date ?? null;
  const warning =
    s.rec.dims.apprentissage === 1 ? inscritWarningDay(s.parcours, s.rec.fin, today, inscritJours) : null;
  if (next === null) return warning;
  if (warning === null) return next;
  return Math.min(next, warning);
}
