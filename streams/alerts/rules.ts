/**
 * Who the Mission Locale must hear about (status-rules.md, last section; issue 5): the rules are
 * pure, the stream processor and its scheduler call them on each change of a learner's status and
 * on the due days the scheduler keeps.
 *
 * A learner's current status run (the parcours entry in force today, within the training) raises:
 *  - RUPTURE when it is RUPTURANT and the RUPTURANT run, as projected by the parcours, lasts more
 *    than the grace (TDB_ALERTE_RUPTURE_GRACE_JOURS, default 7 days). False ruptures
 *    (real-world-faults.md kind 6): a contract ending naturally shortly before the training end is
 *    already FIN_DE_FORMATION for the status engine; a one-day gap between two contracts (same
 *    employer or not) is a RUPTURANT run of one day and raises nothing;
 *  - ABANDON when it is ABANDON;
 *  - INSCRIT_SANS_CONTRAT when it is INSCRIT and has lasted TDB_ALERTE_INSCRIT_JOURS days (default 60)
 *    or more (the alert fires on day 61 of the run).
 * Only for learners aged 16 to 25 on the alert day, or with RQTH at any age. Priority flags: rqth,
 * mineur (16–17), rupture_recente (a RUPTURANT run started less than 180 days ago).
 * Routing: the Mission Locale of the commune of residence, else `unassigned-<département>`.
 */
import { createHash } from 'node:crypto';
import type { FrApprentissageTdb } from '../../schemas/generated/DropoutAlert';
import {
  identiteApprenant,
  openIdentite,
  sealIdentite,
  type IdentiteApprenant,
} from '../../schemas/identite';
import { ageAt, CalendarDayError, dayFromIso } from '../status/calendar';
import type { ParcoursEntry, Statut } from '../status/types';
import { unassignedQueue, type MissionsLocalesReferential } from './missions-locales';

export type DropoutAlert = FrApprentissageTdb.DropoutAlert;
export type MotifAlerte = FrApprentissageTdb.MotifAlerte;

export interface AlertSettings {
  /** Days INSCRIT without contract before the early warning (default 60). */
  inscritJours: number;
  /** A RUPTURANT run of at most this many days raises no alert (default 7). */
  ruptureGraceJours: number;
  missionsLocales: MissionsLocalesReferential;
  /** Key of identite_chiffree and of contact_chiffre (infra/secrets.ts dataKey). */
  dataKey: Buffer;
  departementOfCommune(codeCommune: string): string | undefined;
}

/** A rupture younger than this (days) is a priority. */
export const RUPTURE_RECENTE_JOURS = 180;
export const AGE_MIN = 16;
export const AGE_MAX = 25;

export interface AlertCandidate {
  alert_id: string;
  motif: MotifAlerte;
  statut: Statut;
  /** First day of the status run (day number). */
  depuis: number;
}

/** Deterministic id: the same record, reason and status start always give the same alert. */
export function alertId(recordKey: string, motif: MotifAlerte, depuis: number): string {
  return createHash('sha256').update(`${recordKey}|${motif}|${depuis}`).digest('hex').slice(0, 32);
}

/** The entry in force on `day` and the date its run ends (exclusive). */
function runAt(
  parcours: readonly ParcoursEntry[],
  fin: number,
  day: number,
): { entry: ParcoursEntry; end: number } | undefined {
  for (let i = parcours.length - 1; i >= 0; i--) {
    const e = parcours[i]!;
    if (e.date <= day) return { entry: e, end: i + 1 < parcours.length ? parcours[i + 1]!.date : fin + 1 };
  }
  return undefined;
}

/**
 * The alert the learner's status run on `today` calls for, before eligibility (age, RQTH), or null.
 * Only within the training (`today` ≤ `fin`, the training end day number).
 */
export function alertCandidate(
  recordKey: string,
  parcours: readonly ParcoursEntry[],
  fin: number,
  today: number,
  s: Pick<AlertSettings, 'inscritJours' | 'ruptureGraceJours'>,
): AlertCandidate | null {
  if (today > fin) return null;
  const run = runAt(parcours, fin, today);
  if (!run) return null;
  const { entry, end } = run;
  let motif: MotifAlerte | null = null;
  if (entry.valeur === 'RUPTURANT' && end - entry.date > s.ruptureGraceJours) motif = 'RUPTURE';
  else if (entry.valeur === 'ABANDON') motif = 'ABANDON';
  else if (entry.valeur === 'INSCRIT' && today - entry.date >= s.inscritJours) motif = 'INSCRIT_SANS_CONTRAT';
  return motif
    ? { alert_id: alertId(recordKey, motif, entry.date), motif, statut: entry.valeur, depuis: entry.date }
    : null;
}

