/**
 * XLSX workbooks: the first worksheet, row 1 = column names. Cell values are given as the
 * pipeline expects them: dates formatted as dates become AAAA-MM-JJ (exceljs reads them as UTC
 * midnight), other numbers stay numbers (a date column left as numbers is an Excel serial, read by
 * parseCalendarDay), rich text and formulas give their text or result.
 *
 * Read as a stream, within TABLE_LIMITS (limits.ts), so that a small file cannot inflate into
 * seconds of CPU and hundreds of MB (issue 11, finding 3):
 * 1. the archive's central directory is read first (yauzl): too many members, or declared sizes
 *    adding up beyond `maxUncompressedBytes`, refuse the file before anything is inflated;
 * 2. only the members a sheet needs are inflated (relations, workbook, shared strings, styles,
 *    the first sheet), through a counter that stops at `maxUncompressedBytes` whatever the headers
 *    say (yauzl also refuses a member that inflates beyond its declared size);
 * 3. the sheet's rows are parsed as they are inflated (exceljs' streaming worksheet reader), and a
 *    row numbered beyond `maxRows + 1`, or more rows than that, or a column beyond `maxColumns`,
 *    stops the reading at once.
 * exceljs' WorkbookReader reads members in archive order and writes a sheet met before the shared
 * strings to a temporary file; its member parsers are driven here in the order a sheet needs
 * instead (its `_parse*` methods, exceljs 4.4.0 pinned in package.json; test/connectors/files.test.ts
 * and upload-limits.test.ts cover them), so nothing is written to disk.
 */
import { pipeline, Readable, Transform } from 'node:stream';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import { frenchBytes, frenchNumber } from '../core/limits';
import { FileFormatError, normaliseHeader, refuseDuplicateColumns } from './csv';
import { FileLimitError, TABLE_LIMITS, type TableLimits } from './limits';

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

/** exceljs' reasons are English and technical ("Corrupted zip ?"): not shown. */
const unreadable = () =>
  new FileFormatError(
    `classeur XLSX illisible (archive endommagée ou qui n'est pas un classeur Excel) : enregistrez-le de nouveau au format XLSX ou CSV`,
  );

const tooLarge = (limit: number, what: string) =>
  new FileLimitError(
    `classeur XLSX trop volumineux une fois décompressé (${what}) : ${frenchBytes(limit)} au plus ; enregistrez-le au format CSV ou découpez-le`,
    limit,
  );

/** The parts of exceljs' streaming WorkbookReader driven here (exceljs 4.4.0). */
interface WorkbookReaderParts {
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseWorksheet(
    iterator: Readable,
    sheetNo: string,
  ): Generator<{ eventType: string; value: AsyncIterable<ExcelJS.Row> }>;
  model?: { sheets?: { name: string; id: number; rId: string }[] };
  workbookRels?: { Id: string; Target: string }[];
}

/** The archive path of the workbook's first sheet (workbook order, as Excel shows the tabs). */
function firstSheetPath(reader: WorkbookReaderParts): string | null {
  const first = reader.model?.sheets?.[0];
  const rel = first && reader.workbookRels?.find((r) => r.Id === first.rId);
  if (!rel) return null;
  // Targets are relative to xl/ ("worksheets/sheet1.xml") or absolute ("/xl/worksheets/sheet1.xml").
  return rel.Target.startsWith('/') ? rel.Target.slice(1) : `xl/${rel.Target}`;
}

/**
 * The first worksheet's data rows keyed by column name, within `limits`. Throws FileFormatError
 * (unreadable workbook, no sheet, duplicate columns) or FileLimitError (a bound passed).
 */
