/**
 * JSON Schema (draft-07, ajv) of one item of the ERP contract v3, "dossier apprenant"
 * (shared/reference/dossier-apprenant-v3.md): the single source of the push API's validation
 * (connectors/core/validate.ts) and of its OpenAPI document (the route's body schema).
 *
 * It describes the shapes ERPs really send and that the connectors normalise (numbers where
 * spreadsheets turned codes into numbers, "2024/2025", SIRET with spaces, DD/MM/YYYY dates, Excel
 * serial numbers): the exact formats (UAI check letter, SIRET Luhn key, CFD, RNCP, dates) are
 * checked after normalisation, with error codes of their own (connectors/README.md, error codes).
 * Unknown properties are accepted and ignored (within the item's size and depth limits,
 * connectors/core/limits.ts). Every text has a maxLength (V3_TEXT_LIMITS): TEXTE_TROP_LONG.
 */

/**
 * Length limits of the texts (characters), so that no value can make an event, a reply or a
 * dead-letter record unreasonably large (connectors/README.md, limits): names 200, free texts
 * 1,000, e-mails 254 (RFC 5321), codes a little more than their pattern (spaces, dots and dashes
 * ERPs add are removed by the normalisers).
 */
export const V3_TEXT_LIMITS = {
  nom: 200,
  texteLibre: 1000,
  email: 254,
  identifiant: 100,
  date: 40,
  code: 20,
  siret: 30,
  telephone: 30,
  petitCode: 10,
} as const;

const L = V3_TEXT_LIMITS;
const text = (description: string, maxLength: number = L.texteLibre) => ({
  type: ['string', 'null'],
  maxLength,
  description,
});
const code = (description: string, maxLength: number = L.code) => ({
  type: ['string', 'integer', 'null'],
  maxLength,
  description,
});
const date = (description: string) => ({
  type: ['string', 'number', 'null'],
  maxLength: L.date,
  description: `${description}. ISO-8601 date (AAAA-MM-JJ) ; date-heure en UTC (jour calendaire de Europe/Paris) ou avec décalage (jour écrit, celui de l’émetteur) ; JJ/MM/AAAA et numéros de série Excel acceptés.`,
});
const bool = (description: string) => ({
  type: ['boolean', 'string', 'integer', 'null'],
  maxLength: L.petitCode,
  description: `${description}. Booléen ; "oui"/"non", "true"/"false", 1/0 acceptés.`,
});
const uai = (description: string) => ({
  type: ['string', 'null'],
  maxLength: L.code,
  description: `${description}. UAI : 7 chiffres et une lettre de contrôle (^[0-9]{7}[A-Za-z]$).`,
});
const siret = (description: string) => ({
  type: ['string', 'integer', 'null'],
  maxLength: L.siret,
  description: `${description}. SIRET : 14 chiffres avec clé de Luhn (espaces, points, tirets ignorés).`,
});
// Optional small counts: any JSON number passes the structure check, so that a value out of
// range or not whole (-0.5, 100) is dropped with a warning by the normaliser, not the record.
const small = (description: string) => ({
  type: ['number', 'string', 'null'],
  maxLength: L.petitCode,
  description,
});

const contrat = (suffix: string, rang: string) => ({
  [`contrat_date_debut${suffix}`]: date(`Début du contrat ${rang}`),
  [`contrat_date_fin${suffix}`]: date(`Fin prévue du contrat ${rang}`),
  [`contrat_date_rupture${suffix}`]: date(`Date de rupture du contrat ${rang}`),
  [`cause_rupture_contrat${suffix}`]: text(`Cause de rupture du contrat ${rang}`),
  [`siret_employeur${suffix}`]: siret(`SIRET de l'employeur du contrat ${rang}`),
});

/**
 * The v3 fields every item must carry (dossier-apprenant-v3.md, "Required fields"), except
 * date_de_naissance_apprenant: required by the contract, but a record sent once without it is
 * accepted with the warning DATE_NAISSANCE_ABSENTE rather than rejected, so that the learner is
 * neither lost nor counted twice (real-world-faults.md, kind 1; connectors/README.md).
 */
export const V3_REQUIRED_FIELDS = [
  'nom_apprenant',
  'prenom_apprenant',
  'annee_scolaire',
  'id_erp_apprenant',
  'date_inscription_formation',
  'date_entree_formation',
  'date_fin_formation',
  'etablissement_responsable_uai',
  'etablissement_responsable_siret',
  'etablissement_formateur_uai',
  'etablissement_formateur_siret',
] as const;

