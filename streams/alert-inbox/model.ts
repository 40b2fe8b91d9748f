/**
 * The alert service's domain, pure (no I/O, time is a parameter): what an advisor's alert is, its
 * follow-up situations, its urgency score and order, and when a learner's status transition closes
 * it (issue 7). Sources: status-rules.md ("Who the Mission Locale must hear about": priority RQTH,
 * minors, ruptures less than 180 days old) and the DropoutAlert / LearnerStatusTransition schemas.
 */
import { isoFromDay } from '../status/calendar';
import type { DropoutAlert } from '../../schemas/generated/DropoutAlert';
import type { LearnerStatusTransition } from '../../schemas/generated/LearnerStatusTransition';

/** The advisor's follow-up situations (PATCH …/alertes/{id}). `a_contacter` is the initial one. */
export const SITUATIONS = [
  'a_contacter',
  'contacte',
  'rdv_fixe',
  'sans_reponse',
  'retour_formation',
  'pas_interesse',
  'autre',
] as const;
export type Situation = (typeof SITUATIONS)[number];

export const SITUATION_LIBELLES: Record<Situation, string> = {
  a_contacter: 'à contacter',
  contacte: 'contacté',
  rdv_fixe: 'rendez-vous fixé',
  sans_reponse: 'sans réponse',
  retour_formation: 'retour en formation',
  pas_interesse: 'pas intéressé',
  autre: 'autre',
};

export type EtatAlerte = 'ouverte' | 'fermee';

/** Why an alert was closed. */
export type CodeFermeture = 'NOUVEAU_CONTRAT' | 'FIN_DE_FORMATION' | 'REMPLACEE' | 'EXPIREE';

export interface Fermeture {
  code: CodeFermeture;
  /** What the advisor reads, e.g. "nouveau contrat signé, en cours depuis le 10/03/2025". */
  raison: string;
  /** Closing instant (epoch ms): the transition's detected_at, the new alert's created_at, or the sweep's now. */
  at: number;
  /** The transition (event_id) or the alert (alert_id) that closed it. */
  par: string;
  /** Effective day of the closing status (day number), when a transition closed it. */
  effective_date?: number;
}

/**
 * The non-personal part of an alert, kept in clear (hash field `d`): everything of the DropoutAlert
 * except `contact_chiffre`, which is stored as received (sealed) and opened only for an entitled
 * reader.
 */
export type AlertData = Omit<DropoutAlert, 'contact_chiffre'>;

/** The advisor's current follow-up (hash field `s`). */
export interface Suivi {
  situation: Situation;
  /** Epoch ms (platform clock). */
  at: number;
  /** Token subject of the advisor (or "systeme"). */
  par: string;
  role: string;
}

/** One entry of an alert's history (list `historique:<id>`); comments are sealed (base64). */
export type HistoryEntry =
  | { type: 'creation'; at: number; par: 'systeme' }
  | {
      type: 'suivi';
      at: number;
      par: string;
      role: string;
      situation: Situation;
      /** base64 of sealJson(dataKey, comment) or null. */
      commentaire: string | null;
    }
  | { type: 'reprise'; at: number; par: 'systeme'; de: string; situation: Situation }
  | { type: 'fermeture'; at: number; par: 'systeme'; fermeture: Fermeture };

/** Priority flags of an alert, as decided when it was emitted (stable: the list's order does not move by itself). */
export interface Priorite {
  rqth: boolean;
  mineur: boolean;
  rupture_recente: boolean;
}

/**
 * The urgency score: RQTH (4) before minors (2) before a recent rupture (1); 0 = no priority flag.
 * The weights make the order lexicographic on (rqth, mineur, rupture_recente).
 */
export function priorityScore(p: Priorite): number {
  return (p.rqth ? 4 : 0) + (p.mineur ? 2 : 0) + (p.rupture_recente ? 1 : 0);
}

const TWO_32 = 2 ** 32;

/**
 * The order of an advisor's list as one sorted-set score (higher first): priority score, then the
 * day the status began (a rupture of yesterday before one of last month), then the alert's emission
 * second. 3 + 16 + 32 bits: exact in a double. Days must be in 0..65535 (1970–2149).
 */
