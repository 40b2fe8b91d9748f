/**
 * The status engine: from one learner's dates to the parcours (status-rules.md), on day intervals.
 *
 * Pure: no I/O, no clock (the query date is a parameter). The cost is O(k log k) in the number k of
 * contracts and does not depend on the length of the training: the timeline is built as a few
 * intervals (contract runs and the gaps between them), never day by day.
 */
import { isoFromDay } from './calendar';
import {
  InvalidDossierError,
  type DossierDates,
  type ParcoursEntry,
  type Statut,
  type StatusWarning,
  type StatusWarningCode,
  type StatusWarningParams,
  type StatutInterval,
} from './types';

/** status-rules.md §4: a learner with no contract yet becomes ABANDON on gap day 91. */
export const JOURS_SANS_CONTRAT_AVANT_ABANDON = 90;
/** status-rules.md §4: after a contract, RUPTURANT becomes ABANDON on gap day 181. */
export const JOURS_RUPTURANT_AVANT_ABANDON = 180;
/** status-rules.md §5: a natural contract end at most this many days before the training end is no rupture. */
export const TOLERANCE_FIN_NATURELLE = 60;

/** Options of `computeParcours`. */
export interface ComputeParcoursOptions {
  /**
   * The query date (day number). It does not change the parcours (which holds past and projected
   * statuses); it only adds RUPTURE_FUTURE warnings for ruptures dated after it.
   */
  asOf?: number;
}

/** Result of `computeParcours`. */
export interface ParcoursResult {
  /** Changes of status in date order, the first on the timeline's first day; never empty. */
  parcours: ParcoursEntry[];
  /** What was odd in the dates and how it was handled (README.md, fault table). */
  warnings: StatusWarning[];
}

/** Below every day number, and a small integer (keeps the hot variables in V8's fast integer form). */
const NO_DAY = -0x3fffffff;

/** A contract after the fault rules: covered days are [debut, end] (none when end < debut). */
interface Covered {
  debut: number;
  end: number;
  rang: number;
}

function champ(base: string, rang: number): string {
  return rang === 1 ? base : `${base}_${rang}`;
}

function warn<C extends StatusWarningCode>(
  warnings: StatusWarning[],
  code: C,
  champ: string,
  params: StatusWarningParams[C],
): void {
  warnings.push({ code, champ, params } as StatusWarning);
}

function checkDay(value: number, field: string): void {
  if (!Number.isInteger(value)) {
    throw new InvalidDossierError(
      field,
      'DATE_INVALIDE',
      `${field} : numéro de jour entier attendu, reçu ${value}`,
    );
  }
}

/** Appends a change of status unless the status is already the current one. */
function push(parcours: ParcoursEntry[], valeur: Statut, date: number): void {
  const last = parcours.length === 0 ? undefined : parcours[parcours.length - 1];
  if (last === undefined || last.valeur !== valeur) parcours.push({ valeur, date });
}

/**
 * Days `from`..`to` are not under contract, `from` being gap day 1 (status-rules.md §4).
 * Before any contract: INSCRIT, ABANDON from day 91; after one: RUPTURANT, ABANDON from day 181.
 */
function pushGap(parcours: ParcoursEntry[], from: number, to: number, afterContract: boolean): void {
  if (afterContract) {
    push(parcours, 'RUPTURANT', from);
    if (to - from >= JOURS_RUPTURANT_AVANT_ABANDON) {
      push(parcours, 'ABANDON', from + JOURS_RUPTURANT_AVANT_ABANDON);
    }
  } else {
    push(parcours, 'INSCRIT', from);
    if (to - from >= JOURS_SANS_CONTRAT_AVANT_ABANDON) {
      push(parcours, 'ABANDON', from + JOURS_SANS_CONTRAT_AVANT_ABANDON);
    }
  }
}

/**
 * The parcours of one learner: every change of status, past and projected, from the timeline's
 * first day to the training end (status-rules.md §1–7), and the warnings of the fault rules.
 *
 * Input and output dates are day numbers. Faulty dates have a defined outcome (README.md):
 * a contract whose end precedes its start, or that starts after the training end, is ignored;
 * a contract ruptured on or before its start covers no day (§2: its effective end is the day before
 * the rupture; it still moves the start (§1) and can be terminal (§5)); a contract starting before the
 * training moves the timeline's start (§1); overlapping contracts cover the union of their days;
 * an exclusion after the training end is ignored. Each emits a warning.
 *
 * Throws InvalidDossierError when `fin < entree` (field date_fin_formation, FIN_AVANT_ENTREE) or a
 * date is not an integer (DATE_INVALIDE).
 */
