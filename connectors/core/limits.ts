/**
 * Size limits of the ingestion, so that no input can make Kafka refuse a request (the broker's
 * `message.max.bytes` is 1 MiB per record batch) or a reply fail: one item, its dead-letter copy,
 * one message, one request per partition. connectors/README.md ("Limits") lists them with the
 * HTTP limits. Pure helpers; the pipeline, validation and the routes read the constants here.
 */

export interface IngestLimits {
  /** An item whose JSON (UTF-8) is larger is rejected as a whole: DOSSIER_TROP_VOLUMINEUX. */
  itemBytes: number;
  /** The dead-letter copy of an input keeps at most this much JSON (beyond: a truncated preview). */
  deadLetterInputBytes: number;
  /**
   * Bytes of messages (keys, values, record overhead) per topic partition in one produce request:
   * well under the broker's 1 MiB per record batch.
   */
  requestPartitionBytes: number;
  /** A single message larger than this is a bug: caught before the send (its item is rejected). */
  messageBytes: number;
}

export const DEFAULT_LIMITS: IngestLimits = {
  itemBytes: 64 * 1024,
  deadLetterInputBytes: 64 * 1024,
  requestPartitionBytes: 900 * 1024,
  messageBytes: 512 * 1024,
};

/**
 * The contract's items are flat objects: the item is level 1, an object or array value of one of
 * its fields is level 2; anything nested deeper is refused (VALEUR_NON_SCALAIRE, or a 400 of the
 * push API). Also what keeps recursive serialisers (the reply's, JSON.stringify) safe.
 */
export const MAX_NESTING = 2;

/** Upper bound of the UTF-8 bytes of one UTF-16 unit once escaped in JSON ("\u0000" is 6). */
const MAX_BYTES_PER_UNIT = 6;

export interface ItemShape {
  /** The first field whose value nests deeper than MAX_NESTING, or null. */
  tooDeep: string | null;
  /** Exact UTF-8 size of the item's JSON when it may exceed `cap` (else an upper bound ≤ cap). */
  bytes: number;
  /** Whether `bytes` exceeds the cap. */
  tooLarge: boolean;
  /** The field with the largest value (to say which one makes an item too large). */
  largestField: string | null;
}

/** Upper bound of a value's JSON size, or -1 when it nests deeper than `levelsLeft` more levels. */
function boundOf(v: unknown, levelsLeft: number): number {
  if (v === null || v === undefined) return 4;
  switch (typeof v) {
    case 'string':
      return v.length * MAX_BYTES_PER_UNIT + 2;
    case 'number':
    case 'bigint':
      return 24;
    case 'boolean':
      return 5;
    case 'object': {
      if (levelsLeft <= 0) return -1;
      let n = 2;
      if (Array.isArray(v)) {
        for (const x of v) {
          const b = boundOf(x, levelsLeft - 1);
          if (b < 0) return -1;
          n += b + 1;
        }
        return n;
      }
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const b = boundOf(o[k], levelsLeft - 1);
        if (b < 0) return -1;
        n += k.length * MAX_BYTES_PER_UNIT + 3 + b + 1;
      }
      return n;
    }
    default:
      return 0;
  }
}

/**
 * Depth and size of an item (an object): a cheap upper bound first, the exact JSON size only when
 * the bound passes `cap` (items of a few KB never pay for a serialisation). Never recurses more
 * than MAX_NESTING levels, so any input is safe to inspect.
 */
export function inspectItem(item: Record<string, unknown>, cap: number): ItemShape {
  let bound = 2;
  let largestField: string | null = null;
  let largest = -1;
  // Object.keys, not Object.entries: no [key, value] pair allocated per field of every item.
  for (const k of Object.keys(item)) {
    const b = boundOf(item[k], MAX_NESTING - 1);
    if (b < 0) return { tooDeep: k, bytes: -1, tooLarge: false, largestField: null };
    if (b > largest) [largest, largestField] = [b, k];
    bound += k.length * MAX_BYTES_PER_UNIT + 3 + b + 1;
  }
  if (bound <= cap) return { tooDeep: null, bytes: bound, tooLarge: false, largestField };
  const bytes = Buffer.byteLength(JSON.stringify(item));
  return { tooDeep: null, bytes, tooLarge: bytes > cap, largestField };
}

