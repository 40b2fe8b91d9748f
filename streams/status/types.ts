/**
 * Shapes of the status engine. Every date here is a calendar day number: whole days since
 * 1970-01-01 (UTC), see calendar.ts. ISO strings appear only at the edges (from-v3, cli).
 */
import { PermanentError } from '../../infra/errors';

/** A learner's status on one day (status-rules.md, first paragraph). */
export type Statut = 'INSCRIT' | 'APPRENTI' | 'RUPTURANT' | 'ABANDON' | 'FIN_DE_FORMATION';

/** Every status, in the order of status-rules.md. */
export const STATUTS: readonly Statut[] = Object.freeze([
  'INSCRIT',
  'APPRENTI',
  'RUPTURANT',
  'ABANDON',
  'FIN_DE_FORMATION',
] as const);

/** One apprenticeship contract, as dates (day numbers). */
export interface Contrat {
  /** First day of the contract (contrat_date_debut). */
  debut: number;
  /** Planned last day (contrat_date_fin); null: runs to the training end (status-rules.md §2). */
  fin: number | null;
  /** Rupture date (contrat_date_rupture): the contract's last day is the day before. */
  rupture: number | null;
  /**
   * The contract's slot in the v3 record (1 for contrat_*, 2 for contrat_*_2, …), used only to name
   * the field in warnings. Defaults to the contract's position in `contrats` + 1.
   */
  rang?: number;
}

/** The dates of one learner record that the status depends on (day numbers). */
export interface DossierDates {
  /** date_entree_formation. */
  entree: number;
  /** date_fin_formation (inclusive last day of the timeline). */
  fin: number;
  /** date_exclusion_formation, or null. */
  exclusion: number | null;
  /** Up to four contracts in the v3 contract; the engine accepts any number. */
  contrats: Contrat[];
}

/** One change of status: `valeur` applies from day `date` (a day number) until the next entry. */
export interface ParcoursEntry {
  valeur: Statut;
  date: number;
}

/** An inclusive range of days with one status, as written to storage by the stream processor. */
export interface StatutInterval {
  valeur: Statut;
  /** First day (day number, inclusive). */
  debut: number;
  /** Last day (day number, inclusive). */
  fin: number;
}

/**
 * The data of each warning the status module emits (see README.md, fault table), by code. Dates are
 * 'YYYY-MM-DD'; `rang` is the contract's v3 slot (1 for contrat_*, 2 for contrat_*_2, …). The French
 * sentences are not made here: messages.ts renders them at the edges (the connectors' replies,
 * `tdb timeline`), so the engine stays data in, data out.
 */
export interface StatusWarningParams {
  CONTRAT_AVANT_ENTREE: { rang: number; debut: string; entree: string };
  CONTRAT_FIN_AVANT_DEBUT: { rang: number; fin: string; debut: string };
  CONTRAT_APRES_FIN_FORMATION: { rang: number; debut: string; fin_formation: string };
  CONTRAT_SANS_DATE_DEBUT: { rang: number };
  CONTRATS_CHEVAUCHANTS: { rang: number; debut: string };
  RUPTURE_AVANT_DEBUT_CONTRAT: { rang: number; rupture: string; debut: string };
  RUPTURE_JOUR_DEBUT_CONTRAT: { rang: number; debut: string };
  RUPTURE_APRES_FIN_CONTRAT: { rang: number; rupture: string; fin: string };
  RUPTURE_FUTURE: { rang: number; rupture: string; date_reference: string };
  EXCLUSION_AVANT_ENTREE: { exclusion: string; entree: string };
  EXCLUSION_APRES_FIN_FORMATION: { exclusion: string; fin_formation: string };
  /** A date-time whose calendar day in `fuseau` is not the day written: `jour` was chosen. */
  DATE_HEURE_CONVERTIE: { recu: string; jour: string; fuseau: string };
  /**
   * A time part that is not midnight was dropped and `jour` (the day written) kept. `forme`: an
   * Excel serial with a fraction, a date-time without zone, with a non-zero offset (`decalage`),
   * or in UTC.
   */
  DATE_HEURE_IGNOREE: {
    recu: string;
    jour: string;
    forme: 'serie_excel' | 'sans_fuseau' | 'decalage' | 'utc';
    decalage?: string;
  };
}

/** Stable codes of the warnings the status module emits (see README.md, fault table). */
export type StatusWarningCode = keyof StatusWarningParams;

/**
 * Something odd in the input that the module handled in a defined way (README.md, fault table).
 * The record is still usable; the caller shows (messages.ts) or stores the warning.
 */
export type StatusWarning = {
  [C in StatusWarningCode]: {
    /** Stable UPPER_SNAKE code. */
    code: C;
    /** The v3 field concerned, e.g. `contrat_date_rupture_2`. */
    champ: string;
    /** What the message needs (dates, contract slot), language-free. */
    params: StatusWarningParams[C];
  };
}[StatusWarningCode];

/** Why a record cannot be used (see InvalidDossierError). */
export type InvalidDossierCode = 'DOSSIER_NON_OBJET' | 'DATE_REQUISE' | 'DATE_INVALIDE' | 'FIN_AVANT_ENTREE';

/**
 * A record the status cannot be computed for. `field` names the v3 field to fix
 * (e.g. `date_fin_formation`); `message` is French and actionable. Not retriable: the same input
 * fails the same way.
 */
export class InvalidDossierError extends PermanentError {
  override readonly name = 'InvalidDossierError';
  constructor(
    readonly field: string,
    readonly code: InvalidDossierCode,
    message: string,
  ) {
    super(message);
  }
}
