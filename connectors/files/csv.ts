/**
 * CSV files as ERPs and spreadsheets write them (real-world-faults.md, kind 7): UTF-8 with or
 * without BOM, UTF-16 with BOM, Windows-1252 / Latin-1; `;`, `,`, tab or `|` separators; quoted
 * fields with separators and line breaks inside. Decoding with iconv-lite, parsing with csv-parse.
 * What is not text (NUL bytes, many control characters once decoded: a PDF, a program, random
 * bytes) is refused as "fichier binaire ou illisible" rather than read as garbage rows.
 */
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { printable } from '../core/printable';
import { PermanentError } from '../../infra/errors';

export class FileFormatError extends PermanentError {
  override name = 'FileFormatError';
}

export interface DecodedText {
  text: string;
  /** utf-8, utf-8-bom, utf-16le, utf-16be, windows-1252 */
  encoding: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why a file is not a CSV, in French, when its first bytes say what it is. */
function binaryKind(bytes: Buffer): string {
  const head = bytes.subarray(0, 8).toString('latin1');
  if (head.startsWith('%PDF')) return ' (document PDF)';
  if (head.startsWith('\xd0\xcf\x11\xe0'))
    return ' (classeur Excel 97-2003 .xls : enregistrez-le au format XLSX ou CSV)';
  if (head.startsWith('\x7fELF') || head.startsWith('MZ')) return ' (programme)';
  return '';
}

/** The message of a file that is not text. */
export const binaryFileMessage = (bytes: Buffer) =>
  `fichier binaire ou illisible${binaryKind(bytes)} : un fichier CSV (texte UTF-8 ou Windows-1252) ou XLSX est attendu`;

/**
 * Control characters a text file should not hold (tab, line feed, carriage return, form feed and
 * the DOS end-of-file mark excepted), and U+FFFD (a byte Windows-1252 does not define).
 */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const SUSPICIOUS = /[\u0000-\u0008\u000b\u000e-\u0019\u001b-\u001f\u007f-\u009f\ufffd]/g;

/**
 * Whether decoded text is really binary: a few stray control characters are tolerated (a cell of
 * a real export; the row is then rejected with CARACTERES_INVALIDES), not more than 8 + 0.1 %.
 */
export function looksBinary(text: string): boolean {
  const n = text.match(SUSPICIOUS)?.length ?? 0;
  return n > 8 + text.length / 1000;
}

/**
 * Decodes file bytes: BOMs first, then strict UTF-8, else Windows-1252 (the other encoding of
 * French ERPs; ISO-8859-1 is its subset). Throws FileFormatError for binary content.
 */
export function decodeText(bytes: Buffer): DecodedText {
  let decoded: DecodedText;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    decoded = { text: bytes.subarray(3).toString('utf8'), encoding: 'utf-8-bom' };
  else if (bytes[0] === 0xff && bytes[1] === 0xfe)
    decoded = { text: iconv.decode(bytes.subarray(2), 'utf-16le'), encoding: 'utf-16le' };
  else if (bytes[0] === 0xfe && bytes[1] === 0xff)
    decoded = { text: iconv.decode(bytes.subarray(2), 'utf-16be'), encoding: 'utf-16be' };
  else if (bytes.includes(0)) throw new FileFormatError(binaryFileMessage(bytes));
  else {
    try {
      decoded = { text: utf8.decode(bytes), encoding: 'utf-8' };
    } catch {
      decoded = { text: iconv.decode(bytes, 'windows-1252'), encoding: 'windows-1252' };
    }
  }
  if (decoded.text.includes('\u0000') || looksBinary(decoded.text))
    throw new FileFormatError(binaryFileMessage(bytes));
  return decoded;
}

const SEPARATORS = [';', ',', '\t', '|'];

/** The separator of the header line: the candidate that occurs most outside quotes. */
export function detectSeparator(text: string): string {
  let header = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if ((ch === '\n' || ch === '\r') && !quoted) break;
    if (!quoted) header += ch;
  }
  let best = ';';
  let count = 0;
  for (const s of SEPARATORS) {
    const n = header.split(s).length - 1;
    if (n > count) [best, count] = [s, n];
  }
  return best;
}

/** Column names as written → v3 field names: trimmed, lower case, spaces and dashes as `_`. */
export function normaliseHeader(h: string): string {
  return h
    .replace(/^\ufeff/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/**
 * Refuses a header naming the same column twice (after normalisation): the later cells would
 * silently overwrite the earlier ones, losing a record's values. Blank names do not count.
 * `names[i]` is column i + `first` (1 for XLSX columns, 1 for CSV fields counted from 1).
 */
export function refuseDuplicateColumns(names: readonly (string | undefined)[], first = 1): void {
  const seen = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (!name) continue;
    const before = seen.get(name);
    if (before !== undefined) {
      throw new FileFormatError(
        `la colonne ${printable(name, 60)} apparaît deux fois dans l'en-tête (colonnes ${before + first} et ${i + first}) : chaque champ ne doit figurer qu'une fois`,
      );
    }
    seen.set(name, i);
  }
}

/** csv-parse's reasons (codes of its errors), in French. */
const CSV_REASONS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'un guillemet ouvert n’est jamais fermé',
  CSV_INVALID_CLOSING_QUOTE: 'caractère inattendu après un guillemet fermant',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'caractère inattendu après un guillemet fermant',
  CSV_MAX_RECORD_SIZE: 'ligne trop longue',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'nombre de colonnes incohérent',
};

/** A French message for a csv-parse error (its code and line; never its English text). */
export function csvErrorMessage(err: { code?: string; lines?: number }): string {
  const reason = (err.code && CSV_REASONS[err.code]) ?? 'structure CSV invalide';
  return `fichier CSV illisible${err.lines ? ` à la ligne ${err.lines}` : ''} : ${reason}`;
}

export interface CsvTable {
  rows: Record<string, string>[];
  encoding: string;
  separator: string;
}

/** Parses a CSV file with a header line. Empty cells are left out of the rows. Throws FileFormatError. */
export function parseCsv(bytes: Buffer, opts: { header?: (h: string) => string } = {}): CsvTable {
  const { text, encoding } = decodeText(bytes);
  const separator = detectSeparator(text);
  let records: Record<string, string>[];
  try {
    records = parse(text, {
      columns: (names: string[]) => {
        const normalised = names.map(opts.header ?? normaliseHeader);
        refuseDuplicateColumns(normalised);
        return normalised;
      },
      delimiter: separator,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
    }) as Record<string, string>[];
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    throw new FileFormatError(csvErrorMessage(err as Error & { code?: string; lines?: number }));
  }
  const rows = records.map((r) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(r)) if (k && v !== '') out[k] = v;
    return out;
  });
  return { rows, encoding, separator };
}
