/**
 * A file-parsing worker thread (started by parse-pool.ts): parses one uploaded file at a time with
 * table.ts `parseTable` (streaming XLSX, CSV, within TABLE_LIMITS) and sends the rows back in
 * batches, so that the main thread never parses a file nor deserialises one huge message.
 */
import { parentPort } from 'node:worker_threads';
import { FileFormatError } from './csv';
import { FileLimitError } from './limits';
import { parseTable } from './table';

/** Rows per message to the main thread (a few ms of deserialisation each). */
export const ROWS_PER_MESSAGE = 1000;

export interface ParseRequest {
  id: number;
  bytes: Uint8Array;
  filename: string;
}

export type ParseReply =
  | { id: number; type: 'rows'; rows: Record<string, unknown>[] }
  | { id: number; type: 'done'; format: 'csv' | 'xlsx'; encoding?: string; separator?: string }
  | { id: number; type: 'refused'; message: string; limite: number | null }
  | { id: number; type: 'failed'; message: string };

const port = parentPort;
if (port) {
  port.on('message', (req: ParseRequest) => {
    void (async () => {
      try {
        const bytes = Buffer.from(req.bytes.buffer, req.bytes.byteOffset, req.bytes.byteLength);
        const table = await parseTable(bytes, { filename: req.filename });
        for (let i = 0; i < table.rows.length; i += ROWS_PER_MESSAGE)
          port.postMessage({
            id: req.id,
            type: 'rows',
            rows: table.rows.slice(i, i + ROWS_PER_MESSAGE),
          } satisfies ParseReply);
        port.postMessage({
          id: req.id,
          type: 'done',
          format: table.format,
          encoding: table.encoding,
          separator: table.separator,
        } satisfies ParseReply);
      } catch (err) {
        if (err instanceof FileFormatError)
          port.postMessage({
            id: req.id,
            type: 'refused',
            message: err.message,
            limite: err instanceof FileLimitError ? err.limite : null,
          } satisfies ParseReply);
        else
          port.postMessage({
            id: req.id,
            type: 'failed',
            message: err instanceof Error ? (err.stack ?? err.message) : String(err),
          } satisfies ParseReply);
      }
    })();
  });
}
