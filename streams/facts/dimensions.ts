/**
 * The dimensions every fact carries (status-rules.md, "Counting": région, département, académie,
 * zone d'emploi, organisation, formation (CFD, RNCP), level, speciality domain, age band, sex,
 * RQTH), derived from a normalised record image and the referentials. Never names or contacts.
 */
import type { FrApprentissageTdb } from '../../schemas/generated/DossierApprenant';
import { departementOfUai } from '../referentiels/identifiants';
import type { OrganismesReferential } from '../referentiels/organismes';
import type { Territoires } from '../referentiels/territoires';

type DossierApprenant = FrApprentissageTdb.DossierApprenant;

export interface Dimensions {
  annee_scolaire: string;
  /** The training organisation (organisme formateur) the learner counts for. */
  organisme_uai: string;
  organisme_siret: string;
  organisme_responsable_uai: string;
  /** Territory of the training organisation (from its UAI, and its commune for the zone d'emploi). */
  departement: string;
  region: string;
  academie: string;
  zone_emploi: string;
  formation_cfd: string;
  formation_rncp: string;
  /** Diploma level from the CFD's first digit ('3' CAP … '7' master); '' if unknown. */
  niveau: string;
  /** NSF speciality group: CFD digits 4–6; '' if unknown. */
  domaine: string;
  tranche_age: TrancheAge;
  sexe: string;
  rqth: 0 | 1;
  /** 1 when the organisation's (UAI, SIRET) pair is in the referential: only those are counted. */
  fiable: 0 | 1;
  /** 0 for learners the record says are not apprentices (school status): never counted. */
  apprentissage: 0 | 1;
}

/** Every dimension, in the column order of the fact tables (0001_fact_model.sql). */
export const DIMENSION_KEYS = [
  'annee_scolaire',
  'organisme_uai',
  'organisme_siret',
  'organisme_responsable_uai',
  'departement',
  'region',
  'academie',
  'zone_emploi',
  'formation_cfd',
  'formation_rncp',
  'niveau',
  'domaine',
  'tranche_age',
  'sexe',
  'rqth',
  'fiable',
  'apprentissage',
] as const satisfies readonly (keyof Dimensions)[];

/** Dimensions of nothing (rows that only mark a slot or a batch; never counted: fiable = 0). */
export const NO_DIMENSIONS: Readonly<Dimensions> = Object.freeze({
  annee_scolaire: '',
  organisme_uai: '',
  organisme_siret: '',
  organisme_responsable_uai: '',
  departement: '',
  region: '',
  academie: '',
  zone_emploi: '',
  formation_cfd: '',
  formation_rncp: '',
  niveau: '',
  domaine: '',
  tranche_age: '',
  sexe: '',
  rqth: 0,
  fiable: 0,
  apprentissage: 0,
});

/** Age bands of status-rules.md; '' when the birth date is unknown. */
export type TrancheAge = '<18' | '18-20' | '21-25' | '26+' | '';
export const TRANCHES_AGE: readonly TrancheAge[] = ['<18', '18-20', '21-25', '26+'];

export function trancheAge(age: number | null): TrancheAge {
  if (age === null || age < 0) return '';
  if (age < 18) return '<18';
  if (age <= 20) return '18-20';
  if (age <= 25) return '21-25';
  return '26+';
}

/** dossier-apprenant-v3.md, "Formation level and domain from the CFD": first digit → level. */
const NIVEAU_DU_CFD: Record<string, string> = { '5': '3', '4': '4', '3': '5', '2': '6', '1': '7' };

export function niveauOfCfd(cfd: string | null): string {
  return cfd ? (NIVEAU_DU_CFD[cfd[0] ?? ''] ?? '') : '';
}

export function domaineOfCfd(cfd: string | null): string {
  return cfd && /^[0-9A-Z]{8}$/.test(cfd) && /^\d{3}$/.test(cfd.slice(3, 6)) ? cfd.slice(3, 6) : '';
}

export function dimensionsOf(
  d: DossierApprenant,
  refs: { territoires: Territoires; organismes: OrganismesReferential },
): Dimensions {
  const uai = d.etablissement_formateur_uai;
  const siret = d.etablissement_formateur_siret;
  const organisme = refs.organismes.get(uai, siret);
  const departement = organisme?.departement || departementOfUai(uai) || '';
  const territoire = refs.territoires.ofDepartement(departement);
  const commune = organisme?.code_commune ?? null;
  return {
    annee_scolaire: d.annee_scolaire,
    organisme_uai: uai,
    organisme_siret: siret,
    organisme_responsable_uai: d.etablissement_responsable_uai,
    departement,
    region: territoire?.region ?? '',
    academie: territoire?.academie ?? '',
    zone_emploi: (commune && refs.territoires.zoneEmploiOfCommune(commune)) || '',
    formation_cfd: d.formation_cfd ?? '',
    formation_rncp: d.formation_rncp ?? '',
    niveau: niveauOfCfd(d.formation_cfd),
    domaine: domaineOfCfd(d.formation_cfd),
    tranche_age: trancheAge(d.age_entree_formation),
    sexe: d.sexe_apprenant ?? '',
    rqth: d.rqth_apprenant ? 1 : 0,
    fiable: refs.organismes.isReliable(uai, siret) ? 1 : 0,
    apprentissage: d.apprentissage ? 1 : 0,
  };
}
