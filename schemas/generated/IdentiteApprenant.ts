// Generated from schemas/avro/IdentiteApprenant.avsc by schemas/generate-types.ts: do not edit.

/* eslint-disable @typescript-eslint/no-namespace */

export type IdentiteApprenant = FrApprentissageTdb.IdentiteApprenant;

export namespace FrApprentissageTdb {
    export const IdentiteApprenantSchema = "{\"type\":\"record\",\"name\":\"IdentiteApprenant\",\"namespace\":\"fr.apprentissage.tdb\",\"doc\":\"The personal data of one learner, only ever stored and sent sealed (AES-256-GCM with TDB_DATA_KEY: DossierApprenant.identite_chiffree, and the contact subset in DropoutAlert.contact_chiffre). Sealed and opened by schemas/identite.ts alone. Written by the connectors' normaliser (connectors/core/normalise.ts); absent values are null. Dates are ISO 'YYYY-MM-DD'; the phone is E.164.\",\"fields\":[{\"name\":\"nom\",\"type\":\"string\",\"doc\":\"nom_apprenant, display form (trimmed, spaces collapsed)\"},{\"name\":\"prenom\",\"type\":\"string\",\"doc\":\"prenom_apprenant, display form\"},{\"name\":\"date_de_naissance\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"date_de_naissance_apprenant, YYYY-MM-DD\"},{\"name\":\"ine\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"ine_apprenant, 11 characters\"},{\"name\":\"email_contact\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"tel_apprenant\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"E.164 (+33612345678)\"},{\"name\":\"adresse_apprenant\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"code_postal_apprenant\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"the address's postcode (the clear image keeps its own copy for the territory)\"},{\"name\":\"responsable_apprenant_mail1\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"responsable_apprenant_mail2\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"code_postal_de_naissance\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"code_postal_de_naissance_apprenant\"},{\"name\":\"code_commune_insee_de_naissance\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"code_commune_insee_de_naissance_apprenant\"},{\"name\":\"nom_referent_handicap_formation\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"prenom_referent_handicap_formation\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"email_referent_handicap_formation\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
    export const IdentiteApprenantName = "fr.apprentissage.tdb.IdentiteApprenant";
    /**
     * The personal data of one learner, only ever stored and sent sealed (AES-256-GCM with TDB_DATA_KEY: DossierApprenant.identite_chiffree, and the contact subset in DropoutAlert.contact_chiffre). Sealed and opened by schemas/identite.ts alone. Written by the connectors' normaliser (connectors/core/normalise.ts); absent values are null. Dates are ISO 'YYYY-MM-DD'; the phone is E.164.
     */
    export interface IdentiteApprenant {
        /**
         * nom_apprenant, display form (trimmed, spaces collapsed)
         */
        nom: string;
        /**
         * prenom_apprenant, display form
         */
        prenom: string;
        /**
         * date_de_naissance_apprenant, YYYY-MM-DD
         *
         * Default: null
         */
        date_de_naissance: null | string;
        /**
         * ine_apprenant, 11 characters
         *
         * Default: null
         */
        ine: null | string;
        /**
         * Default: null
         */
        email_contact: null | string;
        /**
         * E.164 (+33612345678)
         *
         * Default: null
         */
        tel_apprenant: null | string;
        /**
         * Default: null
         */
        adresse_apprenant: null | string;
        /**
         * the address's postcode (the clear image keeps its own copy for the territory)
         *
         * Default: null
         */
        code_postal_apprenant: null | string;
        /**
         * Default: null
         */
        responsable_apprenant_mail1: null | string;
        /**
         * Default: null
         */
        responsable_apprenant_mail2: null | string;
        /**
         * code_postal_de_naissance_apprenant
         *
         * Default: null
         */
        code_postal_de_naissance: null | string;
        /**
         * code_commune_insee_de_naissance_apprenant
         *
         * Default: null
         */
        code_commune_insee_de_naissance: null | string;
        /**
         * Default: null
         */
        nom_referent_handicap_formation: null | string;
        /**
         * Default: null
         */
        prenom_referent_handicap_formation: null | string;
        /**
         * Default: null
         */
        email_referent_handicap_formation: null | string;
    }
}
