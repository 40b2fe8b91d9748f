/**
 * A tabular file (CSV or XLSX, recognised by its bytes, not its name) → rows keyed by column name,
 * and the checks every connector of files applies before ingesting anything (uploads answer 422,
 * the drop folder moves the file to failed/): not empty, not binary, an .xlsx that is a ZIP, at
 * least one data row, and (without an ERP mapping) at least one column named as a v3 field.
 * Both formats are read within TABLE_LIMITS (limits.ts: rows, columns, inflated size).
 */
import path from 'node:path';
import { V3_FIELDS } from '../../schemas/dossier-apprenant-v3.schema';
import { printable } from '../core/printable';
import { frenchNumber } from '../core/limits';
import { FileFormatError, parseCsv } from './csv';
import { FileLimitError, TABLE_LIMITS, type TableLimits } from './limits';
import { parseXlsx } from './xlsx';

export interface Table {
  format: 'csv' | 'xlsx';
  rows: Record<string, unknown>[];
  /** CSV only. */
  encoding?: string;
  separator?: string;
}

/** XLSX files are ZIP archives: they start with "PK\x03\x04". */
export const isZip = (b: Buffer) =>
  b.length > 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

/** Whether a file name says XLSX (then its bytes must be a ZIP). */
const XLSX_NAME = /\.(xlsx|xlsm)$/i;

/**
 * Parses a file. `filename` (when known) lets an .xlsx that is not a workbook be refused rather
 * than read as CSV. Throws FileFormatError (French message) for an empty or binary file.
 */
export async function parseTable(
  bytes: Buffer,
  opts: { header?: (h: string) => string; filename?: string; limits?: TableLimits } = {},
): Promise<Table> {
  const limits = opts.limits ?? TABLE_LIMITS;
  if (bytes.length === 0) throw new FileFormatError('aucune ligne de données (fichier vide)');
  if (isZip(bytes)) return { format: 'xlsx', rows: await parseXlsx(bytes, limits) };
  if (opts.filename && XLSX_NAME.test(opts.filename)) {
    throw new FileFormatError(
      `le fichier ${printable(path.basename(opts.filename))} n'est pas un classeur XLSX valide (ce n'est pas une archive ZIP) : enregistrez-le au format XLSX ou CSV`,
    );
  }
  const t = parseCsv(bytes, opts);
  if (t.rows.length > limits.maxRows)
    throw new FileLimitError(
      `trop de lignes : ${frenchNumber(t.rows.length)} lignes de données, ${frenchNumber(limits.maxRows)} au plus par fichier ; découpez le fichier`,
      limits.maxRows,
    );
  const columns = t.rows.reduce((n, r) => Math.max(n, Object.keys(r).length), 0);
  if (columns > limits.maxColumns)
    throw new FileLimitError(
      `trop de colonnes : ${frenchNumber(columns)}, ${frenchNumber(limits.maxColumns)} au plus`,
      limits.maxColumns,
    );
  return { format: 'csv', rows: t.rows, encoding: t.encoding, separator: t.separator };
}

/**
 * The checks before ingestion: at least one data row; with `v3Columns`, at least one column named
 * as a v3 field (a file of another shape would have every row rejected). Throws FileFormatError.
 */
export function checkTable(table: Table, opts: { v3Columns: boolean }): void {
  if (table.rows.length === 0) throw new FileFormatError('aucune ligne de données');
  if (!opts.v3Columns) return;
  const columns = new Set<string>();
  for (const r of table.rows) for (const k of Object.keys(r)) columns.add(k);
  if (![...columns].some((c) => V3_FIELDS.includes(c))) {
    const shown = [...columns].slice(0, 10).map((c) => printable(c, 40));
    throw new FileFormatError(
      `aucune colonne ne porte un nom de champ du contrat v3 (colonnes : ${shown.join(', ')}${columns.size > 10 ? ', …' : ''}) ; la première ligne doit nommer les colonnes (nom_apprenant, id_erp_apprenant, …)`,
    );
  }
}
