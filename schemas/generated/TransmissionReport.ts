// Generated from schemas/avro/TransmissionReport.avsc by schemas/generate-types.ts: do not edit.

/* eslint-disable @typescript-eslint/no-namespace */

export type TransmissionReport = FrApprentissageTdb.TransmissionReport;

export namespace FrApprentissageTdb {
    export const TransmissionReportSchema = "{\"type\":\"record\",\"name\":\"TransmissionReport\",\"namespace\":\"fr.apprentissage.tdb\",\"doc\":\"What one transmission of one organisation contained (an API call, a file, a snapshot), counted by the connector pipeline; the stream processor writes it to the transmission log.\",\"fields\":[{\"name\":\"batch_id\",\"type\":\"string\",\"doc\":\"UUID of the transmission\"},{\"name\":\"received_at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"connector\",\"type\":\"string\"},{\"name\":\"erp\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"organisme_uai\",\"type\":\"string\"},{\"name\":\"organisme_siret\",\"type\":\"string\"},{\"name\":\"recus\",\"type\":\"int\",\"doc\":\"records received\"},{\"name\":\"acceptes\",\"type\":\"int\"},{\"name\":\"rejetes\",\"type\":\"int\",\"doc\":\"records sent to the dead-letter topic\"},{\"name\":\"inchanges\",\"type\":\"int\",\"doc\":\"accepted records identical to the last version (no event)\"},{\"name\":\"crees\",\"type\":\"int\"},{\"name\":\"modifies\",\"type\":\"int\"},{\"name\":\"non_transmis\",\"type\":\"int\",\"doc\":\"records missing from a full snapshot\"}]}";
    export const TransmissionReportName = "fr.apprentissage.tdb.TransmissionReport";
    /**
     * What one transmission of one organisation contained (an API call, a file, a snapshot), counted by the connector pipeline; the stream processor writes it to the transmission log.
     */
    export interface TransmissionReport {
        /**
         * UUID of the transmission
         */
        batch_id: string;
        received_at: number;
        connector: string;
        /**
         * Default: null
         */
        erp: null | string;
        organisme_uai: string;
        organisme_siret: string;
        /**
         * records received
         */
        recus: number;
        acceptes: number;
        /**
         * records sent to the dead-letter topic
         */
        rejetes: number;
        /**
         * accepted records identical to the last version (no event)
         */
        inchanges: number;
        crees: number;
        modifies: number;
        /**
         * records missing from a full snapshot
         */
        non_transmis: number;
    }
}
