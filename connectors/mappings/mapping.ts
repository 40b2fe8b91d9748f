/**
 * Declarative mappings from an ERP's own export to the v3 contract: adding an ERP (SC Form, FCA
 * Manager, …) is adding a JSON file beside ypareo.json and gesti.json, not code.
 *
 * A mapping names, for each v3 field, where its value is in the vendor record and how it converts:
 *   "nom_apprenant": "NOM"                                  a column / property path
 *   "etablissement_formateur_uai": ["formateur.uai", "UAI"] the first non-empty of several paths
 *   "contrat_date_debut_2": "contrats[1].dateDebut"         paths into nested objects and arrays
 *   "sexe_apprenant": { "from": "SEXE", "values": { "1": "M", "2": "F" } }
 *                                                          a table of the vendor's codes (keys
 *                                                          compared as trimmed text); a code not
 *                                                          in the table is kept as is, or dropped
 *                                                          with "otherwise": "null"
 *   "formation_presentielle": { "const": true }            a constant
 * Values are not otherwise converted: the shared pipeline normalises and validates them (dates in
 * DD/MM/YYYY, SIRET with spaces, …) exactly as for the push API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PermanentError } from '../../infra/errors';

export type FieldRule =
  | string
  | string[]
  | { from: string | string[]; values?: Record<string, unknown>; otherwise?: 'keep' | 'null' }
  | { const: unknown };

export interface ErpMapping {
  /** The ERP's name (source.erp of the events). */
  erp: string;
  description: string;
  /** json: an HTTP export (Yparéo); csv: a file in the drop folder (Gesti). */
  format: 'json' | 'csv';
  /** JSON exports: the path of the array of learner records in the document ("" = the document). */
  records?: string;
  /** Drop-folder files: a regular expression their names match (case-insensitive). */
  filePattern?: string;
  /** Each transmission is a full snapshot of its organisations (missing records → NOT_TRANSMITTED). */
  snapshot: boolean;
  fields: Record<string, FieldRule>;
}

export class MappingError extends PermanentError {
  override name = 'MappingError';
}

/** The value at `p` ("a.b[1].c") in `obj`, or undefined. */
export function valueAt(obj: unknown, p: string): unknown {
  if (p === '') return obj;
  let cur: unknown = obj;
  for (const part of p.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    if (m[1]) {
      if (typeof cur !== 'object' || cur === null) return undefined;
      cur = (cur as Record<string, unknown>)[m[1]];
    }
    for (const idx of m[2]!.match(/\d+/g) ?? []) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[Number(idx)];
    }
  }
  return cur;
}

const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

function firstOf(record: unknown, from: string | string[]): unknown {
  for (const p of Array.isArray(from) ? from : [from]) {
    const v = valueAt(record, p);
    if (!blank(v)) return v;
  }
  return undefined;
}

/** The v3 item of one vendor record (absent values left out). */
export function applyMapping(mapping: ErpMapping, record: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(mapping.fields)) {
    let v: unknown;
    if (typeof rule === 'string' || Array.isArray(rule)) v = firstOf(record, rule);
    else if ('const' in rule) v = rule.const;
    else {
      v = firstOf(record, rule.from);
      if (v !== undefined && rule.values) {
        const k = String(v).trim();
        if (Object.prototype.hasOwnProperty.call(rule.values, k)) v = rule.values[k];
        else if (rule.otherwise === 'null') v = undefined;
      }
    }
    if (!blank(v)) out[field] = v;
  }
  return out;
}

/** Checks the shape of a mapping file (a broken mapping must fail at start-up, not per record). */
export function checkMapping(m: unknown, source: string): ErpMapping {
  const fail = (why: string): never => {
    throw new MappingError(`${source}: ${why}`);
  };
  if (typeof m !== 'object' || m === null) fail('not a JSON object');
  const x = m as Partial<ErpMapping>;
  if (typeof x.erp !== 'string' || !x.erp) fail('"erp" (string) is required');
  if (x.format !== 'json' && x.format !== 'csv') fail('"format" must be "json" or "csv"');
  if (typeof x.snapshot !== 'boolean') fail('"snapshot" (boolean) is required');
  if (typeof x.fields !== 'object' || x.fields === null) fail('"fields" (object) is required');
  for (const [field, rule] of Object.entries(x.fields!)) {
    const ok =
      typeof rule === 'string' ||
      (Array.isArray(rule) && rule.every((r) => typeof r === 'string')) ||
      (typeof rule === 'object' && rule !== null && ('const' in rule || 'from' in rule));
    if (!ok) fail(`field ${field}: a path, a list of paths, {from, values?, otherwise?} or {const}`);
  }
  return x as ErpMapping;
}

export const MAPPINGS_DIR = __dirname;

/** Loads `<name>.json` from this folder (or a path). */
export function loadMapping(nameOrPath: string): ErpMapping {
  const file = nameOrPath.endsWith('.json')
    ? path.resolve(nameOrPath)
    : path.join(MAPPINGS_DIR, `${nameOrPath}.json`);
  return checkMapping(JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

/** Every mapping of this folder. */
export function loadAllMappings(): ErpMapping[] {
  return fs
    .readdirSync(MAPPINGS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => loadMapping(path.join(MAPPINGS_DIR, f)));
}