/**
 * The day after `today` on which the INSCRIT early warning becomes due for the run in force today,
 * or null (not INSCRIT, already due, or the run ends before).
 */
export function inscritWarningDay(
  parcours: readonly ParcoursEntry[],
  fin: number,
  today: number,
  inscritJours: number,
): number | null {
  const run = runAt(parcours, fin, today);
  if (!run || run.entry.valeur !== 'INSCRIT') return null;
  const due = run.entry.date + inscritJours;
  return due > today && due < run.end && due <= fin ? due : null;
}

/** The learner facts an alert is built from. */
export interface AlertSubject {
  record_key: string;
  person_key: string | null;
  parcours: readonly ParcoursEntry[];
  rqth: boolean;
  /** Age at training entry (DossierApprenant.age_entree_formation), the fallback when the birth date is unknown. */
  age_entree: number | null;
  entree: number;
  commune: string | null;
  /** Département of the training organisation (fallback of the unassigned queue). */
  departement_organisme: string;
  formation_cfd: string | null;
  libelle: string | null;
  organisme_uai: string;
  organisme_siret: string;
  /** identite_chiffree (schemas/identite.ts). */
  identite: Buffer;
}

/**
 * What an advisor gets of a learner's identity, sealed into the alert's contact_chiffre: the
 * names, the birth date, the phone, the e-mails of the learner and of the first legal guardian,
 * the address. The INE, the birth place and the référent handicap stay out (data minimisation).
 */
export function contactOf(id: IdentiteApprenant): IdentiteApprenant {
  return identiteApprenant({
    nom: id.nom,
    prenom: id.prenom,
    date_de_naissance: id.date_de_naissance,
    tel_apprenant: id.tel_apprenant,
    email_contact: id.email_contact,
    responsable_apprenant_mail1: id.responsable_apprenant_mail1,
    adresse_apprenant: id.adresse_apprenant,
    code_postal_apprenant: id.code_postal_apprenant,
  });
}

/** The birth date of an identity as a day number, or null (absent or not a day). */
function naissanceOf(id: IdentiteApprenant): number | null {
  if (id.date_de_naissance === null) return null;
  try {
    return dayFromIso(id.date_de_naissance);
  } catch (err) {
    if (err instanceof CalendarDayError) return null;
    throw err;
  }
}

/**
 * The DropoutAlert for a candidate, or null when the learner is not eligible (not 16–25 on the
 * alert day and no RQTH; unknown age without RQTH). `today` is the alert day; `nowMs` its instant.
 * Throws DecryptionError or IdentiteIllisibleError (schemas/identite.ts) when the identity does not
 * open with the data key.
 */
export function buildAlert(
  c: AlertCandidate,
  who: AlertSubject,
  today: number,
  nowMs: number,
  s: AlertSettings,
): DropoutAlert | null {
  const identite = openIdentite(s.dataKey, who.identite);
  const naissance = naissanceOf(identite);
  const age =
    naissance !== null
      ? ageAt(naissance, today)
      : who.age_entree !== null
        ? who.age_entree + Math.floor((today - who.entree) / 365.25)
        : null;
  const inAgeRange = age !== null && age >= AGE_MIN && age <= AGE_MAX;
  if (!inAgeRange && !who.rqth) return null;
  const ml = who.commune ? s.missionsLocales.ofCommune(who.commune) : undefined;
  const departement =
    (who.commune && s.departementOfCommune(who.commune)) || who.departement_organisme || undefined;
  const ruptureRecente = who.parcours.some(
    (e) => e.valeur === 'RUPTURANT' && e.date <= today && today - e.date < RUPTURE_RECENTE_JOURS,
  );
  return {
    alert_id: c.alert_id,
    record_key: who.record_key,
    person_key: who.person_key,
    mission_locale_id: ml ? ml.id : unassignedQueue(departement),
    mission_locale_nom: ml ? ml.nom : null,
    motif: c.motif,
    statut: c.statut,
    depuis: c.depuis,
    rqth: who.rqth,
    mineur: age !== null && age >= AGE_MIN && age < 18,
    rupture_recente: ruptureRecente,
    age,
    code_commune_insee: who.commune,
    departement: departement ?? null,
    formation_cfd: who.formation_cfd,
    libelle_court_formation: who.libelle,
    organisme_uai: who.organisme_uai,
    organisme_siret: who.organisme_siret,
    contact_chiffre: sealIdentite(s.dataKey, contactOf(identite)),
    created_at: nowMs,
  };
}
