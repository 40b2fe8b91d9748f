/**
 * The straightforward reference for the status engine: status-rules.md applied literally, one
 * calendar day at a time, with the fault decisions of streams/status/README.md.
 *
 * It is deliberately independent of the code under test: dates stay 'YYYY-MM-DD' strings and the
 * calendar is walked with JavaScript's own Date (UTC), not with streams/status/calendar.ts, so the
 * property test checks the engine's rules *and* its day arithmetic (month ends, leap years).
 * Its cost grows with the length of the training; it is the test oracle and the benchmark's
 * baseline, not production code.
 */
import type { Statut } from '../../streams/status/types';

/** A learner's dates as calendar days 'YYYY-MM-DD' (the v3 record's date fields, already normalised). */
export interface ReferenceDossier {
  entree: string;
  fin: string;
  exclusion: string | null;
  contrats: { debut: string; fin: string | null; rupture: string | null }[];
}

/** One day of the timeline. */
export interface ReferenceDay {
  date: string;
  statut: Statut;
  underContract: boolean;
}

interface ReferenceContract {
  debut: string;
  effectiveEnd: string;
  ruptured: boolean;
}

const MS_PER_DAY = 86_400_000;

/** 'YYYY-MM-DD' of a Date at UTC midnight (years 1000–9999). */
function isoOf(date: Date): string {
  const m = date.getUTCMonth() + 1;
  const d = date.getUTCDate();
  return `${date.getUTCFullYear()}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** The calendar day `n` days after `iso` (JavaScript Date arithmetic, UTC). */
export function addDays(iso: string, n: number): string {
  const date = new Date(`${iso}T00:00:00.000Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return isoOf(date);
}

/** Number of days from `a` to `b` (negative when b is before a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00.000Z`) - Date.parse(`${a}T00:00:00.000Z`)) / MS_PER_DAY);
}

/** The status of every day of the timeline, day by day (status-rules.md §1–6). */
export function referenceDays(d: ReferenceDossier): ReferenceDay[] {
  // Fault decisions: drop contracts ending before they start or starting after the training end;
  // ignore an exclusion after the training end. A rupture on or before the contract start is kept:
  // rule 2 makes the effective end the day before it, so the contract covers no day (it still
  // moves the start, rule 1, and can be the terminal contract, rule 5). ISO dates compare as strings.
  const contracts: ReferenceContract[] = [];
  for (const c of d.contrats) {
    if (c.fin !== null && c.fin < c.debut) continue;
    if (c.debut > d.fin) continue;
    // Rule 2: the effective end.
    const effectiveEnd = c.rupture !== null ? addDays(c.rupture, -1) : c.fin !== null ? c.fin : d.fin;
    contracts.push({ debut: c.debut, effectiveEnd, ruptured: c.rupture !== null });
  }
  const exclusion = d.exclusion !== null && d.exclusion <= d.fin ? d.exclusion : null;

  // Rule 1: from the earliest of the entry and every contract start to the training end; all INSCRIT.
  let start = d.entree;
  for (const c of contracts) if (c.debut < start) start = c.debut;
  const days: ReferenceDay[] = [];
  const cursor = new Date(`${start}T00:00:00.000Z`);
  for (let date = start; date <= d.fin; date = isoOf(cursor)) {
    days.push({ date, statut: 'INSCRIT', underContract: false });
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }

  // Rule 2: days covered by a contract are APPRENTI.
  for (const day of days) {
    for (const c of contracts) {
      if (c.debut <= day.date && day.date <= c.effectiveEnd) {
        day.statut = 'APPRENTI';
        day.underContract = true;
      }
    }
  }

  // Rule 3: from the exclusion date to the training end, ABANDON.
  if (exclusion !== null) {
    for (const day of days) if (day.date >= exclusion) day.statut = 'ABANDON';
  }

  // Rule 4: count consecutive days without contract.
  let withoutContract = 0;
  let contractSeen = false;
  for (const day of days) {
    if (day.underContract) {
      withoutContract = 0;
      contractSeen = true;
      continue;
    }
    withoutContract++;
    if (day.statut !== 'INSCRIT') continue;
    if (contractSeen) day.statut = withoutContract > 180 ? 'ABANDON' : 'RUPTURANT';
    else day.statut = withoutContract > 90 ? 'ABANDON' : 'INSCRIT';
  }

  // Rule 5: the terminal contract has the latest effective end; a ruptured one wins a tie.
  let terminal: ReferenceContract | null = null;
  for (const c of contracts) {
    if (
      terminal === null ||
      c.effectiveEnd > terminal.effectiveEnd ||
      (c.effectiveEnd === terminal.effectiveEnd && c.ruptured)
    ) {
      terminal = c;
    }
  }
  const terminalNatural = terminal !== null && !terminal.ruptured;
  if (
    exclusion === null &&
    terminal !== null &&
    terminalNatural &&
    daysBetween(terminal.effectiveEnd, d.fin) <= 60
  ) {
    for (const day of days) {
      if (day.date > terminal.effectiveEnd && (day.statut === 'INSCRIT' || day.statut === 'RUPTURANT')) {
        day.statut = 'FIN_DE_FORMATION';
      }
    }
  }

  // Rule 6: the last day.
  const last = days[days.length - 1]!;
  if (last.statut === 'APPRENTI' || last.statut === 'INSCRIT' || (terminalNatural && exclusion === null)) {
    last.statut = 'FIN_DE_FORMATION';
  }
  return days;
}

/** Rule 7: the parcours, as (status, first day 'YYYY-MM-DD') at each change, computed day by day. */
export function referenceParcours(d: ReferenceDossier): { valeur: Statut; date: string }[] {
  const parcours: { valeur: Statut; date: string }[] = [];
  let previous: Statut | null = null;
  for (const day of referenceDays(d)) {
    if (day.statut !== previous) parcours.push({ valeur: day.statut, date: day.date });
    previous = day.statut;
  }
  return parcours;
}