export async function parseXlsx(
  bytes: Buffer,
  limits: TableLimits = TABLE_LIMITS,
): Promise<Record<string, unknown>[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, validateEntrySizes: true });
  } catch {
    throw unreadable();
  }
  if (zip.entryCount > limits.maxZipEntries)
    throw new FileLimitError(
      `archive XLSX de ${frenchNumber(zip.entryCount)} fichiers : ${frenchNumber(limits.maxZipEntries)} au plus ; enregistrez le classeur au format XLSX ou CSV`,
      limits.maxZipEntries,
    );
  const members = new Map<string, yauzl.Entry>();
  let declared = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      declared += entry.uncompressedSize;
      if (declared > limits.maxUncompressedBytes)
        throw tooLarge(
          limits.maxUncompressedBytes,
          `plus de ${frenchBytes(limits.maxUncompressedBytes)} annoncés`,
        );
      members.set(entry.fileName, entry);
    }
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    throw unreadable();
  }

  let inflated = 0;
  /** A member's inflated bytes, counted against the archive's budget. */
  const open = async (name: string): Promise<Readable | null> => {
    const entry = members.get(name);
    if (!entry) return null;
    const raw = await zip.openReadStreamPromise(entry);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        inflated += chunk.length;
        if (inflated > limits.maxUncompressedBytes)
          done(tooLarge(limits.maxUncompressedBytes, `plus de ${frenchBytes(limits.maxUncompressedBytes)}`));
        else done(null, chunk);
      },
    });
    pipeline(raw, counter, () => undefined); // an error destroys both, and reaches the reader of `counter`
    return counter;
  };

  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([]), {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  }) as unknown as WorkbookReaderParts;
  const rows: Record<string, unknown>[] = [];
  try {
    const rels = await open('xl/_rels/workbook.xml.rels');
    const workbook = await open('xl/workbook.xml');
    if (!rels || !workbook) throw unreadable();
    await reader._parseRels(rels);
    await reader._parseWorkbook(workbook);
    const shared = await open('xl/sharedStrings.xml');
    if (shared) {
      // The strings are cached by the reader (sharedStrings: 'cache'): nothing is yielded.
      for await (const event of reader._parseSharedStrings(shared)) void event;
    }
    const styles = await open('xl/styles.xml');
    if (styles) await reader._parseStyles(styles);
    const sheetPath = firstSheetPath(reader);
    const sheet = sheetPath ? await open(sheetPath) : null;
    if (!sheet) throw new FileFormatError('classeur XLSX sans feuille');
    const sheetNo = /sheet(\d+)\.xml$/.exec(sheetPath!)?.[1] ?? '1';
    const step = reader._parseWorksheet(sheet, sheetNo).next();
    const worksheet: AsyncIterable<ExcelJS.Row> | undefined = step.done ? undefined : step.value.value;
    if (!worksheet) throw unreadable();

    const header: string[] = [];
    let seen = 0;
    for await (const row of worksheet) {
      if (row.number > limits.maxRows + 1 || ++seen > limits.maxRows + 1)
        throw new FileLimitError(
          `trop de lignes : la ligne ${frenchNumber(Math.max(row.number, seen))} dépasse ${frenchNumber(limits.maxRows)} lignes de données (plus l'en-tête) par fichier ; découpez le fichier`,
          limits.maxRows,
        );
      const out: Record<string, unknown> = {};
      row.eachCell({ includeEmpty: false }, (cell, col) => {
        if (col > limits.maxColumns)
          throw new FileLimitError(
            `trop de colonnes : la ligne ${frenchNumber(row.number)} a une cellule en colonne ${frenchNumber(col)}, ${frenchNumber(limits.maxColumns)} colonnes au plus`,
            limits.maxColumns,
          );
        if (row.number === 1) header[col] = normaliseHeader(String(cellValue(cell.value) ?? ''));
        else {
          const name = header[col];
          const value = cellValue(cell.value);
          if (name && value !== undefined) out[name] = value;
        }
      });
      if (row.number === 1)
        refuseDuplicateColumns(header, 0); // header[col] is column `col` (1-based)
      else if (Object.keys(out).length > 0) rows.push(out);
    }
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    throw unreadable();
  } finally {
    zip.close();
  }
  return rows;
}
