// Generated from schemas/avro/LearnerStatusTransition.avsc by schemas/generate-types.ts: do not edit.

/* eslint-disable @typescript-eslint/no-namespace */

export type LearnerStatusTransition = FrApprentissageTdb.LearnerStatusTransition;

export namespace FrApprentissageTdb {
    export const StatutSchema = "{\"type\":\"enum\",\"name\":\"Statut\",\"symbols\":[\"INSCRIT\",\"APPRENTI\",\"RUPTURANT\",\"ABANDON\",\"FIN_DE_FORMATION\"]}";
    export const StatutName = "fr.apprentissage.tdb.Statut";
    export type Statut = "INSCRIT" | "APPRENTI" | "RUPTURANT" | "ABANDON" | "FIN_DE_FORMATION";
    export const TransitionCauseSchema = "{\"type\":\"enum\",\"name\":\"TransitionCause\",\"symbols\":[\"NEW_DATA\",\"ELAPSED_TIME\"]}";
    export const TransitionCauseName = "fr.apprentissage.tdb.TransitionCause";
    export type TransitionCause = "NEW_DATA" | "ELAPSED_TIME";
    export const LearnerStatusTransitionSchema = "{\"type\":\"record\",\"name\":\"LearnerStatusTransition\",\"namespace\":\"fr.apprentissage.tdb\",\"doc\":\"A learner's status changed (computed by the status engine), from new data or by the passing of time.\",\"fields\":[{\"name\":\"event_id\",\"type\":\"string\",\"doc\":\"deterministic: the same transition always has the same id\"},{\"name\":\"record_key\",\"type\":\"string\"},{\"name\":\"person_key\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"version\",\"type\":\"long\",\"doc\":\"record version the transition was computed from\"},{\"name\":\"from\",\"type\":[\"null\",{\"type\":\"enum\",\"name\":\"Statut\",\"symbols\":[\"INSCRIT\",\"APPRENTI\",\"RUPTURANT\",\"ABANDON\",\"FIN_DE_FORMATION\"]}],\"default\":null},{\"name\":\"to\",\"type\":\"Statut\"},{\"name\":\"effective_date\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},{\"name\":\"cause\",\"type\":{\"type\":\"enum\",\"name\":\"TransitionCause\",\"symbols\":[\"NEW_DATA\",\"ELAPSED_TIME\"]}},{\"name\":\"detected_at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"organisme_uai\",\"type\":\"string\"},{\"name\":\"organisme_siret\",\"type\":\"string\"}]}";
    export const LearnerStatusTransitionName = "fr.apprentissage.tdb.LearnerStatusTransition";
    /**
     * A learner's status changed (computed by the status engine), from new data or by the passing of time.
     */
    export interface LearnerStatusTransition {
        /**
         * deterministic: the same transition always has the same id
         */
        event_id: string;
        record_key: string;
        /**
         * Default: null
         */
        person_key: null | string;
        /**
         * record version the transition was computed from
         */
        version: number;
        /**
         * Default: null
         */
        from: null | FrApprentissageTdb.Statut;
        to: FrApprentissageTdb.Statut;
        effective_date: number;
        cause: FrApprentissageTdb.TransitionCause;
        detected_at: number;
        organisme_uai: string;
        organisme_siret: string;
    }
}
