/**
 * Reading the status-relevant dates of a v3 "dossier apprenant" (dossier-apprenant-v3.md).
 * Field names are the v3 ones; every error and warning names the field to fix.
 */
import { CalendarDayError, isBlankDate, parseCalendarDay } from './calendar';
import { computeParcours, type ParcoursResult } from './engine';
import { InvalidDossierError, type Contrat, type DossierDates, type StatusWarning } from './types';

/** Suffixes of the four contract slots of the v3 record: contrat_date_debut, contrat_date_debut_2, … */
export const CONTRAT_SUFFIXES: readonly string[] = Object.freeze(['', '_2', '_3', '_4']);

// Field names built once (constant property keys keep the lookups fast).
const DEBUT_FIELDS = CONTRAT_SUFFIXES.map((s) => `contrat_date_debut${s}`);
const FIN_FIELDS = CONTRAT_SUFFIXES.map((s) => `contrat_date_fin${s}`);
const RUPTURE_FIELDS = CONTRAT_SUFFIXES.map((s) => `contrat_date_rupture${s}`);

/** Options of `dossierDatesFromV3`. */
export interface FromV3Options {
  /** IANA zone in which date-times are read as calendar days (default Europe/Paris; see calendar.ts). */
  zone?: string;
}

/** Result of `dossierDatesFromV3`: the dates as day numbers, and the warnings of their parsing. */
export interface DossierDatesFromV3 {
  dates: DossierDates;
  warnings: StatusWarning[];
}

/** Parses one date field; null when absent; throws InvalidDossierError naming the field. */
function readDay(
  record: Readonly<Record<string, unknown>>,
  field: string,
  warnings: StatusWarning[],
  opts: FromV3Options | undefined,
): number | null {
  const value = record[field];
  if (isBlankDate(value)) return null;
  try {
    const { day, warning } = parseCalendarDay(value, opts);
    if (warning !== undefined) warnings.push({ ...warning, champ: field } as StatusWarning);
    return day;
  } catch (err) {
    if (err instanceof CalendarDayError) {
      throw new InvalidDossierError(field, 'DATE_INVALIDE', `${field} : ${err.message}`);
    }
    throw err;
  }
}

function requireDay(
  record: Readonly<Record<string, unknown>>,
  field: string,
  warnings: StatusWarning[],
  opts: FromV3Options | undefined,
): number {
  const day = readDay(record, field, warnings, opts);
  if (day === null) {
    throw new InvalidDossierError(field, 'DATE_REQUISE', `${field} : date requise (AAAA-MM-JJ)`);
  }
  return day;
}

/**
 * The dates of a v3 record as day numbers: date_entree_formation, date_fin_formation,
 * date_exclusion_formation, and contrat_date_debut / contrat_date_fin / contrat_date_rupture with
 * the _2, _3, _4 variants (each contract keeps its slot in `rang`). Dates are read by
 * `parseCalendarDay` (every ERP shape; time parts give a warning naming the field).
 * A contract slot with an end or rupture but no start is ignored with a CONTRAT_SANS_DATE_DEBUT
 * warning; an empty slot is skipped.
 *
 * Throws InvalidDossierError { field, code, message }: DOSSIER_NON_OBJET (not a JSON object),
 * DATE_REQUISE (entry or end of training missing), DATE_INVALIDE (a date that cannot be read),
 * FIN_AVANT_ENTREE (date_fin_formation before date_entree_formation; status-rules.md needs a
 * training period).
 */
export function dossierDatesFromV3(
  record: Readonly<Record<string, unknown>>,
  opts?: FromV3Options,
): DossierDatesFromV3 {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new InvalidDossierError('(dossier)', 'DOSSIER_NON_OBJET', 'un dossier doit être un objet JSON');
  }
  const warnings: StatusWarning[] = [];
  const entree = requireDay(record, 'date_entree_formation', warnings, opts);
  const fin = requireDay(record, 'date_fin_formation', warnings, opts);
  if (fin < entree) {
    throw new InvalidDossierError(
      'date_fin_formation',
      'FIN_AVANT_ENTREE',
      `date_fin_formation (${String(record.date_fin_formation)}) est antérieure à date_entree_formation (${String(record.date_entree_formation)}) : corrigez l'une des deux dates`,
    );
  }
  const exclusion = readDay(record, 'date_exclusion_formation', warnings, opts);
  const contrats: Contrat[] = [];
  for (let i = 0; i < CONTRAT_SUFFIXES.length; i++) {
    const debutField = DEBUT_FIELDS[i]!;
    const debut = readDay(record, debutField, warnings, opts);
    const cFin = readDay(record, FIN_FIELDS[i]!, warnings, opts);
    const rupture = readDay(record, RUPTURE_FIELDS[i]!, warnings, opts);
    if (debut === null) {
      if (cFin !== null || rupture !== null) {
        warnings.push({ code: 'CONTRAT_SANS_DATE_DEBUT', champ: debutField, params: { rang: i + 1 } });
      }
      continue;
    }
    contrats.push({ debut, fin: cFin, rupture, rang: i + 1 });
  }
  return { dates: { entree, fin, exclusion, contrats }, warnings };
}

/** Options of `parcoursFromV3`. */
export interface ParcoursFromV3Options extends FromV3Options {
  /** The query date (day number), see ComputeParcoursOptions. */
  asOf?: number;
}

/**
 * `dossierDatesFromV3` then `computeParcours`: the dates, the parcours, and the warnings of both
 * (parsing first). Throws InvalidDossierError as `dossierDatesFromV3` does.
 */
export function parcoursFromV3(
  record: Readonly<Record<string, unknown>>,
  opts?: ParcoursFromV3Options,
): ParcoursResult & { dates: DossierDates } {
  const { dates, warnings } = dossierDatesFromV3(record, opts);
  const result = computeParcours(dates, opts);
  return {
    dates,
    parcours: result.parcours,
    warnings: warnings.length === 0 ? result.warnings : warnings.concat(result.warnings),
  };
}
