/**
 * The JSON body parser of the whole application (ingestion and read routes), in place of
 * Fastify's: the body is read as bytes and decoded as strict UTF-8 before JSON.parse, so that an
 * undecodable byte is refused instead of becoming U+FFFD in a stored name (a Latin-1 "Zoé" was
 * stored "Zo�"). RFC 8259 §8.1: JSON exchanged between systems is UTF-8. A Content-Type declaring
 * another charset is refused too. Then Fastify's own default parser runs on the text (empty body,
 * malformed JSON, prototype poisoning refused: its errors and codes are kept).
 *
 * Refusals are errors with `code` TDB_ERR_CORPS_ENCODAGE and status 400; each route family's
 * error handler answers them in its shape (connectors/http/errors.ts: `ENCODAGE_INVALIDE`;
 * api/errors.ts: `ENCODAGE_INVALIDE`), keyed on that code as on Fastify's.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The `code` of the error raised for a body that is not UTF-8 (or declared in another charset). */
export const BODY_ENCODING_ERROR = 'TDB_ERR_CORPS_ENCODAGE';

export class BodyEncodingError extends Error {
  override name = 'BodyEncodingError';
  readonly code = BODY_ENCODING_ERROR;
  readonly statusCode = 400;
}

const UTF8 = /^utf-?8$/i;

/** The charset parameter of a Content-Type header, lower case, or null. */
export function charsetOf(contentType: string | undefined): string | null {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * The byte offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1
 * (computed for a refused body only, to say where: an ERP can find it in its export). Node's
 * lenient decoding turns each ill-formed sequence into U+FFFD; the first U+FFFD whose bytes are not
 * an encoded U+FFFD (EF BF BD) is the fault.
 */
export function firstInvalidUtf8(bytes: Buffer): number {
  const text = bytes.toString('utf8');
  let from = 0; // characters of `text` already measured
  let at = 0; // their length in bytes (genuine U+FFFD are 3 bytes): linear over the whole body
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
    at += Buffer.byteLength(text.slice(from, i));
    from = i + 1;
    if (bytes[at] !== 0xef || bytes[at + 1] !== 0xbf || bytes[at + 2] !== 0xbd) return at;
    at += 3;
  }
  return -1;
}

/** Installs the parser on `app` (before the route plugins: they inherit it). */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseText = app.getDefaultJsonParser('error', 'error');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
      const charset = charsetOf(request.headers['content-type']);
      if (charset !== null && !UTF8.test(charset)) {
        done(
          new BodyEncodingError(
            `jeu de caractères « ${charset.slice(0, 40)} » déclaré dans Content-Type : le corps JSON doit être encodé en UTF-8 (application/json; charset=utf-8)`,
          ),
        );
        return;
      }
      let text: string;
      try {
        text = decoder.decode(body);
      } catch {
        const at = firstInvalidUtf8(body);
        done(
          new BodyEncodingError(
            `le corps n'est pas encodé en UTF-8 (octet 0x${body[at]?.toString(16).toUpperCase().padStart(2, '0')} invalide à la position ${at}) : envoyez le JSON en UTF-8 ; un export en Latin-1 ou Windows-1252 doit être converti`,
          ),
        );
        return;
      }
      parseText(request, text, done);
    },
  );
}
