// Generated from schemas/avro/RejectedRecord.avsc by schemas/generate-types.ts: do not edit.

/* eslint-disable @typescript-eslint/no-namespace */

export type RejectedRecord = FrApprentissageTdb.RejectedRecord;

export namespace FrApprentissageTdb {
    export const RejectionErrorSchema = "{\"type\":\"record\",\"name\":\"RejectionError\",\"fields\":[{\"name\":\"code\",\"type\":\"string\",\"doc\":\"stable machine code\"},{\"name\":\"path\",\"type\":\"string\",\"doc\":\"the v3 field\"},{\"name\":\"message\",\"type\":\"string\",\"doc\":\"French, actionable\"}]}";
    export const RejectionErrorName = "fr.apprentissage.tdb.RejectionError";
    export interface RejectionError {
        /**
         * stable machine code
         */
        code: string;
        /**
         * the v3 field
         */
        path: string;
        /**
         * French, actionable
         */
        message: string;
    }
    export const RejectedRecordSchema = "{\"type\":\"record\",\"name\":\"RejectedRecord\",\"namespace\":\"fr.apprentissage.tdb\",\"doc\":\"A rejected input on the dead-letter topic: the errors in clear, the original input encrypted (it may hold personal data).\",\"fields\":[{\"name\":\"event_id\",\"type\":\"string\"},{\"name\":\"ingestion_time\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"connector\",\"type\":\"string\"},{\"name\":\"organisme_uai\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"organisme_siret\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"location\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"where in the input: item index, file and row\"},{\"name\":\"errors\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"RejectionError\",\"fields\":[{\"name\":\"code\",\"type\":\"string\",\"doc\":\"stable machine code\"},{\"name\":\"path\",\"type\":\"string\",\"doc\":\"the v3 field\"},{\"name\":\"message\",\"type\":\"string\",\"doc\":\"French, actionable\"}]}}},{\"name\":\"input_chiffre\",\"type\":\"bytes\",\"doc\":\"AES-256-GCM (TDB_DATA_KEY) of the original input as JSON\"}]}";
    export const RejectedRecordName = "fr.apprentissage.tdb.RejectedRecord";
    /**
     * A rejected input on the dead-letter topic: the errors in clear, the original input encrypted (it may hold personal data).
     */
    export interface RejectedRecord {
        event_id: string;
        ingestion_time: number;
        connector: string;
        /**
         * Default: null
         */
        organisme_uai: null | string;
        /**
         * Default: null
         */
        organisme_siret: null | string;
        /**
         * where in the input: item index, file and row
         *
         * Default: null
         */
        location: null | string;
        errors: FrApprentissageTdb.RejectionError[];
        /**
         * AES-256-GCM (TDB_DATA_KEY) of the original input as JSON
         */
        input_chiffre: Buffer;
    }
}
