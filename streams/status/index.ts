/**
 * The status engine's public surface (see README.md). Import from here, not from the files.
 * The CLI (cli.ts) is not re-exported: it does I/O and is wired in bin/tdb.ts.
 */
export type {
  Contrat,
  DossierDates,
  InvalidDossierCode,
  ParcoursEntry,
  Statut,
  StatutInterval,
  StatusWarning,
  StatusWarningCode,
  StatusWarningParams,
} from './types';
export { InvalidDossierError, STATUTS } from './types';
export {
  calendarDayOfInstant,
  CalendarDayError,
  dayFromIso,
  dayFromYmd,
  daysInMonth,
  DEFAULT_TIME_ZONE,
  isBlankDate,
  isLeapYear,
  isoFromDay,
  MAX_DAY,
  MIN_DAY,
  parseCalendarDay,
  parseOptionalCalendarDay,
  ymdFromDay,
} from './calendar';
export type {
  CalendarDay,
  CalendarDayErrorCode,
  CalendarDayWarning,
  ParseCalendarDayOptions,
} from './calendar';
export {
  computeParcours,
  JOURS_RUPTURANT_AVANT_ABANDON,
  JOURS_SANS_CONTRAT_AVANT_ABANDON,
  nextChangeAfter,
  statusAt,
  TOLERANCE_FIN_NATURELLE,
  toIntervals,
} from './engine';
export type { ComputeParcoursOptions, ParcoursResult } from './engine';
export { counterAt, counterOf, COUNTERS } from './indicators';
export type { Classification, Counter } from './indicators';
export { CONTRAT_SUFFIXES, dossierDatesFromV3, parcoursFromV3 } from './from-v3';
export { statusWarningMessage } from './messages';
export type { DossierDatesFromV3, FromV3Options, ParcoursFromV3Options } from './from-v3';
