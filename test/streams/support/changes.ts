/**
 * Test helper: valid DossierApprenantChange events built from the simulation's v3 records
 * (connectors/simulation) without the connectors' code (issue 4 builds those in parallel): a
 * minimal normalisation of the v3 record into the DossierApprenant image, the identity sealed with
 * the platform's data key, and Kafka production through the namespace's Avro codec.
 */
import { createHash } from 'node:crypto';
import type { Context } from '../../../infra/context';
import { sealJson } from '../../../infra/crypto';
import { ACKS_ALL, createIdempotentProducer } from '../../../infra/kafka/client';
import type {
  DossierApprenantChange,
  FrApprentissageTdb,
} from '../../../schemas/generated/DossierApprenantChange';
import type { TransmissionReport } from '../../../schemas/generated/TransmissionReport';
import { isoFromDay, parseCalendarDay } from '../../../streams/status/calendar';

export type DossierApprenant = FrApprentissageTdb.DossierApprenant;
export type Operation = FrApprentissageTdb.Operation;

const SUFFIXES = ['', '_2', '_3', '_4'];
const day = (v: unknown): number => parseCalendarDay(v).day;
const optDay = (v: unknown): number | null => (v === undefined || v === null || v === '' ? null : day(v));
const digitsOnly = (v: unknown) => String(v ?? '').replace(/\D/g, '');

/** The identity as the connectors seal it (v3 field names). */
export interface Identite {
  nom_apprenant: string;
  prenom_apprenant: string;
  date_de_naissance_apprenant: string | null;
  email_contact?: string;
  tel_apprenant?: string;
}

/** A v3 record (as generateDossiers yields it) → the normalised image, identity sealed with `dataKey`. */
export function imageFromV3(v: Record<string, unknown>, dataKey: Buffer): DossierApprenant {
  const naissance = optDay(v.date_de_naissance_apprenant);
  const entree = day(v.date_entree_formation);
  const sexe = String(v.sexe_apprenant ?? '');
  const rncp = v.formation_rncp ? String(v.formation_rncp) : null;
  const identite: Identite = {
    nom_apprenant: String(v.nom_apprenant ?? '').trim(),
    prenom_apprenant: String(v.prenom_apprenant ?? '').trim(),
    date_de_naissance_apprenant: naissance === null ? null : isoFromDay(naissance),
    email_contact: v.email_contact as string | undefined,
    tel_apprenant: v.tel_apprenant as string | undefined,
  };
  const contrats: FrApprentissageTdb.Contrat[] = [];
  for (const s of SUFFIXES) {
    const debut = optDay(v[`contrat_date_debut${s}`]);
    if (debut === null) continue;
    contrats.push({
      date_debut: debut,
      date_fin: optDay(v[`contrat_date_fin${s}`]),
      date_rupture: optDay(v[`contrat_date_rupture${s}`]),
      cause_rupture: (v[`cause_rupture_contrat${s}`] as string | undefined) ?? null,
      siret_employeur: (v[`siret_employeur${s}`] as string | undefined) ?? null,
    });
  }
  return {
    annee_scolaire: String(v.annee_scolaire),
    id_erp_apprenant: String(v.id_erp_apprenant),
    etablissement_responsable_uai: String(v.etablissement_responsable_uai),
    etablissement_responsable_siret: digitsOnly(v.etablissement_responsable_siret),
    etablissement_formateur_uai: String(v.etablissement_formateur_uai),
    etablissement_formateur_siret: digitsOnly(v.etablissement_formateur_siret),
    etablissement_lieu_de_formation_uai: null,
    etablissement_lieu_de_formation_siret: null,
    etablissement_lieu_de_formation_code_postal: null,
    sexe_apprenant: sexe === 'F' || sexe === '2' ? 'F' : sexe ? 'M' : null,
    age_entree_formation: naissance === null ? null : Math.floor((entree - naissance) / 365.25),
    rqth_apprenant: v.rqth_apprenant === true,
    date_rqth_apprenant: null,
    code_postal_apprenant: (v.code_postal_apprenant as string | undefined) ?? null,
    code_commune_insee_apprenant: (v.code_commune_insee_apprenant as string | undefined) ?? null,
    nir_present: false,
    formation_cfd: (v.formation_cfd as string | undefined) ?? null,
    formation_rncp: rncp === null ? null : rncp.startsWith('RNCP') ? rncp : `RNCP${rncp}`,
    libelle_court_formation: (v.libelle_court_formation as string | undefined) ?? null,
    annee_formation: (v.annee_formation as number | undefined) ?? null,
    duree_theorique_formation_mois: null,
    formation_presentielle: null,
    obtention_diplome_formation: null,
    date_obtention_diplome_formation: null,
    date_inscription_formation: day(v.date_inscription_formation),
    date_entree_formation: entree,
    date_fin_formation: day(v.date_fin_formation),
    date_exclusion_formation: optDay(v.date_exclusion_formation),
    cause_exclusion_formation: (v.cause_exclusion_formation as string | undefined) ?? null,
    contrats,
    statut_apprenant: (v.statut_apprenant as number | undefined) ?? null,
    custom_statut_apprenant: null,
    date_metier_mise_a_jour_statut: null,
    derniere_situation: null,
    dernier_organisme_uai: null,
    type_cfa: null,
    apprentissage: true,
    identite_chiffree: sealJson(dataKey, identite),
    avertissements: [],
  };
}

