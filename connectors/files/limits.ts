/**
 * Bounds of a tabular file (uploads and the drop folder), so that a small hostile file cannot
 * take the process' memory or time: a 1.6 KB workbook whose only row is numbered 1,048,576, or a
 * 4 MB workbook of 800,000 rows, once took seconds and hundreds of MB to read (issue 11, finding 3).
 * Checked while reading, before anything is ingested; past a bound the file is refused with
 * FileLimitError (uploads: 413 FICHIER_HORS_LIMITES; drop folder: failed/ with the reason).
 *
 * Sizes: the largest CFA transmits a few tens of thousands of learners; 70 v3 columns of short
 * values make ~2 KB of sheet XML per row, so 50,000 rows inflate to ~100 MB of XML: 256 MiB
 * leaves room for wide exports and long shared strings, not for a decompression bomb.
 */
import { FileFormatError } from './csv';

export interface TableLimits {
  /** Data rows (the header excepted); an XLSX row numbered beyond maxRows + 1 is refused at once. */
  maxRows: number;
  /** Columns (XLSX column index, CSV header fields). */
  maxColumns: number;
  /** Bytes the XLSX archive may inflate to: declared sizes, then counted while inflating. */
  maxUncompressedBytes: number;
  /** Members of the XLSX archive. */
  maxZipEntries: number;
}

export const TABLE_LIMITS: TableLimits = {
  maxRows: 50_000,
  maxColumns: 1_000,
  maxUncompressedBytes: 256 * 1024 * 1024,
  maxZipEntries: 10_000,
};

/** A file refused because it passes one of the bounds above (`limite`: the bound, in its unit). */
export class FileLimitError extends FileFormatError {
  override name = 'FileLimitError';
  constructor(
    message: string,
    readonly limite: number,
  ) {
    super(message);
  }
}
