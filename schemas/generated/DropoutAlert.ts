// Generated from schemas/avro/DropoutAlert.avsc by schemas/generate-types.ts: do not edit.

/* eslint-disable @typescript-eslint/no-namespace */

export type DropoutAlert = FrApprentissageTdb.DropoutAlert;

export namespace FrApprentissageTdb {
    export const MotifAlerteSchema = "{\"type\":\"enum\",\"name\":\"MotifAlerte\",\"symbols\":[\"RUPTURE\",\"ABANDON\",\"INSCRIT_SANS_CONTRAT\"]}";
    export const MotifAlerteName = "fr.apprentissage.tdb.MotifAlerte";
    export type MotifAlerte = "RUPTURE" | "ABANDON" | "INSCRIT_SANS_CONTRAT";
    export const StatutAlerteSchema = "{\"type\":\"enum\",\"name\":\"StatutAlerte\",\"symbols\":[\"INSCRIT\",\"APPRENTI\",\"RUPTURANT\",\"ABANDON\",\"FIN_DE_FORMATION\"]}";
    export const StatutAlerteName = "fr.apprentissage.tdb.StatutAlerte";
    export type StatutAlerte = "INSCRIT" | "APPRENTI" | "RUPTURANT" | "ABANDON" | "FIN_DE_FORMATION";
    export const DropoutAlertSchema = "{\"type\":\"record\",\"name\":\"DropoutAlert\",\"namespace\":\"fr.apprentissage.tdb\",\"doc\":\"A young person the Mission Locale of their commune should contact: lost their contract, dropped out, or still without contract. Contact details only encrypted.\",\"fields\":[{\"name\":\"alert_id\",\"type\":\"string\",\"doc\":\"deterministic per (record, transition): never twice for the same transition\"},{\"name\":\"record_key\",\"type\":\"string\"},{\"name\":\"person_key\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"mission_locale_id\",\"type\":\"string\",\"doc\":\"Mission Locale id, or unassigned-<departement>\"},{\"name\":\"mission_locale_nom\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"motif\",\"type\":{\"type\":\"enum\",\"name\":\"MotifAlerte\",\"symbols\":[\"RUPTURE\",\"ABANDON\",\"INSCRIT_SANS_CONTRAT\"]}},{\"name\":\"statut\",\"type\":{\"type\":\"enum\",\"name\":\"StatutAlerte\",\"symbols\":[\"INSCRIT\",\"APPRENTI\",\"RUPTURANT\",\"ABANDON\",\"FIN_DE_FORMATION\"]}},{\"name\":\"depuis\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"},\"doc\":\"first day of the status\"},{\"name\":\"rqth\",\"type\":\"boolean\"},{\"name\":\"mineur\",\"type\":\"boolean\"},{\"name\":\"rupture_recente\",\"type\":\"boolean\",\"doc\":\"rupture less than 180 days old\"},{\"name\":\"age\",\"type\":[\"null\",\"int\"],\"default\":null},{\"name\":\"code_commune_insee\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"departement\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"formation_cfd\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"libelle_court_formation\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"organisme_uai\",\"type\":\"string\"},{\"name\":\"organisme_siret\",\"type\":\"string\"},{\"name\":\"contact_chiffre\",\"type\":\"bytes\",\"doc\":\"AES-256-GCM (TDB_DATA_KEY) of the contact subset of the learner's IdentiteApprenant (schemas/avro/IdentiteApprenant.avsc: names, birth date, phone, e-mails, address; other fields null), sealed by schemas/identite.ts\"},{\"name\":\"created_at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}";
    export const DropoutAlertName = "fr.apprentissage.tdb.DropoutAlert";
    /**
     * A young person the Mission Locale of their commune should contact: lost their contract, dropped out, or still without contract. Contact details only encrypted.
     */
    export interface DropoutAlert {
        /**
         * deterministic per (record, transition): never twice for the same transition
         */
        alert_id: string;
        record_key: string;
        /**
         * Default: null
         */
        person_key: null | string;
        /**
         * Mission Locale id, or unassigned-<departement>
         */
        mission_locale_id: string;
        /**
         * Default: null
         */
        mission_locale_nom: null | string;
        motif: FrApprentissageTdb.MotifAlerte;
        statut: FrApprentissageTdb.StatutAlerte;
        /**
         * first day of the status
         */
        depuis: number;
        rqth: boolean;
        mineur: boolean;
        /**
         * rupture less than 180 days old
         */
        rupture_recente: boolean;
        /**
         * Default: null
         */
        age: null | number;
        /**
         * Default: null
         */
        code_commune_insee: null | string;
        /**
         * Default: null
         */
        departement: null | string;
        /**
         * Default: null
         */
        formation_cfd: null | string;
        /**
         * Default: null
         */
        libelle_court_formation: null | string;
        organisme_uai: string;
        organisme_siret: string;
        /**
         * AES-256-GCM (TDB_DATA_KEY) of the contact subset of the learner's IdentiteApprenant (schemas/avro/IdentiteApprenant.avsc: names, birth date, phone, e-mails, address; other fields null), sealed by schemas/identite.ts
         */
        contact_chiffre: Buffer;
        created_at: number;
    }
}