export const recordKeyOf = (
  d: Pick<DossierApprenant, 'etablissement_formateur_uai' | 'annee_scolaire' | 'id_erp_apprenant'>,
) => `${d.etablissement_formateur_uai}:${d.annee_scolaire}:${d.id_erp_apprenant}`;

/** A change event of `image` (or of `recordKey` for a DELETE without image). Deterministic ids. */
export function changeEvent(
  op: Operation,
  version: number,
  image: DossierApprenant | null,
  opts: { recordKey?: string; at?: number; organisme?: { uai: string; siret: string } } = {},
): DossierApprenantChange {
  const recordKey = opts.recordKey ?? (image ? recordKeyOf(image) : '');
  const at = opts.at ?? Date.UTC(2025, 0, 15);
  return {
    event_id: createHash('sha256').update(`${recordKey}|${version}`).digest('hex').slice(0, 32),
    operation: op,
    record_key: recordKey,
    person_key: createHash('sha256').update(`person|${recordKey}`).digest('hex'),
    version,
    source: {
      connector: 'test',
      erp: null,
      organisme_uai:
        image?.etablissement_formateur_uai ?? opts.organisme?.uai ?? recordKey.split(':')[0] ?? '',
      organisme_siret: image?.etablissement_formateur_siret ?? opts.organisme?.siret ?? '',
    },
    event_time: at,
    ingestion_time: at,
    changed_fields: [],
    after: op === 'DELETE' ? null : image,
  };
}

/**
 * Produces `events` to the namespace's change topic (and to the compacted `latest` topic when
 * `latest`), keyed by record_key, in order. `onProgress` gets the count sent.
 */
export async function produceChanges(
  ctx: Context,
  events: readonly DossierApprenantChange[],
  opts: { latest?: boolean; chunk?: number; onProgress?: (n: number) => void } = {},
): Promise<void> {
  const codec = await ctx.codec();
  const producer = createIdempotentProducer(ctx.kafka);
  await producer.connect();
  try {
    const chunk = opts.chunk ?? 5_000;
    for (let i = 0; i < events.length; i += chunk) {
      const part = events.slice(i, i + chunk);
      const messages = await Promise.all(
        part.map(async (e) => ({ key: e.record_key, value: await codec.encode('changes', e) })),
      );
      const topicMessages = [{ topic: ctx.topics.changes, messages }];
      if (opts.latest) topicMessages.push({ topic: ctx.topics.latest, messages });
      await producer.sendBatch({ topicMessages, acks: ACKS_ALL });
      opts.onProgress?.(i + part.length);
    }
  } finally {
    await producer.disconnect();
  }
}

export async function produceTransmission(ctx: Context, r: TransmissionReport): Promise<void> {
  const codec = await ctx.codec();
  const producer = createIdempotentProducer(ctx.kafka);
  await producer.connect();
  try {
    await producer.send({
      topic: ctx.topics.transmissions,
      acks: ACKS_ALL,
      messages: [{ key: r.organisme_uai, value: await codec.encode('transmissions', r) }],
    });
  } finally {
    await producer.disconnect();
  }
}