export const dossierApprenantV3Schema = {
  title: 'DossierApprenantV3',
  description:
    "Un dossier apprenant tel que l'ERP d'un organisme de formation le transmet (contrat v3). Unique par (organisme formateur, annee_scolaire, id_erp_apprenant).",
  type: 'object',
  required: [...V3_REQUIRED_FIELDS],
  additionalProperties: true,
  properties: {
    nom_apprenant: {
      type: ['string', 'null'],
      minLength: 1,
      maxLength: L.nom,
      description: "Nom de l'apprenant.",
    },
    prenom_apprenant: {
      type: ['string', 'null'],
      minLength: 1,
      maxLength: L.nom,
      description: "Prénom de l'apprenant.",
    },
    date_de_naissance_apprenant: date(
      "Date de naissance de l'apprenant (requise ; un envoi sans elle est accepté avec l'avertissement DATE_NAISSANCE_ABSENTE)",
    ),
    annee_scolaire: {
      type: ['string', 'null'],
      maxLength: L.code,
      description: 'Année scolaire "AAAA-AAAA" (deux années égales ou consécutives ; "AAAA/AAAA" accepté).',
    },
    id_erp_apprenant: {
      type: ['string', 'integer', 'null'],
      maxLength: L.identifiant,
      description: "Identifiant de l'apprenant dans l'ERP (un nombre est converti en texte).",
    },
    date_inscription_formation: date("Date d'inscription en formation"),
    date_entree_formation: date("Date d'entrée en formation"),
    date_fin_formation: date('Date de fin de formation (postérieure ou égale à la date d’entrée)'),
    etablissement_responsable_uai: uai("UAI de l'organisme responsable"),
    etablissement_responsable_siret: siret("SIRET de l'organisme responsable"),
    etablissement_formateur_uai: uai(
      "UAI de l'organisme formateur (celui pour lequel l'apprenant est compté)",
    ),
    etablissement_formateur_siret: siret("SIRET de l'organisme formateur"),
    etablissement_lieu_de_formation_uai: uai('UAI du lieu de formation'),
    etablissement_lieu_de_formation_siret: siret('SIRET du lieu de formation'),
    etablissement_lieu_de_formation_adresse: text('Adresse du lieu de formation'),
    etablissement_lieu_de_formation_code_postal: code('Code postal du lieu de formation (5 chiffres)'),
    statut_apprenant: {
      type: ['integer', 'string', 'null'],
      maxLength: L.petitCode,
      description:
        "Code de statut de l'ERP (0 abandon, 2 inscrit, 3 apprenti) : conservé pour information ; le statut est calculé à partir des dates.",
    },
    date_metier_mise_a_jour_statut: date('Date de la dernière mise à jour du statut dans l’ERP'),
    custom_statut_apprenant: text(
      'Statut libre de l\'ERP. "statut scolaire", "élève", "lycéen" ou "étudiant" (statut scolaire) signalent un apprenant qui n\'est pas apprenti : il n\'est pas compté.',
    ),
    ine_apprenant: code("INE de l'apprenant (11 caractères)"),
    email_contact: text("Courriel de l'apprenant", L.email),
    tel_apprenant: code("Téléphone de l'apprenant (tout format français, y compris outre-mer)", L.telephone),
    sexe_apprenant: code('Sexe : M ou F ("H" et 1 signifient M, 2 signifie F)'),
    rqth_apprenant: bool('Reconnaissance de la qualité de travailleur handicapé'),
    date_rqth_apprenant: date('Date de la RQTH'),
    responsable_apprenant_mail1: text('Courriel du responsable légal 1', L.email),
    responsable_apprenant_mail2: text('Courriel du responsable légal 2', L.email),
    adresse_apprenant: text("Adresse de l'apprenant"),
    code_postal_apprenant: code('Code postal de résidence (5 chiffres)'),
    code_commune_insee_apprenant: code('Code commune INSEE de résidence (5 caractères, 2A/2B pour la Corse)'),
    code_postal_de_naissance_apprenant: code('Code postal du lieu de naissance'),
    code_commune_insee_de_naissance_apprenant: code('Code commune INSEE du lieu de naissance'),
    nir_apprenant: code("NIR : jamais conservé (seule sa présence l'est)", L.siret),
    formation_cfd: code('Code formation diplôme (8 caractères)'),
    formation_rncp: code('Code RNCP ("RNCP" suivi de 2 à 5 chiffres ; le préfixe est ajouté s’il manque)'),
    libelle_court_formation: text('Libellé court de la formation'),
    annee_formation: small('Année dans la formation (0 à 5)'),
    duree_theorique_formation: small('Durée théorique en années (1 à 4)'),
    duree_theorique_formation_mois: small('Durée théorique en mois (1 à 48)'),
    formation_presentielle: bool('Formation en présentiel'),
    obtention_diplome_formation: bool('Diplôme obtenu'),
    date_obtention_diplome_formation: date("Date d'obtention du diplôme"),
    date_exclusion_formation: date("Date d'exclusion de la formation"),
    cause_exclusion_formation: text("Cause de l'exclusion"),
    nom_referent_handicap_formation: text('Nom du référent handicap', L.nom),
    prenom_referent_handicap_formation: text('Prénom du référent handicap', L.nom),
    email_referent_handicap_formation: text('Courriel du référent handicap', L.email),
    ...contrat('', '1'),
    ...contrat('_2', '2'),
    ...contrat('_3', '3'),
    ...contrat('_4', '4'),
    derniere_situation: code('Dernière situation (enquête SIFA)'),
    dernier_organisme_uai: code('UAI du dernier organisme (enquête SIFA)'),
    type_cfa: code('Type de CFA ("01" à "10", enquête SIFA)'),
  },
} as const;

/**
 * The free texts of the contract (addresses, labels, causes, the ERP's own status text): the only
 * fields where tabs and line breaks are allowed inside the value (connectors/core/validate.ts).
 */
export const V3_FREE_TEXT_FIELDS: ReadonlySet<string> = new Set([
  'etablissement_lieu_de_formation_adresse',
  'custom_statut_apprenant',
  'adresse_apprenant',
  'libelle_court_formation',
  'cause_exclusion_formation',
  'cause_rupture_contrat',
  'cause_rupture_contrat_2',
  'cause_rupture_contrat_3',
  'cause_rupture_contrat_4',
]);

/** Every v3 field the schema names (the columns a file may have). */
export const V3_FIELDS: readonly string[] = Object.keys(dossierApprenantV3Schema.properties);
