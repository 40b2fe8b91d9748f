// Generated from schemas/avro/DossierApprenantChange.avsc by schemas/generate-types.ts: do not edit.

/* eslint-disable @typescript-eslint/no-namespace */

export type DossierApprenantChange = FrApprentissageTdb.DossierApprenantChange;

export namespace FrApprentissageTdb {
    export const OperationSchema = "{\"type\":\"enum\",\"name\":\"Operation\",\"symbols\":[\"CREATE\",\"UPDATE\",\"DELETE\",\"NOT_TRANSMITTED\"],\"default\":\"UPDATE\"}";
    export const OperationName = "fr.apprentissage.tdb.Operation";
    export type Operation = "CREATE" | "UPDATE" | "DELETE" | "NOT_TRANSMITTED";
    export const SourceSchema = "{\"type\":\"record\",\"name\":\"Source\",\"fields\":[{\"name\":\"connector\",\"type\":\"string\",\"doc\":\"api-v3, televersement, depot, ypareo, gesti, \u2026\"},{\"name\":\"erp\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"organisme_uai\",\"type\":\"string\"},{\"name\":\"organisme_siret\",\"type\":\"string\"}]}";
    export const SourceName = "fr.apprentissage.tdb.Source";
    export interface Source {
        /**
         * api-v3, televersement, depot, ypareo, gesti, …
         */
        connector: string;
        /**
         * Default: null
         */
        erp: null | string;
        organisme_uai: string;
        organisme_siret: string;
    }
    export const SexeSchema = "{\"type\":\"enum\",\"name\":\"Sexe\",\"symbols\":[\"M\",\"F\"]}";
    export const SexeName = "fr.apprentissage.tdb.Sexe";
    export type Sexe = "M" | "F";
    export const ContratSchema = "{\"type\":\"record\",\"name\":\"Contrat\",\"fields\":[{\"name\":\"date_debut\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},{\"name\":\"date_fin\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"date_rupture\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"cause_rupture\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"siret_employeur\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
    export const ContratName = "fr.apprentissage.tdb.Contrat";
    export interface Contrat {
        date_debut: number;
        /**
         * Default: null
         */
        date_fin: null | number;
        /**
         * Default: null
         */
        date_rupture: null | number;
        /**
         * Default: null
         */
        cause_rupture: null | string;
        /**
         * Default: null
         */
        siret_employeur: null | string;
    }
    export const DossierApprenantSchema = "{\"type\":\"record\",\"name\":\"DossierApprenant\",\"namespace\":\"fr.apprentissage.tdb\",\"doc\":\"Normalised image of one learner record (dossier apprenant, ERP contract v3). Dates are calendar days since 1970-01-01 (Avro date). Names, birth date, INE and contact details travel only encrypted, in identite_chiffree. The NIR is never kept: only nir_present.\",\"fields\":[{\"name\":\"annee_scolaire\",\"type\":\"string\",\"doc\":\"YYYY-YYYY, normalised\"},{\"name\":\"id_erp_apprenant\",\"type\":\"string\"},{\"name\":\"etablissement_responsable_uai\",\"type\":\"string\"},{\"name\":\"etablissement_responsable_siret\",\"type\":\"string\"},{\"name\":\"etablissement_formateur_uai\",\"type\":\"string\"},{\"name\":\"etablissement_formateur_siret\",\"type\":\"string\"},{\"name\":\"etablissement_lieu_de_formation_uai\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"etablissement_lieu_de_formation_siret\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"etablissement_lieu_de_formation_code_postal\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"sexe_apprenant\",\"type\":[\"null\",{\"type\":\"enum\",\"name\":\"Sexe\",\"symbols\":[\"M\",\"F\"]}],\"default\":null},{\"name\":\"age_entree_formation\",\"type\":[\"null\",\"int\"],\"default\":null,\"doc\":\"whole years at date_entree_formation\"},{\"name\":\"rqth_apprenant\",\"type\":\"boolean\",\"default\":false},{\"name\":\"date_rqth_apprenant\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"code_postal_apprenant\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"code_commune_insee_apprenant\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"nir_present\",\"type\":\"boolean\",\"default\":false},{\"name\":\"formation_cfd\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"formation_rncp\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"libelle_court_formation\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"annee_formation\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":\"duree_theorique_formation_mois\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":\"formation_presentielle\",\"type\":[\"null\",\"boolean\"],\"default\":null},{\"name\":\"obtention_diplome_formation\",\"type\":[\"null\",\"boolean\"],\"default\":null},{\"name\":\"date_obtention_diplome_formation\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"date_inscription_formation\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},{\"name\":\"date_entree_formation\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},{\"name\":\"date_fin_formation\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},{\"name\":\"date_exclusion_formation\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"cause_exclusion_formation\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"contrats\",\"doc\":\"up to 4 contracts, in the order received (contrat_*, contrat_*_2, \u2026)\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"Contrat\",\"fields\":[{\"name\":\"date_debut\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},{\"name\":\"date_fin\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"date_rupture\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"cause_rupture\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"siret_employeur\",\"type\":[\"null\",\"string\"],\"default\":null}]}},\"default\":[]},{\"name\":\"statut_apprenant\",\"type\":[\"null\",\"int\"],\"default\":null,\"doc\":\"the ERP's own status code, kept as information only (never trusted)\"},{\"name\":\"custom_statut_apprenant\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"date_metier_mise_a_jour_statut\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}],\"default\":null},{\"name\":\"derniere_situation\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"dernier_organisme_uai\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"type_cfa\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"apprentissage\",\"type\":\"boolean\",\"default\":true,\"doc\":\"false when the record says the learner is not an apprentice (school status): kept out of apprenticeship counts\"},{\"name\":\"identite_chiffree\",\"type\":\"bytes\",\"doc\":\"AES-256-GCM (TDB_DATA_KEY) of the learner's IdentiteApprenant (schemas/avro/IdentiteApprenant.avsc, as JSON): sealed and opened by schemas/identite.ts only\"},{\"name\":\"avertissements\",\"type\":{\"type\":\"array\",\"items\":\"string\"},\"default\":[],\"doc\":\"warning codes raised by normalisation\"}]}";
    export const DossierApprenantName = "fr.apprentissage.tdb.DossierApprenant";
    /**
     * Normalised image of one learner record (dossier apprenant, ERP contract v3). Dates are calendar days since 1970-01-01 (Avro date). Names, birth date, INE and contact details travel only encrypted, in identite_chiffree. The NIR is never kept: only nir_present.
     */
    export interface DossierApprenant {
        /**
         * YYYY-YYYY, normalised
         */
        annee_scolaire: string;
        id_erp_apprenant: string;
        etablissement_responsable_uai: string;
        etablissement_responsable_siret: string;
        etablissement_formateur_uai: string;
        etablissement_formateur_siret: string;
        /**
         * Default: null
         */
        etablissement_lieu_de_formation_uai: null | string;
        /**
         * Default: null
         */
        etablissement_lieu_de_formation_siret: null | string;
        /**
         * Default: null
         */
        etablissement_lieu_de_formation_code_postal: null | string;
        /**
         * Default: null
         */
        sexe_apprenant: null | FrApprentissageTdb.Sexe;
        /**
         * whole years at date_entree_formation
         *
         * Default: null
         */
        age_entree_formation: null | number;
        /**
         * Default: false
         */
        rqth_apprenant: boolean;
        /**
         * Default: null
         */
        date_rqth_apprenant: null | number;
        /**
         * Default: null
         */
        code_postal_apprenant: null | string;
        /**
         * Default: null
         */
        code_commune_insee_apprenant: null | string;
        /**
         * Default: false
         */
        nir_present: boolean;
        /**
         * Default: null
         */
        formation_cfd: null | string;
        /**
         * Default: null
         */
        formation_rncp: null | string;
        /**
         * Default: null
         */
        libelle_court_formation: null | string;
        /**
         * Default: null
         */
        annee_formation: null | number;
        /**
         * Default: null
         */
        duree_theorique_formation_mois: null | number;
        /**
         * Default: null
         */
        formation_presentielle: null | boolean;
        /**
         * Default: null
         */
        obtention_diplome_formation: null | boolean;
        /**
         * Default: null
         */
        date_obtention_diplome_formation: null | number;
        date_inscription_formation: number;
        date_entree_formation: number;
        date_fin_formation: number;
        /**
         * Default: null
         */
        date_exclusion_formation: null | number;
        /**
         * Default: null
         */
        cause_exclusion_formation: null | string;
        /**
         * up to 4 contracts, in the order received (contrat_*, contrat_*_2, …)
         *
         * Default: []
         */
        contrats: FrApprentissageTdb.Contrat[];
        /**
         * the ERP's own status code, kept as information only (never trusted)
         *
         * Default: null
         */
        statut_apprenant: null | number;
        /**
         * Default: null
         */
        custom_statut_apprenant: null | string;
        /**
         * Default: null
         */
        date_metier_mise_a_jour_statut: null | number;
        /**
         * Default: null
         */
        derniere_situation: null | string;
        /**
         * Default: null
         */
        dernier_organisme_uai: null | string;
        /**
         * Default: null
         */
        type_cfa: null | string;
        /**
         * false when the record says the learner is not an apprentice (school status): kept out of apprenticeship counts
         *
         * Default: true
         */
        apprentissage: boolean;
        /**
         * AES-256-GCM (TDB_DATA_KEY) of the learner's IdentiteApprenant (schemas/avro/IdentiteApprenant.avsc, as JSON): sealed and opened by schemas/identite.ts only
         */
        identite_chiffree: Buffer;
        /**
         * warning codes raised by normalisation
         *
         * Default: []
         */
        avertissements: string[];
    }
    export const DossierApprenantChangeSchema = "{\"type\":\"record\",\"name\":\"DossierApprenantChange\",\"namespace\":\"fr.apprentissage.tdb\",\"doc\":\"CDC envelope of one change of a learner record, keyed by record_key. Produced by the connectors' change detection; consumed by the stream processors.\",\"fields\":[{\"name\":\"event_id\",\"type\":\"string\",\"doc\":\"UUID of this event\"},{\"name\":\"operation\",\"type\":{\"type\":\"enum\",\"name\":\"Operation\",\"symbols\":[\"CREATE\",\"UPDATE\",\"DELETE\",\"NOT_TRANSMITTED\"],\"default\":\"UPDATE\"},\"doc\":\"NOT_TRANSMITTED: the record was missing from a full snapshot of its organisation (a transmission signal, not a dropout)\"},{\"name\":\"record_key\",\"type\":\"string\",\"doc\":\"organisation UAI, annee_scolaire and id_erp_apprenant; never a name\"},{\"name\":\"person_key\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"keyed hash (HMAC-SHA256) of the normalised identity or INE\"},{\"name\":\"version\",\"type\":\"long\",\"doc\":\"per-record sequence, +1 at each change (orders the facts)\"},{\"name\":\"source\",\"type\":{\"type\":\"record\",\"name\":\"Source\",\"fields\":[{\"name\":\"connector\",\"type\":\"string\",\"doc\":\"api-v3, televersement, depot, ypareo, gesti, \u2026\"},{\"name\":\"erp\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"organisme_uai\",\"type\":\"string\"},{\"name\":\"organisme_siret\",\"type\":\"string\"}]}},{\"name\":\"event_time\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"},\"doc\":\"when the change happened at the source, when known, else ingestion_time\"},{\"name\":\"ingestion_time\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"changed_fields\",\"type\":{\"type\":\"array\",\"items\":\"string\"},\"default\":[]},{\"name\":\"after\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"DossierApprenant\",\"namespace\":\"fr.apprentissage.tdb\",\"doc\":\"Normalised image of one learner record (dossier apprenant, ERP contract v3). Dates are calendar days since 1970-01-01 (Avro date). Names, birth date, INE and contact details travel only encrypted, in identite_chiffree. The NIR is never kept: only nir_present.\",\"fields\":[{\"name\":\"annee_scolaire\",\"type\":\"string\",\"doc\":\"YYYY-YYYY, normalised\"},{\"name\":\"id_erp_apprenant\",\"type\":\"string\"},{\"name\":\"etablissement_responsable_uai\",\"type\":\"string\"},{\"name\":\"etablissement_responsable_siret\",\"type\":\"string\"},{\"name\":\"etablissement_formateur_uai\",\"type\":\"string\"},{\"name\":\"etablissement_formateur_siret\",\"type\":\"string\"},{\"name\":\"etablissement_lieu_de_formation_uai\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"etablissement_lieu_de_formation_siret\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"etablissement_lieu_de_formation_code_postal\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"sexe_apprenant\",\"type\":[\"null\",{\"type\":\"enum\",\"name\":\"Sexe\",\"symbols\":[\"M\",\"F\"]}],\"default\":null},{\"name\":\"age_entree_formation\",\"type\":[\"null\",\"int\"],\"default\":null,\"doc\":\"whole years at date_entree_formation\"},{\"name\":\"rqth_apprenant\",\"type\":\"boolean\",\"default\":false},{\"name\":\"date_rqth_apprenant\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"code_postal_apprenant\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"code_commune_insee_apprenant\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"nir_present\",\"type\":\"boolean\",\"default\":false},{\"name\":\"formation_cfd\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"formation_rncp\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"libelle_court_formation\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"annee_formation\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":\"duree_theorique_formation_mois\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":\"formation_presentielle\",\"type\":[\"null\",\"boolean\"],\"default\":null},{\"name\":\"obtention_diplome_formation\",\"type\":[\"null\",\"boolean\"],\"default\":null},{\"name\":\"date_obtention_diplome_formation\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"date_inscription_formation\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},{\"name\":\"date_entree_formation\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},{\"name\":\"date_fin_formation\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},{\"name\":\"date_exclusion_formation\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"cause_exclusion_formation\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"contrats\",\"doc\":\"up to 4 contracts, in the order received (contrat_*, contrat_*_2, \u2026)\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"Contrat\",\"fields\":[{\"name\":\"date_debut\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},{\"name\":\"date_fin\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"date_rupture\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null},{\"name\":\"cause_rupture\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"siret_employeur\",\"type\":[\"null\",\"string\"],\"default\":null}]}},\"default\":[]},{\"name\":\"statut_apprenant\",\"type\":[\"null\",\"int\"],\"default\":null,\"doc\":\"the ERP's own status code, kept as information only (never trusted)\"},{\"name\":\"custom_statut_apprenant\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"date_metier_mise_a_jour_statut\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}],\"default\":null},{\"name\":\"derniere_situation\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"dernier_organisme_uai\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"type_cfa\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"apprentissage\",\"type\":\"boolean\",\"default\":true,\"doc\":\"false when the record says the learner is not an apprentice (school status): kept out of apprenticeship counts\"},{\"name\":\"identite_chiffree\",\"type\":\"bytes\",\"doc\":\"AES-256-GCM (TDB_DATA_KEY) of the learner's IdentiteApprenant (schemas/avro/IdentiteApprenant.avsc, as JSON): sealed and opened by schemas/identite.ts only\"},{\"name\":\"avertissements\",\"type\":{\"type\":\"array\",\"items\":\"string\"},\"default\":[],\"doc\":\"warning codes raised by normalisation\"}]}],\"default\":null,\"doc\":\"the record image after the change (null for DELETE)\"}]}";
    export const DossierApprenantChangeName = "fr.apprentissage.tdb.DossierApprenantChange";
    /**
     * CDC envelope of one change of a learner record, keyed by record_key. Produced by the connectors' change detection; consumed by the stream processors.
     */
    export interface DossierApprenantChange {
        /**
         * UUID of this event
         */
        event_id: string;
        /**
         * NOT_TRANSMITTED: the record was missing from a full snapshot of its organisation (a transmission signal, not a dropout)
         */
        operation: FrApprentissageTdb.Operation;
        /**
         * organisation UAI, annee_scolaire and id_erp_apprenant; never a name
         */
        record_key: string;
        /**
         * keyed hash (HMAC-SHA256) of the normalised identity or INE
         *
         * Default: null
         */
        person_key: null | string;
        /**
         * per-record sequence, +1 at each change (orders the facts)
         */
        version: number;
        source: FrApprentissageTdb.Source;
        /**
         * when the change happened at the source, when known, else ingestion_time
         */
        event_time: number;
        ingestion_time: number;
        /**
         * Default: []
         */
        changed_fields: string[];
        /**
         * the record image after the change (null for DELETE)
         *
         * Default: null
         */
        after: null | FrApprentissageTdb.DossierApprenant;
    }
}
