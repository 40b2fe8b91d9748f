/**
 * CSV files as ERPs and spreadsheets write them (real-world-faults.md, kind 7): UTF-8 with or
 * without BOM, UTF-16 with BOM, Windows-1252 / Latin-1; `;`, `,`, tab or `|` separators; quoted
 * fields with separators and line breaks inside. Decoding with iconv-lite (chardet only when the
 * bytes are not valid UTF-8), parsing with csv-parse.
 */
import chardet from 'chardet';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';

export class FileFormatError extends Error {
  override name = 'FileFormatError';
}

export interface DecodedText {
  text: string;
  /** utf-8, utf-8-bom, utf-16le, utf-16be, windows-1252, … */
  encoding: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes file bytes: BOMs first, then strict UTF-8, else chardet's guess (Windows-1252 for Latin-1). */
export function decodeText(bytes: Buffer): DecodedText {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: bytes.subarray(3).toString('utf8'), encoding: 'utf-8-bom' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: iconv.decode(bytes.subarray(2), 'utf-16le'), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: iconv.decode(bytes.subarray(2), 'utf-16be'), encoding: 'utf-16be' };
  try {
    return { text: utf8.decode(bytes), encoding: 'utf-8' };
  } catch {
    const guess = (chardet.detect(bytes) ?? 'windows-1252').toLowerCase();
    // ISO-8859-1 is read as Windows-1252, its superset (€, œ, ’ … in 0x80–0x9F).
    const encoding =
      /^(iso-8859-1|windows-1252|ascii)$/.test(guess) || !iconv.encodingExists(guess)
        ? 'windows-1252'
        : guess;
    return { text: iconv.decode(bytes, encoding), encoding };
  }
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
      columns: (names: string[]) => names.map(opts.header ?? normaliseHeader),
      delimiter: separator,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
    }) as Record<string, string>[];
  } catch (err) {
    throw new FileFormatError(`fichier CSV illisible : ${(err as Error).message}`);
  }
  const rows = records.map((r) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(r)) if (k && v !== '') out[k] = v;
    return out;
  });
  return { rows, encoding, separator };
}
