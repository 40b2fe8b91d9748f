/** Helpers for the status tests: write dossiers and parcours with ISO dates, read them back the same way. */
import { dayFromIso, isoFromDay } from '../../streams/status/calendar';
import { computeParcours, type ParcoursResult } from '../../streams/status/engine';
import type { DossierDates, ParcoursEntry } from '../../streams/status/types';

/** A contract with ISO dates; omitted fin/rupture mean null. */
export interface IsoContrat {
  debut: string;
  fin?: string | null;
  rupture?: string | null;
  rang?: number;
}

/** A dossier with ISO dates, for worked examples. */
export interface IsoDossier {
  entree: string;
  fin: string;
  exclusion?: string | null;
  contrats?: IsoContrat[];
}

const dayOrNull = (iso: string | null | undefined): number | null =>
  iso === null || iso === undefined ? null : dayFromIso(iso);

/** The DossierDates of an ISO dossier. */
export function dates(d: IsoDossier): DossierDates {
  return {
    entree: dayFromIso(d.entree),
    fin: dayFromIso(d.fin),
    exclusion: dayOrNull(d.exclusion),
    contrats: (d.contrats ?? []).map((c) => ({
      debut: dayFromIso(c.debut),
      fin: dayOrNull(c.fin),
      rupture: dayOrNull(c.rupture),
      ...(c.rang === undefined ? {} : { rang: c.rang }),
    })),
  };
}

/** The parcours as 'STATUT YYYY-MM-DD' strings: compact, readable expectations. */
export function show(parcours: readonly ParcoursEntry[]): string[] {
  return parcours.map((e) => `${e.valeur} ${isoFromDay(e.date)}`);
}

/** computeParcours of an ISO dossier (asOf as ISO too). */
export function run(d: IsoDossier, asOf?: string): ParcoursResult {
  return computeParcours(dates(d), asOf === undefined ? undefined : { asOf: dayFromIso(asOf) });
}

/** The warning codes of a result, with their fields: 'CODE field'. */
export function codes(r: ParcoursResult): string[] {
  return r.warnings.map((w) => `${w.code} ${w.champ}`);
}
