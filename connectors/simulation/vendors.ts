/**
 * Fictitious vendor exports built from simulated v3 records (simulation/dossiers.ts), in the shapes
 * the mappings of connectors/mappings read: a Yparéo JSON export and a Gesti CSV snapshot. Used by
 * the fake Yparéo server, the tests and the demo; the inverse of ypareo.json and gesti.json.
 */
import iconv from 'iconv-lite';
import { isoFromDay, parseCalendarDay } from '../../streams/status/calendar';
import type { DossierV3 } from './dossiers';

const day = (v: unknown): number | null => {
  if (v === undefined || v === null || v === '') return null;
  return parseCalendarDay(v).day;
};
/** DD/MM/YYYY, as both ERPs write dates. */
export const frDate = (v: unknown): string | undefined => {
  const d = day(v);
  return d === null ? undefined : isoFromDay(d).split('-').reverse().join('/');
};
const isoDate = (v: unknown): string | undefined => {
  const d = day(v);
  return d === null ? undefined : isoFromDay(d);
};
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const SUFFIXES = ['', '_2', '_3', '_4'];

/** Yparéo status code of a simulated record (kind 2: 0 = left after a rupture, in Yparéo). */
function ypareoStatut(d: DossierV3): number {
  if (d.date_exclusion_formation) return 0;
  return d.contrat_date_debut ? 3 : 2;
}

/** One learner of a Yparéo export. */
export function ypareoApprenantOf(d: DossierV3): Record<string, unknown> {
  const contrats = SUFFIXES.filter((s) => d[`contrat_date_debut${s}`]).map((s) => ({
    dateDebut: isoDate(d[`contrat_date_debut${s}`]),
    dateFin: isoDate(d[`contrat_date_fin${s}`]),
    dateRupture: isoDate(d[`contrat_date_rupture${s}`]),
    motifRupture: str(d[`cause_rupture_contrat${s}`]),
    siretEmployeur: str(d[`siret_employeur${s}`]),
  }));
  return {
    codeApprenant: Number.isFinite(Number(d.id_erp_apprenant))
      ? Number(d.id_erp_apprenant)
      : d.id_erp_apprenant,
    nom: d.nom_apprenant,
    prenom: d.prenom_apprenant,
    dateNaissance: frDate(d.date_de_naissance_apprenant),
    sexe: d.sexe_apprenant === 'F' || d.sexe_apprenant === '2' ? 'F' : 'H',
    email: d.email_contact,
    telephonePortable: d.tel_apprenant,
    adresse: { codePostal: d.code_postal_apprenant, codeInsee: d.code_commune_insee_apprenant },
    rqth: d.rqth_apprenant ? 'O' : 'N',
    anneeScolaire: String(d.annee_scolaire).replace('-', '/'),
    etablissementResponsable: {
      uai: d.etablissement_responsable_uai,
      siret: d.etablissement_responsable_siret,
    },
    etablissementFormateur: { uai: d.etablissement_formateur_uai, siret: d.etablissement_formateur_siret },
    inscription: {
      dateInscription: isoDate(d.date_inscription_formation),
      dateDebut: isoDate(d.date_entree_formation),
      dateFin: isoDate(d.date_fin_formation),
      dateSortie: isoDate(d.date_exclusion_formation),
      motifSortie: d.cause_exclusion_formation,
      statut: { code: ypareoStatut(d) },
      dateMajStatut: d.date_metier_mise_a_jour_statut,
    },
    formation: {
      codeDiplome: d.formation_cfd,
      codeRncp: d.formation_rncp,
      libelle: d.libelle_court_formation,
      anneeFormation: d.annee_formation,
      dureeMois:
        typeof d.duree_theorique_formation === 'number' ? d.duree_theorique_formation * 12 : undefined,
    },
    contrats,
  };
}

/** A Yparéo export document: `{dateExport, apprenants: [...]}`. */
export function ypareoExportOf(
  dossiers: readonly DossierV3[],
  dateExport = new Date().toISOString(),
): Record<string, unknown> {
  return { dateExport, apprenants: dossiers.map(ypareoApprenantOf) };
}

