/**
 * Identity of records and persons (dossier-apprenant-v3.md, "Identity"; real-world-faults.md,
 * kind 1). Names never appear in a key: the record key is made of codes, the person key is a keyed
 * hash.
 */
import { createHmac } from 'node:crypto';
import { isoFromDay } from '../../streams/status/calendar';
import type { NormalisedDossier } from './normalise';

/**
 * `${etablissement_formateur_uai}:${annee_scolaire}:${id_erp_apprenant}`: the organisation the
 * learner counts for (the formateur), the school year, the ERP's id. The Kafka key of every event
 * of the record.
 */
export function recordKey(formateurUai: string, anneeScolaire: string, idErp: string): string {
  return `${formateurUai}:${anneeScolaire}:${idErp}`;
}

/**
 * HMAC-SHA256 (hex) with `secret` (TDB_PERSON_KEY_SECRET) of the INE when present
 * ("ine:<INE>"), else of the comparison forms of nom and prénom and the ISO birth date
 * ("npd:<nom>|<prénom>|<AAAA-MM-JJ>"). Null when neither can be formed (no INE, no birth date):
 * the pipeline then keeps the record's previous person key.
 */
export function personKey(
  secret: string,
  d: Pick<NormalisedDossier, 'identite' | 'nomComparable' | 'prenomComparable' | 'naissance'>,
): string | null {
  if (d.identite.ine) return hmacHex(secret, `ine:${d.identite.ine}`);
  return personKeyFromNames(secret, d);
}

/** The person key from names and birth date only (the INE ignored), or null without a birth date. */
export function personKeyFromNames(
  secret: string,
  d: Pick<NormalisedDossier, 'nomComparable' | 'prenomComparable' | 'naissance'>,
): string | null {
  if (d.naissance === null) return null;
  return hmacHex(secret, `npd:${d.nomComparable}|${d.prenomComparable}|${isoFromDay(d.naissance)}`);
}

const hmacHex = (secret: string, material: string) =>
  createHmac('sha256', secret).update(material).digest('hex');
