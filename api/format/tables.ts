/**
 * Downloads of any table of the read API as CSV or XLSX (issue 6 §2), chosen by `format=csv|xlsx`
 * or by the Accept header (text/csv; application/vnd.openxmlformats-officedocument.spreadsheetml.sheet);
 * JSON otherwise.
 *
 * CSV: csv-stringify, `;`-separated (what French spreadsheet software expects), UTF-8 with a BOM,
 * a header row of column names; hidden counts (statistical secrecy) are empty cells, and the
 * `masque` column lists the hidden fields separated by `|`. Text cells that a spreadsheet would
 * read as a formula (starting with = + - @, tab or carriage return: names, phone numbers, comments
 * come from ERPs and advisors) are prefixed with a single quote (OWASP "CSV Injection"), after
 * invisible and bidi control characters are removed from every text cell (`visibleCell`);
 * numbers stay numbers.
 * XLSX: exceljs, one sheet, a bold header row, numbers as numbers, text as text cells (never
 * formulas, so no prefix is needed), hidden counts as empty cells.
 */
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import type { FastifyReply, FastifyRequest } from 'fastify';

export type Format = 'json' | 'csv' | 'xlsx';
export const FORMATS: readonly Format[] = ['json', 'csv', 'xlsx'];

export const CSV_TYPE = 'text/csv; charset=utf-8';
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The JSON schema of the `format` query field. */
export const formatProperty = {
  type: 'string',
  enum: FORMATS,
  description: 'json (défaut), csv ou xlsx ; sinon selon l’en-tête Accept (text/csv, ' + XLSX_TYPE + ')',
} as const;

/** The format asked for: `format=` wins, then Accept, then JSON. */
export function formatOf(request: FastifyRequest): Format {
  const q = (request.query as { format?: Format } | undefined)?.format;
  if (q) return q;
  const accept = request.headers.accept ?? '';
  if (accept.includes(XLSX_TYPE)) return 'xlsx';
  if (/\btext\/csv\b/.test(accept)) return 'csv';
  return 'json';
}

export type Cell = string | number | boolean | null;

export interface Table {
  /** File name without extension, e.g. "indicateurs-par-departement-2025-03-15". */
  name: string;
  columns: readonly string[];
  rows: readonly Record<string, Cell | readonly string[]>[];
}

const cellOf = (v: Cell | readonly string[] | undefined): Cell =>
  Array.isArray(v) ? v.join('|') || null : ((v as Cell | undefined) ?? null);

/** First characters that make a spreadsheet evaluate a cell (OWASP CSV Injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Invisible characters and bidi controls (default-ignorable code points and format characters, as
 * connectors/core/normalise/names.ts strips them from identities at ingestion): removed from every
 * exported text cell, so that neither a zero-width character before `=` ("\u200b=1+1") hides a
 * formula from the guard below, nor a bidi override (U+202E) reorders what a spreadsheet shows.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;

/** A text cell of an export: invisible and bidi control characters removed. */
export const visibleCell = (text: string): string => text.replace(INVISIBLE, '');

/**
 * A text cell as written to CSV: invisible characters removed first (`visibleCell`), then
 * prefixed with `'` when a spreadsheet would take it for a formula.
 */
export const neutraliseFormula = (raw: string): string => {
  const text = visibleCell(raw);
  return FORMULA_START.test(text) ? `'${text}` : text;
};

/** The table as CSV text (with its BOM): `;`, header row, text cells neutralised, booleans 1/0. */
export function toCsv(t: Table): string {
  return stringify(
    t.rows.map((r) => t.columns.map((c) => cellOf(r[c]))),
    {
      header: true,
      columns: [...t.columns],
      delimiter: ';',
      bom: true,
      cast: { boolean: (b) => (b ? '1' : '0'), string: neutraliseFormula },
      // A lone CR inside a cell would end the row for some readers: such cells are quoted too.
      quoted_match: /\r/,
    },
  );
}

export async function toXlsx(t: Table): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = "Tableau de bord de l'apprentissage";
  const ws = wb.addWorksheet(t.name.slice(0, 31));
  ws.addRow([...t.columns]).font = { bold: true };
  for (const r of t.rows)
    ws.addRow(
      t.columns.map((c) => {
        const v = cellOf(r[c]);
        return typeof v === 'string' ? visibleCell(v) : v;
      }),
    );
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/**
 * Sends `json` as JSON, or `table` as a CSV/XLSX attachment, by the request's format.
 */
export async function sendTable(
  request: FastifyRequest,
  reply: FastifyReply,
  json: unknown,
  table: () => Table,
): Promise<unknown> {
  const format = formatOf(request);
  if (format === 'json') return json;
  const t = table();
  const safeName = t.name.replace(/[^A-Za-z0-9._-]/g, '_');
  if (format === 'csv') {
    return reply
      .type(CSV_TYPE)
      .header('content-disposition', `attachment; filename="${safeName}.csv"`)
      .send(toCsv(t));
  }
  return reply
    .type(XLSX_TYPE)
    .header('content-disposition', `attachment; filename="${safeName}.xlsx"`)
    .send(await toXlsx(t));
}