export const GESTI_COLUMNS = [
  'NUM_APPRENANT',
  'NOM',
  'PRENOM',
  'DATE_NAISSANCE',
  'SEXE',
  'INE',
  'EMAIL',
  'TELEPHONE',
  'ADRESSE',
  'CP',
  'CODE_INSEE',
  'RQTH',
  'ANNEE_SCOLAIRE',
  'UAI_RESPONSABLE',
  'SIRET_RESPONSABLE',
  'UAI_FORMATEUR',
  'SIRET_FORMATEUR',
  'CODE_DIPLOME',
  'CODE_RNCP',
  'LIBELLE_FORMATION',
  'DATE_INSCRIPTION',
  'DATE_ENTREE',
  'DATE_FIN',
  'STATUT',
  'DATE_STATUT',
  'DATE_SORTIE',
  'MOTIF_SORTIE',
  ...[1, 2, 3, 4].flatMap((i) => [
    `CONTRAT${i}_DEBUT`,
    `CONTRAT${i}_FIN`,
    `CONTRAT${i}_RUPTURE`,
    `CONTRAT${i}_MOTIF`,
    `CONTRAT${i}_SIRET`,
  ]),
];

/** Gesti status code of a simulated record (kind 2: 2 = rupturant still in training, in Gesti). */
function gestiStatut(d: DossierV3): string {
  if (d.date_exclusion_formation) return '9';
  const last = [...SUFFIXES].reverse().find((s) => d[`contrat_date_debut${s}`]);
  if (last === undefined) return '0';
  return d[`contrat_date_rupture${last}`] ? '2' : '1';
}

/** One Gesti CSV row (column → text). */
export function gestiRowOf(d: DossierV3): Record<string, string> {
  const row: Record<string, string | undefined> = {
    NUM_APPRENANT: str(d.id_erp_apprenant),
    NOM: str(d.nom_apprenant),
    PRENOM: str(d.prenom_apprenant),
    DATE_NAISSANCE: frDate(d.date_de_naissance_apprenant),
    SEXE: d.sexe_apprenant === 'F' || d.sexe_apprenant === '2' ? '2' : '1',
    EMAIL: str(d.email_contact),
    TELEPHONE: str(d.tel_apprenant),
    CP: str(d.code_postal_apprenant),
    CODE_INSEE: str(d.code_commune_insee_apprenant),
    RQTH: d.rqth_apprenant ? 'OUI' : 'NON',
    ANNEE_SCOLAIRE: str(d.annee_scolaire),
    UAI_RESPONSABLE: str(d.etablissement_responsable_uai),
    SIRET_RESPONSABLE: str(d.etablissement_responsable_siret),
    UAI_FORMATEUR: str(d.etablissement_formateur_uai),
    SIRET_FORMATEUR: str(d.etablissement_formateur_siret),
    CODE_DIPLOME: str(d.formation_cfd),
    CODE_RNCP: str(d.formation_rncp),
    LIBELLE_FORMATION: str(d.libelle_court_formation),
    DATE_INSCRIPTION: frDate(d.date_inscription_formation),
    DATE_ENTREE: frDate(d.date_entree_formation),
    DATE_FIN: frDate(d.date_fin_formation),
    STATUT: gestiStatut(d),
    DATE_STATUT: frDate(d.date_metier_mise_a_jour_statut),
    DATE_SORTIE: frDate(d.date_exclusion_formation),
    MOTIF_SORTIE: str(d.cause_exclusion_formation),
  };
  SUFFIXES.forEach((s, i) => {
    row[`CONTRAT${i + 1}_DEBUT`] = frDate(d[`contrat_date_debut${s}`]);
    row[`CONTRAT${i + 1}_FIN`] = frDate(d[`contrat_date_fin${s}`]);
    row[`CONTRAT${i + 1}_RUPTURE`] = frDate(d[`contrat_date_rupture${s}`]);
    row[`CONTRAT${i + 1}_MOTIF`] = str(d[`cause_rupture_contrat${s}`]);
    row[`CONTRAT${i + 1}_SIRET`] = str(d[`siret_employeur${s}`]);
  });
  const out: Record<string, string> = {};
  for (const c of GESTI_COLUMNS) out[c] = row[c] ?? '';
  return out;
}

const csvCell = (v: string) => (/[;"\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** A Gesti snapshot file: `;`-separated, CRLF, Windows-1252 (as Gesti writes it). */
export function gestiCsvOf(dossiers: readonly DossierV3[]): Buffer {
  const lines = [GESTI_COLUMNS.join(';')];
  for (const d of dossiers) {
    const row = gestiRowOf(d);
    lines.push(GESTI_COLUMNS.map((c) => csvCell(row[c] ?? '')).join(';'));
  }
  return iconv.encode(`${lines.join('\r\n')}\r\n`, 'windows-1252');
}
