/**
 * What the alerts need from a learner's encrypted identity (DossierApprenant.identite_chiffree):
 * the birth date (age at the alert date) and the contact details an advisor needs. The identity is
 * the JSON sealed by the connectors with infra/crypto.ts, with the v3 field names
 * (dossier-apprenant-v3.md): nom_apprenant, prenom_apprenant, date_de_naissance_apprenant,
 * ine_apprenant, email_contact, tel_apprenant, adresse_apprenant, code_postal_apprenant,
 * responsable_apprenant_mail1/2. Unknown or missing fields are left out, never guessed.
 */
import { openJson } from '../../infra/crypto';
import { parseCalendarDay, ymdFromDay } from '../status/calendar';

export interface ContactApprenant {
  nom?: string;
  prenom?: string;
  date_de_naissance?: string;
  telephone?: string;
  email?: string;
  adresse?: string;
  code_postal?: string;
  email_responsable?: string;
}

export interface IdentiteLue {
  /** Birth date as a day number, null when absent or unreadable. */
  naissance: number | null;
  contact: ContactApprenant;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined;

/** Decrypts and reads the identity. Throws DecryptionError when it was not sealed with this key. */
export function readIdentite(dataKey: Buffer, sealed: Buffer): IdentiteLue {
  const id = openJson<Record<string, unknown>>(dataKey, sealed) ?? {};
  const rawNaissance = id.date_de_naissance_apprenant ?? id.date_de_naissance;
  let naissance: number | null = null;
  if (rawNaissance !== undefined && rawNaissance !== null && rawNaissance !== '') {
    try {
      naissance = parseCalendarDay(rawNaissance).day;
    } catch {
      naissance = null;
    }
  }
  const contact: ContactApprenant = {
    nom: str(id.nom_apprenant ?? id.nom),
    prenom: str(id.prenom_apprenant ?? id.prenom),
    date_de_naissance: str(rawNaissance),
    telephone: str(id.tel_apprenant ?? id.telephone),
    email: str(id.email_contact ?? id.email),
    adresse: str(id.adresse_apprenant ?? id.adresse),
    code_postal: str(id.code_postal_apprenant),
    email_responsable: str(id.responsable_apprenant_mail1),
  };
  for (const k of Object.keys(contact) as (keyof ContactApprenant)[])
    if (contact[k] === undefined) delete contact[k];
  return { naissance, contact };
}

/** Whole years between a birth day and `day` (both day numbers). */
export function ageAt(naissance: number, day: number): number {
  const b = ymdFromDay(naissance);
  const d = ymdFromDay(day);
  return d.year - b.year - (d.month < b.month || (d.month === b.month && d.day < b.day) ? 1 : 0);
}