/** `n` with thin spaces between thousands, as French messages write numbers. */
export const frenchNumber = (n: number) => n.toLocaleString('fr-FR').replace(/\u202f|\u00a0/g, ' ');

/** "64 Kio", "10 Mio": a byte limit for messages. */
export function frenchBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} Mio`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} Kio`;
  return `${frenchNumber(n)} octets`;
}

/** Longest text kept per field in a truncated dead-letter copy. */
const PREVIEW_TEXT = 1000;

/** What the dead-letter topic keeps of an input (sealed afterwards). */
export interface DeadLetterInput {
  value: unknown;
  truncated: boolean;
}

/** A string cut to `max` UTF-16 units without splitting a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = /[\ud800-\udbff]/.test(s[max - 1]!) ? max - 1 : max;
  return `${s.slice(0, end)}…`;
}

/** A JSON-safe, small preview of a value (nested values replaced by a mention). */
function previewOf(v: unknown): unknown {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'string') return cut(v, PREVIEW_TEXT);
  if (Array.isArray(v)) return `[tableau de ${v.length} éléments omis]`;
  if (typeof v === 'object') return '[objet omis]';
  return String(v);
}

/**
 * The input as the dead-letter topic keeps it: as is when its JSON fits in `cap` bytes and it is
 * flat enough; otherwise `{"$tronque": {octets, limite}, "apercu": {...}}` — every field in order
 * while they fit, texts cut to 1,000 characters, nested values replaced by a mention — so that a
 * dead-letter record stays far below the broker's message size (`octets` is null when the input
 * nests too deep to be measured safely).
 */
export function deadLetterInput(input: unknown, cap: number): DeadLetterInput {
  const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
  const bound = boundOf(input, MAX_NESTING);
  let bytes: number | null = null;
  if (bound >= 0) {
    if (bound <= cap) return { value: input ?? null, truncated: false };
    bytes = Buffer.byteLength(JSON.stringify(input) ?? 'null');
    if (bytes <= cap) return { value: input ?? null, truncated: false };
  }
  const head = { $tronque: { octets: bytes, limite: cap } };
  if (!isObject) return { value: { ...head, apercu: previewOf(input) }, truncated: true };
  const apercu: Record<string, unknown> = {};
  let used = Buffer.byteLength(JSON.stringify(head)) + 64;
  let omitted = 0;
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    const p = previewOf(v);
    const size = Buffer.byteLength(JSON.stringify(k.length > 200 ? cut(k, 200) : k)) + 2;
    const entry = size + Buffer.byteLength(JSON.stringify(p));
    if (used + entry > cap) {
      omitted++;
      continue;
    }
    used += entry;
    apercu[k.length > 200 ? cut(k, 200) : k] = p;
  }
  return {
    value: { ...head, apercu, ...(omitted > 0 ? { champs_omis: omitted } : {}) },
    truncated: true,
  };
}

/**
 * Characters refused in texts (CARACTERES_INVALIDES): C0 and C1 control characters and lone UTF-16
 * surrogates (not a character: invalid in UTF-8, JSON readers and databases). `\t`, `\n`, `\r` are
 * allowed in free texts; elsewhere only around the value (trimmed).
 */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const FORBIDDEN_STRICT = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udfff]/u;
// eslint-disable-next-line no-control-regex -- idem
const FORBIDDEN_FREE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|[\ud800-\udfff]/u;

/**
 * Any control character or surrogate (paired or not), without the `u` flag: a cheap first test
 * that clean texts (nearly all) pass, before the exact ones above.
 */
// eslint-disable-next-line no-control-regex -- idem
const SUSPECT = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/;

/** The first forbidden character of `s` ("U+0000", "U+D800"), or null when `s` is clean. */
export function forbiddenCharacter(s: string, freeText: boolean): string | null {
  if (!SUSPECT.test(s)) return null;
  const re = freeText ? FORBIDDEN_FREE : FORBIDDEN_STRICT;
  let m = re.exec(s);
  if (m && !freeText) m = re.exec(s.trim());
  if (!m) return null;
  return `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
