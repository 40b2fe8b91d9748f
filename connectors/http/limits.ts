/** Limits of the ingestion routes (connectors/README.md, "Limits"). */

/** Items per push API call (dossier-apprenant-v3.md). */
export const MAX_ITEMS = 2000;
/** Body of a push API call: 2,000 items of ~5 KB. */
export const PUSH_BODY_LIMIT = 10 * 1024 * 1024;
/** An uploaded file. */
export const UPLOAD_MAX_BYTES = 20 * 1024 * 1024;