export function orderScore(
  a: Pick<AlertData, 'rqth' | 'mineur' | 'rupture_recente' | 'depuis' | 'created_at'>,
): number {
  const day = Math.min(65_535, Math.max(0, a.depuis));
  const second = Math.min(TWO_32 - 1, Math.max(0, Math.floor(a.created_at / 1000)));
  return (priorityScore(a) * 65_536 + day) * TWO_32 + second;
}

/** dd/mm/yyyy of a day number (what a French advisor reads). */
export function frenchDate(day: number): string {
  const [y, m, d] = isoFromDay(day).split('-');
  return `${d}/${m}/${y}`;
}

/** Why the young person was alerted, in words. */
export function pourquoi(a: Pick<AlertData, 'motif' | 'depuis'>): string {
  const le = frenchDate(a.depuis);
  switch (a.motif) {
    case 'RUPTURE':
      return `rupture du contrat d'apprentissage, sans nouveau contrat depuis le ${le}`;
    case 'ABANDON':
      return `abandon de la formation (sans contrat ni formation depuis le ${le})`;
    case 'INSCRIT_SANS_CONTRAT':
      return `inscrit en formation sans contrat d'apprentissage depuis le ${le}`;
  }
}

/** Statuses whose announcement closes the open alerts of the record (the young person is no longer to contact). */
export const CLOSING_STATUSES = ['APPRENTI', 'FIN_DE_FORMATION'] as const;

/** The closure a transition would bring, or null when its status does not close alerts. */
export function closureOf(t: LearnerStatusTransition): Fermeture | null {
  const base = { at: t.detected_at, par: t.event_id, effective_date: t.effective_date };
  if (t.to === 'APPRENTI')
    return {
      code: 'NOUVEAU_CONTRAT',
      raison: `nouveau contrat signé, en cours depuis le ${frenchDate(t.effective_date)}`,
      ...base,
    };
  if (t.to === 'FIN_DE_FORMATION')
    return {
      code: 'FIN_DE_FORMATION',
      raison: `formation terminée le ${frenchDate(t.effective_date)}`,
      ...base,
    };
  return null;
}

/**
 * Whether a closing transition comes after the alert, so that it closes it. Alerts and transitions
 * travel on two topics, so their relative order of arrival is not guaranteed; both carry the
 * processor's clock, and the processor emits an alert only for the status in force when it
 * decides it. Hence: detected after the alert was created → later; detected at the same instant
 * (same processor batch, or a fixed TDB_CLOCK) → later when its effective day is not before the
 * alert's status began; detected before → it was already known when the alert was decided: earlier.
 * Mirrored in the Lua scripts (scripts.ts).
 */
export function closesAlert(
  t: { detected_at: number; effective_date: number },
  a: { created_at: number; depuis: number },
): boolean {
  return t.detected_at > a.created_at || (t.detected_at === a.created_at && t.effective_date >= a.depuis);
}

/** The closure of an open alert superseded by a newer alert of the same record. */
export function supersededBy(
  next: Pick<AlertData, 'alert_id' | 'motif' | 'depuis' | 'created_at'>,
): Fermeture {
  const what = { RUPTURE: 'rupture', ABANDON: 'abandon', INSCRIT_SANS_CONTRAT: 'inscrit sans contrat' }[
    next.motif
  ];
  return {
    code: 'REMPLACEE',
    raison: `remplacée par une nouvelle alerte (${what} depuis le ${frenchDate(next.depuis)})`,
    at: next.created_at,
    par: next.alert_id,
  };
}

/** The closure of an alert left open longer than the expiry (TDB_ALERTES_EXPIRATION_JOURS). */
export function expired(nowMs: number, jours: number): Fermeture {
  return {
    code: 'EXPIREE',
    raison: `expirée : ouverte depuis plus de ${jours} jours sans nouvelle information`,
    at: nowMs,
    par: 'systeme',
  };
}

/** The non-personal fields of a DropoutAlert (the contact stays sealed, apart). */
export function alertData(a: DropoutAlert): AlertData {
  const data: Partial<DropoutAlert> = { ...a };
  delete data.contact_chiffre;
  return data as AlertData;
}