export function computeParcours(d: DossierDates, opts?: ComputeParcoursOptions): ParcoursResult {
  const entree = d.entree;
  const fin = d.fin;
  checkDay(entree, 'date_entree_formation');
  checkDay(fin, 'date_fin_formation');
  if (fin < entree) {
    throw new InvalidDossierError(
      'date_fin_formation',
      'FIN_AVANT_ENTREE',
      `date_fin_formation (${isoFromDay(fin)}) est antérieure à date_entree_formation (${isoFromDay(entree)}) : corrigez l'une des deux dates`,
    );
  }
  const asOf = opts?.asOf;
  const warnings: StatusWarning[] = [];

  // Contracts after the fault rules, sorted by start (insertion sort: there are at most four).
  const contrats = d.contrats;
  const covered: Covered[] = []; // kept contracts covering at least one day, sorted by start
  let start = entree; // §1: the earliest of the entry and every (kept) contract start
  let hasTerminal = false; // §5: the contract with the latest effective end, a ruptured one on a tie
  let terminalEnd = 0;
  let terminalRompu = false;
  for (let i = 0; i < contrats.length; i++) {
    const c = contrats[i]!;
    const rang = c.rang ?? i + 1;
    const debut = c.debut;
    const cFin = c.fin;
    const rupture = c.rupture;
    checkDay(debut, champ('contrat_date_debut', rang));
    if (cFin !== null) checkDay(cFin, champ('contrat_date_fin', rang));
    if (rupture !== null) checkDay(rupture, champ('contrat_date_rupture', rang));

    if (cFin !== null && cFin < debut) {
      warn(warnings, 'CONTRAT_FIN_AVANT_DEBUT', champ('contrat_date_fin', rang), {
        rang,
        fin: isoFromDay(cFin),
        debut: isoFromDay(debut),
      });
      continue;
    }
    if (debut > fin) {
      warn(warnings, 'CONTRAT_APRES_FIN_FORMATION', champ('contrat_date_debut', rang), {
        rang,
        debut: isoFromDay(debut),
        fin_formation: isoFromDay(fin),
      });
      continue;
    }
    if (rupture !== null) {
      // §2 applies to every rupture: the effective end is the day before it, so a rupture on or
      // before the start leaves a contract that covers no day (it still counts for §1 and §5).
      if (rupture < debut) {
        warn(warnings, 'RUPTURE_AVANT_DEBUT_CONTRAT', champ('contrat_date_rupture', rang), {
          rang,
          rupture: isoFromDay(rupture),
          debut: isoFromDay(debut),
        });
      } else if (rupture === debut) {
        warn(warnings, 'RUPTURE_JOUR_DEBUT_CONTRAT', champ('contrat_date_rupture', rang), {
          rang,
          debut: isoFromDay(debut),
        });
      }
      if (cFin !== null && rupture > cFin + 1) {
        warn(warnings, 'RUPTURE_APRES_FIN_CONTRAT', champ('contrat_date_rupture', rang), {
          rang,
          rupture: isoFromDay(rupture),
          fin: isoFromDay(cFin),
        });
      }
      if (asOf !== undefined && rupture > asOf) {
        warn(warnings, 'RUPTURE_FUTURE', champ('contrat_date_rupture', rang), {
          rang,
          rupture: isoFromDay(rupture),
          date_reference: isoFromDay(asOf),
        });
      }
    }
    // §2: the effective end.
    const end = rupture !== null ? rupture - 1 : cFin !== null ? cFin : fin;
    if (debut < entree) {
      warn(warnings, 'CONTRAT_AVANT_ENTREE', champ('contrat_date_debut', rang), {
        rang,
        debut: isoFromDay(debut),
        entree: isoFromDay(entree),
      });
      if (debut < start) start = debut;
    }
    if (!hasTerminal || end > terminalEnd || (end === terminalEnd && rupture !== null)) {
      hasTerminal = true;
      terminalEnd = end;
      terminalRompu = rupture !== null;
    }
    if (end >= debut) {
      const item: Covered = { debut, end, rang };
      let j = covered.length;
      covered.push(item);
      while (j > 0 && covered[j - 1]!.debut > debut) {
        covered[j] = covered[j - 1]!;
        j--;
      }
      covered[j] = item;
    }
  }

  let exclusion = d.exclusion;
  if (exclusion !== null) {
    checkDay(exclusion, 'date_exclusion_formation');
    if (exclusion > fin) {
      warn(warnings, 'EXCLUSION_APRES_FIN_FORMATION', 'date_exclusion_formation', {
        exclusion: isoFromDay(exclusion),
        fin_formation: isoFromDay(fin),
      });
      exclusion = null;
    } else if (exclusion < entree) {
      warn(warnings, 'EXCLUSION_AVANT_ENTREE', 'date_exclusion_formation', {
        exclusion: isoFromDay(exclusion),
        entree: isoFromDay(entree),
      });
    }
  }
  // Days after `limit` are ABANDON by exclusion (§3); days up to it follow §2, §4 and §5.
  const limit = exclusion === null ? fin : Math.min(fin, exclusion - 1);

  const parcours: ParcoursEntry[] = [];
  let cur = start; // first day not yet assigned
  let afterContract = false;
  let maxEnd = NO_DAY; // latest covered day of the contracts seen so far
  let runStart = 0;
  let runEnd = NO_DAY;
  for (let k = 0; k <= covered.length; k++) {
    const c = k < covered.length ? covered[k]! : undefined;
    if (c !== undefined) {
      if (c.debut <= maxEnd) {
        warn(warnings, 'CONTRATS_CHEVAUCHANTS', champ('contrat_date_debut', c.rang), {
          rang: c.rang,
          debut: isoFromDay(c.debut),
        });
      }
      if (c.end > maxEnd) maxEnd = c.end;
      if (c.debut <= runEnd + 1) {
        if (c.end > runEnd) runEnd = c.end;
        continue;
      }
    }
    // Close the run [runStart, runEnd] of consecutive contract days (§2), after the gap before it (§4).
    if (runEnd >= runStart && runStart <= limit) {
      if (cur < runStart) pushGap(parcours, cur, runStart - 1, afterContract);
      push(parcours, 'APPRENTI', runStart);
      cur = (runEnd < limit ? runEnd : limit) + 1;
      afterContract = true;
    }
    if (c !== undefined) {
      runStart = c.debut;
      runEnd = c.end;
    }
  }
  if (cur <= limit) {
    // The trailing gap. §5: after a terminal contract that ended naturally at most 60 days before the
    // training end, with no exclusion, it is FIN_DE_FORMATION (it is shorter than 180 days, so it
    // holds only RUPTURANT days, and it starts the day after the terminal contract's end).
    if (exclusion === null && hasTerminal && !terminalRompu && fin - terminalEnd <= TOLERANCE_FIN_NATURELLE) {
      push(parcours, 'FIN_DE_FORMATION', cur);
    } else {
      pushGap(parcours, cur, limit, afterContract);
    }
  }
  if (exclusion !== null) push(parcours, 'ABANDON', exclusion > start ? exclusion : start); // §3

  // §6: the last day.
  const last = parcours[parcours.length - 1]!;
  if (
    last.valeur !== 'FIN_DE_FORMATION' &&
    (last.valeur === 'APPRENTI' ||
      last.valeur === 'INSCRIT' ||
      (exclusion === null && hasTerminal && !terminalRompu))
  ) {
    if (last.date < fin) {
      parcours.push({ valeur: 'FIN_DE_FORMATION', date: fin });
    } else if (parcours.length > 1 && parcours[parcours.length - 2]!.valeur === 'FIN_DE_FORMATION') {
      parcours.pop();
    } else {
      last.valeur = 'FIN_DE_FORMATION';
    }
  }
  return { parcours, warnings };
}

