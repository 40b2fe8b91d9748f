/**
 * The learners the dashboard tests push through the real pipeline: generated records
 * (connectors/simulation) attached to one real training organisation per département of a list,
 * with different sizes so that the map has classes, and one département with only 3 learners so
 * that statistical secrecy hides its counts on the public page.
 */
import { generateDossiers, type DossierV3 } from '../../connectors/simulation/dossiers';
import type { Context } from '../../infra/context';
import type { Organisme } from '../../streams/referentiels/organismes';
import { dayFromIso } from '../../streams/status';
import { focusOrganismes } from '../api/support/dataset';

/** Départements with learners (and how many), in several régions (84: 01, 69, 63). */
export const SIZES: Record<string, number> = {
  '01': 60,
  '69': 140,
  '63': 45,
  '13': 120,
  '06': 50,
  '75': 160,
  '92': 70,
  '59': 110,
  '33': 90,
  '31': 80,
  '35': 65,
  '44': 75,
  '67': 55,
  '29': 35,
  '21': 30,
  // 3 learners: every count of this département is hidden on the public page.
  '48': 3,
};
export const SMALL_DEPARTEMENT = '48';

export interface Lot {
  organisme: Organisme;
  records: DossierV3[];
}

/** One organisation per département of SIZES, with its records (clean, deterministic). */
export function publicLots(ctx: Context, today: string, seed = 14): Lot[] {
  const deps = Object.keys(SIZES);
  const orgs = focusOrganismes(ctx.organismes, deps);
  return orgs.map((o, i) => ({
    organisme: o,
    records: attach(
      [
        ...generateDossiers({
          count: SIZES[deps[i]!]!,
          organismes: ctx.organismes,
          territoires: ctx.territoires,
          today: dayFromIso(today),
          seed: seed + i,
          messyShare: 0,
        }),
      ],
      o,
      `DASH-${deps[i]}`,
    ),
  }));
}

/** The records as sent by organisation `o` (formateur and responsable), with ERP ids `<prefix>-<n>`. */
export function attach(records: DossierV3[], o: { uai: string; siret: string }, prefix: string): DossierV3[] {
  return records.map((d, i) => ({
    ...d,
    id_erp_apprenant: `${prefix}-${i}`,
    etablissement_responsable_uai: o.uai,
    etablissement_responsable_siret: o.siret,
    etablissement_formateur_uai: o.uai,
    etablissement_formateur_siret: o.siret,
  }));
}

/**
 * A minor of Paris whose only contract was broken on 2025-03-03 (as dossier-apprenant-v3): with the
 * clock at 2025-03-15, the processor raises a RUPTURE alert for the Mission Locale de Paris
 * (test/streams/fixtures/missions-locales.csv maps commune 75056 to ML-75-PARIS).
 */
export function ruptureLearner(
  o: { uai: string; siret: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    nom_apprenant: 'Lambert',
    prenom_apprenant: 'Chloé',
    date_de_naissance_apprenant: '2008-01-15',
    annee_scolaire: '2024-2025',
    id_erp_apprenant: 'DASH-ML-1',
    date_inscription_formation: '2024-07-01',
    date_entree_formation: '2024-09-02',
    date_fin_formation: '2026-06-30',
    etablissement_responsable_uai: o.uai,
    etablissement_responsable_siret: o.siret,
    etablissement_formateur_uai: o.uai,
    etablissement_formateur_siret: o.siret,
    formation_cfd: '50022106',
    tel_apprenant: '06 12 34 56 78',
    email_contact: 'chloe.lambert@example.org',
    code_postal_apprenant: '75011',
    code_commune_insee_apprenant: '75056',
    contrat_date_debut: '2024-09-09',
    contrat_date_fin: '2026-06-30',
    contrat_date_rupture: '2025-03-03',
    siret_employeur: '44306184100047',
    ...extra,
  };
}
