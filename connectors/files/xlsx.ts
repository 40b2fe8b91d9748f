/**
 * XLSX workbooks (exceljs): the first worksheet, row 1 = column names. Cell values are given as the
 * pipeline expects them: dates formatted as dates become AAAA-MM-JJ (exceljs reads them as UTC
 * midnight), other numbers stay numbers (a date column left as numbers is an Excel serial, read by
 * parseCalendarDay), rich text and formulas give their text or result.
 */
import ExcelJS from 'exceljs';
import { FileFormatError, normaliseHeader, refuseDuplicateColumns } from './csv';

function cellValue(v: ExcelJS.CellValue): unknown {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((t) => t.text).join('');
    if ('formula' in v || 'sharedFormula' in v)
      return cellValue((v as { result?: ExcelJS.CellValue }).result ?? null);
    if ('text' in v) return (v as { text: string }).text;
    if ('error' in v) return undefined;
    return undefined;
  }
  if (typeof v === 'string' && v.trim() === '') return undefined;
  return v;
}

export async function parseXlsx(bytes: Buffer): Promise<Record<string, unknown>[]> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    // exceljs' reasons are English and technical ("Corrupted zip ?"): not shown.
    throw new FileFormatError(
      `classeur XLSX illisible (archive endommagée ou qui n'est pas un classeur Excel) : enregistrez-le de nouveau au format XLSX ou CSV`,
    );
  }
  const ws = wb.worksheets[0];
  if (!ws) throw new FileFormatError('classeur XLSX sans feuille');
  const header: string[] = [];
  ws.getRow(1).eachCell({ includeEmpty: true }, (cell, col) => {
    header[col] = normaliseHeader(String(cellValue(cell.value) ?? ''));
  });
  refuseDuplicateColumns(header, 0); // header[col] is column `col` already (1-based)
  const rows: Record<string, unknown>[] = [];
  for (let r = 2; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    const out: Record<string, unknown> = {};
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      const name = header[col];
      const value = cellValue(cell.value);
      if (name && value !== undefined) out[name] = value;
    });
    if (Object.keys(out).length > 0) rows.push(out);
  }
  return rows;
}