/**
 * The status on day `day` (a day number): the value of the last entry dated on or before it, or
 * INSCRIT before the first entry (status-rules.md, "status at date D"). `parcours` must be in date
 * order, as `computeParcours` returns it.
 */
export function statusAt(parcours: readonly ParcoursEntry[], day: number): Statut {
  for (let i = parcours.length - 1; i >= 0; i--) {
    const e = parcours[i]!;
    if (e.date <= day) return e.valeur;
  }
  return 'INSCRIT';
}

/**
 * The first parcours entry dated strictly after `day` (a day number), or null when the status will
 * not change any more. The stream processor schedules its next re-evaluation of the learner on that
 * entry's date: statuses change by the passing of time (status-rules.md, Mission Locale section).
 */
export function nextChangeAfter(parcours: readonly ParcoursEntry[], day: number): ParcoursEntry | null {
  for (let i = 0; i < parcours.length; i++) {
    const e = parcours[i]!;
    if (e.date > day) return e;
  }
  return null;
}

/**
 * The parcours as inclusive day ranges, from the first entry to the training end `fin` (a day
 * number): consecutive, without gaps or overlaps, one per entry. Entries dated after `fin` are
 * dropped (computeParcours never produces them). Empty parcours → [].
 */
export function toIntervals(parcours: readonly ParcoursEntry[], fin: number): StatutInterval[] {
  const out: StatutInterval[] = [];
  for (let i = 0; i < parcours.length; i++) {
    const e = parcours[i]!;
    if (e.date > fin) break;
    const next = i + 1 < parcours.length ? parcours[i + 1]! : undefined;
    out.push({
      valeur: e.valeur,
      debut: e.date,
      fin: next !== undefined && next.date <= fin ? next.date - 1 : fin,
    });
  }
  return out;
}
