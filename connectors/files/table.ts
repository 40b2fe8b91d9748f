/** A tabular file (CSV or XLSX, recognised by its bytes, not its name) → rows keyed by column name. */
import { parseCsv } from './csv';
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

export async function parseTable(
  bytes: Buffer,
  opts: { header?: (h: string) => string } = {},
): Promise<Table> {
  if (isZip(bytes)) return { format: 'xlsx', rows: await parseXlsx(bytes) };
  const t = parseCsv(bytes, opts);
  return { format: 'csv', rows: t.rows, encoding: t.encoding, separator: t.separator };
}
