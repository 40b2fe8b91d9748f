/**
 * What an advisor sees of one alert (the list, the SSE stream, the webhook payload, the exports):
 * the young person's contact details opened from the sealed blob, the age at today's date (from the
 * birth date; without it, the age on the alert's day), the commune's and organisation's names, why
 * they were alerted, the follow-up and, when closed, why. Only called for entitled readers, and
 * always with an access-log entry written by the caller.
 */
import { DecryptionError, openJson } from '../../infra/crypto';
import { openIdentiteOrNull } from '../../schemas/identite';
import type { OrganismesReferential } from '../referentiels/organismes';
import { ageAt, dayFromIso, isoFromDay } from '../status/calendar';
import { pourquoi, priorityScore, SITUATION_LIBELLES, type Situation } from './model';
import type { StoredAlert } from './store';

/** One row of an advisor's list (also the CSV/XLSX columns, in this order). */
export interface AlerteVue {
  alerte_id: string;
  etat: 'ouverte' | 'fermee';
  motif: string;
  pourquoi: string;
  statut: string;
  /** AAAA-MM-JJ: first day of the status that raised the alert. */
  statut_depuis: string;
  /** ISO instant the alert was emitted. */
  alerte_le: string;
  /** 0–7: RQTH 4, mineur 2, rupture récente 1 (flags on the alert's day). */
  priorite: number;
  rqth: boolean;
  mineur: boolean;
  rupture_recente: boolean;
  nom: string | null;
  prenom: string | null;
  date_de_naissance: string | null;
  /** At today's date (platform clock). */
  age: number | null;
  telephone: string | null;
  email: string | null;
  email_responsable: string | null;
  adresse: string | null;
  code_postal: string | null;
  code_commune_insee: string | null;
  commune: string | null;
  departement: string | null;
  formation_cfd: string | null;
  formation_libelle: string | null;
  organisme_uai: string;
  organisme_siret: string;
  organisme_nom: string | null;
  mission_locale_id: string;
  mission_locale_nom: string | null;
  situation: Situation;
  situation_libelle: string;
  /** ISO instant of the last follow-up, or null. */
  situation_le: string | null;
  situation_par: string | null;
  commentaire: string | null;
  /** ISO instant the alert was closed, or null. */
  fermee_le: string | null;
  code_fermeture: string | null;
  raison_fermeture: string | null;
}

export const ALERTE_COLUMNS: readonly (keyof AlerteVue)[] = [
  'alerte_id',
  'etat',
  'motif',
  'pourquoi',
  'statut',
  'statut_depuis',
  'alerte_le',
  'priorite',
  'rqth',
  'mineur',
  'rupture_recente',
  'nom',
  'prenom',
  'date_de_naissance',
  'age',
  'telephone',
  'email',
  'email_responsable',
  'adresse',
  'code_postal',
  'code_commune_insee',
  'commune',
  'departement',
  'formation_cfd',
  'formation_libelle',
  'organisme_uai',
  'organisme_siret',
  'organisme_nom',
  'mission_locale_id',
  'mission_locale_nom',
  'situation',
  'situation_libelle',
  'situation_le',
  'situation_par',
  'commentaire',
  'fermee_le',
  'code_fermeture',
  'raison_fermeture',
];

export interface PresentEnv {
  dataKey: Buffer;
  /** Today (day number, platform clock). */
  today: number;
  organismes: OrganismesReferential;
}

let communeNames: Map<string, string> | undefined;
/** Commune names by INSEE code (@etalab/decoupage-administratif; current communes first). */
export function communeName(code: string | null): string | null {
  if (!code) return null;
  if (!communeNames) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const all = require('@etalab/decoupage-administratif/data/communes.json') as {
      code: string;
      nom: string;
      type: string;
    }[];
    communeNames = new Map();
    for (const c of all) if (c.type === 'commune-actuelle') communeNames.set(c.code, c.nom);
    for (const c of all) if (!communeNames.has(c.code)) communeNames.set(c.code, c.nom);
  }
  return communeNames.get(code) ?? null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const orNull = (v: string | null | undefined) => (v === undefined || v === null || v === '' ? null : v);

/** Opens a sealed value; null when it does not open with this key (the caller counts and logs it). */
export function openOrNull<T>(dataKey: Buffer, sealed: Buffer | null): T | null {
  if (!sealed || sealed.length === 0) return null;
  try {
    return openJson<T>(dataKey, sealed);
  } catch (err) {
    if (err instanceof DecryptionError) return null;
    throw err;
  }
}

/** The advisor's view of a stored alert; `unreadable` is true when the contact did not open. */
export function presentAlert(a: StoredAlert, env: PresentEnv): { vue: AlerteVue; unreadable: boolean } {
  const d = a.data;
  // The contact subset of the learner's identity (streams/alerts/rules.ts contactOf).
  const contact = openIdentiteOrNull(env.dataKey, a.contact);
  const commentaire = openOrNull<string>(env.dataKey, a.commentaire);
  let age = d.age;
  if (contact?.date_de_naissance) {
    try {
      age = ageAt(dayFromIso(contact.date_de_naissance), env.today);
    } catch {
      // an unreadable birth date: keep the age on the alert's day
    }
  }
  const org = env.organismes.byUai(d.organisme_uai);
  const organisme = org.find((o) => o.siret === d.organisme_siret) ?? org[0];
  const situation = a.suivi?.situation ?? 'a_contacter';
  return {
    unreadable: contact === null,
    vue: {
      alerte_id: d.alert_id,
      etat: a.etat,
      motif: d.motif,
      pourquoi: pourquoi(d),
      statut: d.statut,
      statut_depuis: isoFromDay(d.depuis),
      alerte_le: iso(d.created_at),
      priorite: priorityScore(d),
      rqth: d.rqth,
      mineur: d.mineur,
      rupture_recente: d.rupture_recente,
      nom: orNull(contact?.nom),
      prenom: orNull(contact?.prenom),
      date_de_naissance: orNull(contact?.date_de_naissance),
      age,
      telephone: orNull(contact?.tel_apprenant),
      email: orNull(contact?.email_contact),
      email_responsable: orNull(contact?.responsable_apprenant_mail1),
      adresse: orNull(contact?.adresse_apprenant),
      code_postal: orNull(contact?.code_postal_apprenant),
      code_commune_insee: d.code_commune_insee,
      commune: communeName(d.code_commune_insee),
      departement: d.departement,
      formation_cfd: d.formation_cfd,
      formation_libelle: d.libelle_court_formation,
      organisme_uai: d.organisme_uai,
      organisme_siret: d.organisme_siret,
      organisme_nom: organisme ? organisme.enseigne || organisme.raison_sociale || null : null,
      mission_locale_id: d.mission_locale_id,
      mission_locale_nom: d.mission_locale_nom,
      situation,
      situation_libelle: SITUATION_LIBELLES[situation],
      situation_le: a.suivi ? iso(a.suivi.at) : null,
      situation_par: a.suivi?.par ?? null,
      commentaire: typeof commentaire === 'string' ? commentaire : null,
      fermee_le: a.fermeture ? iso(a.fermeture.at) : null,
      code_fermeture: a.fermeture?.code ?? null,
      raison_fermeture: a.fermeture?.raison ?? null,
    },
  };
}
